"""
The governors' report pages: a school's (`reports.urls.school`) and a trust's (`reports.urls.trust`), under the one
`reports` namespace (`reports:report_list`, `reports:trust_report_list`).
"""

from django.urls import include, path

app_name = "reports"

urlpatterns = [
    path("", include("reports.urls.school")),
    path("trust/", include("reports.urls.trust")),
]
