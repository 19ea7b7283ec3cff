from django.urls import path

from consents import views

app_name = "consents"

urlpatterns = [
    # Set-up
    path("types/", views.consent_type_list, name="consent_type_list"),
    path("types/new/", views.consent_type_create, name="consent_type_create"),
    path("types/<int:type_id>/", views.consent_type_detail, name="consent_type_detail"),
    path("types/<int:type_id>/edit/", views.consent_type_edit, name="consent_type_edit"),
    path("settings/", views.consent_settings, name="consent_settings"),
    # Collection rounds, slips and chasing
    path("rounds/", views.round_list, name="round_list"),
    path("rounds/new/", views.round_create, name="round_create"),
    path("rounds/<uuid:round_id>/", views.round_detail, name="round_detail"),
    path("rounds/<uuid:round_id>/edit/", views.round_edit, name="round_edit"),
    path("rounds/<uuid:round_id>/open/", views.round_open, name="round_open"),
    path("rounds/<uuid:round_id>/close/", views.round_close, name="round_close"),
    path("rounds/<uuid:round_id>/chasing/", views.round_chasing, name="round_chasing"),
    path("rounds/<uuid:round_id>/slips/", views.slip_batch_start, name="slip_batch_start"),
    path("rounds/<uuid:round_id>/forms/<int:form_id>/slips.pdf", views.round_form_slips, name="round_form_slips"),
    path("rounds/<uuid:round_id>/forms/<int:form_id>/reminders.pdf", views.round_form_reminders, name="round_form_reminders"),
    path("rounds/<uuid:round_id>/forms/<int:form_id>/grid/", views.round_form_grid, name="round_form_grid"),
    path("slip-batches/<uuid:batch_id>/", views.slip_batch_detail, name="slip_batch_detail"),
    path("slip-batches/<uuid:batch_id>/progress/", views.slip_batch_progress, name="slip_batch_progress"),
    path("slip-batches/<uuid:batch_id>/download/", views.slip_batch_download, name="slip_batch_download"),
    # Returns and withdrawals
    path("returns/", views.return_entry, name="return_entry"),
    path("slips/<uuid:slip_id>/record/", views.slip_record, name="slip_record"),
    path("pupils/<uuid:pupil_id>/", views.pupil_consents, name="pupil_consents"),
    path("answers/<uuid:answer_id>/", views.answer_detail, name="answer_detail"),
    path("answers/<uuid:answer_id>/withdraw/", views.answer_withdraw, name="answer_withdraw"),
    # For every member of staff, governors and the trust
    path("photo-check/", views.photo_check, name="photo_check"),
    path("coverage/", views.coverage, name="coverage"),
    path("staff-agreement/", views.staff_agreement_list, name="staff_agreement_list"),
    path("staff-agreement/accept/", views.staff_agreement_accept, name="staff_agreement_accept"),
]
