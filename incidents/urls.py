from django.urls import path

from incidents import dashboard, views

app_name = "incidents"

urlpatterns = [
    # The DSL's dashboard, the list and exports
    path("", dashboard.dashboard, name="dashboard"),
    path("<uuid:incident_id>/row-tools/", dashboard.dashboard_row_tools, name="dashboard_row_tools"),
    path("trends/", dashboard.dashboard_trends, name="dashboard_trends"),
    path("list/", dashboard.incident_list, name="incident_list"),
    path("export.csv", dashboard.incident_export, name="incident_export"),
    path("<uuid:incident_id>/pdf/", dashboard.incident_pdf, name="incident_pdf"),
    # Logging (any member of staff)
    path("log/", views.incident_log, name="incident_log"),
    path("log/draft/", views.incident_draft, name="incident_draft"),
    path("log/draft/discard/", views.incident_draft_discard, name="incident_draft_discard"),
    path("log/people/", views.people_search, name="people_search"),
    path("log/people/row/", views.people_row, name="people_row"),
    path("mine/", views.my_reports, name="my_reports"),
    path("<uuid:incident_id>/logged/", views.incident_logged, name="incident_logged"),
    # One incident
    path("<uuid:incident_id>/", views.incident_detail, name="incident_detail"),
    path("<uuid:incident_id>/assign/", views.incident_assign, name="incident_assign"),
    path("<uuid:incident_id>/triage/", views.incident_triage, name="incident_triage"),
    path("<uuid:incident_id>/note/", views.incident_note, name="incident_note"),
    path("<uuid:incident_id>/agency/", views.incident_agency, name="incident_agency"),
    path("<uuid:incident_id>/close/", views.incident_close, name="incident_close"),
    path("<uuid:incident_id>/reopen/", views.incident_reopen, name="incident_reopen"),
    path("<uuid:incident_id>/actions/", views.incident_actions_add, name="incident_actions_add"),
    path("<uuid:incident_id>/evidence/", views.evidence_add, name="evidence_add"),
    path("actions/<int:action_id>/done/", views.action_done, name="action_done"),
    path("checklist/<int:step_id>/done/", views.checklist_done, name="checklist_done"),
    # Set-up
    path("setup/", views.setup, name="setup"),
    path("setup/categories/new/", views.category_edit, name="category_add"),
    path("setup/categories/<int:category_id>/", views.category_edit, name="category_edit"),
    path("setup/matrix/<slug:matrix>/", views.matrix_edit, name="matrix_edit"),
]
