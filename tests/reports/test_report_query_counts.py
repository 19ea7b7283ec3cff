"""
The governors' report pages run a fixed number of queries, however many years and versions the school has and however
many sections and tables a report holds: the figures are read from the stored JSON, never worked out on the page.
"""

import pytest
from django.urls import reverse

from esafety.models import AcademicYear
from reports.models import ReportStatus, SchoolReport
from tests.reports.cast_school import stored_data

pytestmark = pytest.mark.django_db

# Every page's own shell, once the session is written: the session, the user, their memberships, the bell's unread
# count.
SHELL = 4


def _many_reports(cast, years: int = 6) -> None:
    """Years of reports, three versions each, with five times the sections of the cast's."""
    lead = cast.a.users["lead"]
    start = cast.a.report.academic_year.start_year
    for offset in range(1, years + 1):
        year, _ = AcademicYear.objects.get_or_create(
            start_year=start - offset,
            defaults={
                "starts_on": cast.a.report.academic_year.starts_on.replace(year=start - offset),
                "ends_on": cast.a.report.academic_year.ends_on.replace(year=start - offset + 1),
            },
        )
        data = stored_data(cast.a.school.name, year)
        data["sections"] = data["sections"] * 5
        for version, status in enumerate((ReportStatus.SUPERSEDED, ReportStatus.FAILED, ReportStatus.PUBLISHED), start=1):
            SchoolReport.objects.create(
                school=cast.a.school, academic_year=year, version=version, status=status, data=data, requested_by=lead
            )
    data = stored_data(cast.a.school.name, cast.a.report.academic_year)
    data["sections"] = data["sections"] * 5
    SchoolReport.objects.filter(pk__in=[cast.a.report.pk, cast.a.report_draft.pk]).update(data=data)


def _pages(cast):
    report, draft = cast.a.report, cast.a.report_draft
    compare = f"{reverse('reports:report_compare')}?first={report.pk}&second={draft.pk}"
    return [
        # the reports with their years; the years to build (last year, this year, the list of years)
        ("lead", reverse("reports:report_list"), SHELL + 1 + 3),
        ("governor", reverse("reports:report_list"), SHELL + 1),  # the published reports with their years
        ("lead", reverse("reports:report_detail", kwargs={"report_id": draft.pk}), SHELL + 1),  # the report with its year
        ("governor", reverse("reports:report_detail", kwargs={"report_id": report.pk}), SHELL + 1),
        # the reports to choose from (for both lists); each of the two chosen
        ("lead", compare, SHELL + 1 + 2),
        ("lead", reverse("reports:report_settings"), SHELL + 2),  # the settings, their history
    ]


@pytest.mark.parametrize("index", range(6))
def test_the_report_pages_run_the_same_queries_however_many_reports(cast, client, django_assert_num_queries, index):
    role, url, budget = _pages(cast)[index]
    client.force_login(cast.a.users[role])
    client.get(url)  # the first request of a session writes it
    with django_assert_num_queries(budget):
        assert client.get(url).status_code == 200
    _many_reports(cast)
    with django_assert_num_queries(budget):
        assert client.get(url).status_code == 200
