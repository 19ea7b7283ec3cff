"""The school report paths of the `reports` namespace."""

from django.urls import path

from reports.views import school

urlpatterns = [
    path("", school.report_list, name="report_list"),
    path("build/", school.report_build, name="report_build"),
    path("compare/", school.report_compare, name="report_compare"),
    path("settings/", school.report_settings, name="report_settings"),
    path("<uuid:report_id>/", school.report_detail, name="report_detail"),
    path("<uuid:report_id>/progress/", school.report_progress, name="report_progress"),
    path("<uuid:report_id>/summary/", school.report_narrative, name="report_narrative"),
    path("<uuid:report_id>/publish/", school.report_publish, name="report_publish"),
    path("<uuid:report_id>/pdf/", school.report_pdf, name="report_pdf"),
]
