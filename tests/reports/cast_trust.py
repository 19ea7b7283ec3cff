"""
The trust report of each school's cast (tests/reports/cast.py): last year's, published by the trust's central team.
Its figures are left empty and it keeps no PDF file (tests write no files into the project's media folder): the
building, the figures and the PDF are tested in tests/reports/test_trust_report.py.
"""

from datetime import date

from django.utils import timezone

from esafety.calendar import academic_year_start
from esafety.models import AcademicYear
from reports.models import ReportStatus, TrustReport


def extend(cast, letter):
    last_year = AcademicYear.objects.for_date(date(academic_year_start(timezone.localdate()) - 1, 9, 1))
    cast.trust_report = TrustReport.objects.create(
        trust=cast.trust,
        academic_year=last_year,
        version=1,
        status=ReportStatus.PUBLISHED,
        data={
            "title": f"{cast.trust.name}: e-safety report {last_year}",
            "trust": cast.trust.name,
            "schools": [cast.school.name],
            "year": str(last_year),
            "previous_year": AcademicYear(start_year=last_year.start_year - 1).label,
            "threshold": 5,
            "built_at": timezone.now().isoformat(),
            "sections": [],
        },
        requested_by=cast.users["trust"],
        built_at=timezone.now(),
        published_by=cast.users["trust"],
        published_at=timezone.now(),
    )
