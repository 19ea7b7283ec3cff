"""The trust report paths of the `reports` namespace (reports.views.trust), under `trust/`."""

from django.urls import path

from reports.views import trust

urlpatterns = [
    path("", trust.trust_report_list, name="trust_report_list"),
    path("build/", trust.trust_report_build, name="trust_report_build"),
    path("<uuid:report_id>/", trust.trust_report_detail, name="trust_report_detail"),
    path("<uuid:report_id>/progress/", trust.trust_report_progress, name="trust_report_progress"),
    path("<uuid:report_id>/pdf/", trust.trust_report_pdf, name="trust_report_pdf"),
    path("<uuid:report_id>/publish/", trust.trust_report_publish, name="trust_report_publish"),
]
