"""
The school's governors' report in each school's cast (tests/conftest.py): at school A, last academic year's report,
published (`cast.report`, version 1), and a second version of the same year built since, a draft waiting to be
published (`cast.report_draft`). Their figures are stored as a build stores them (the contract of `report.data`),
written out here, so that the cast is quick to make; tests of building use the real build.
"""

from datetime import timedelta

from django.utils import timezone

from reports.models import ReportStatus, SchoolReport
from reports.selectors import last_academic_year


def cell(text, hidden=False):
    return {"text": str(text), "hidden": hidden}


def stored_data(school_name: str, year, *, threshold: int = 5, incidents: int = 12, blocked: int = 30) -> dict:
    """A report's stored figures: two sections, one count hidden as too small, no chart."""
    this, before = str(year), f"{year.start_year - 1}/{str(year.start_year)[-2:]}"
    hidden = f"fewer than {threshold}"
    return {
        "title": "Online safety report to governors",
        "school": school_name,
        "year": this,
        "previous_year": before,
        "threshold": threshold,
        "built_at": timezone.now().isoformat(),
        "sections": [
            {
                "key": "incidents",
                "title": "Incidents",
                "intro": "Every e-safety incident logged in the year, by category.",
                "tables": [
                    {
                        "key": "by_category",
                        "caption": "Incidents by category",
                        "row_header": "Category",
                        "columns": [this, before],
                        "note": "",
                        "rows": [
                            {"label": "Cyberbullying", "total": False, "cells": [cell(incidents), cell(9)]},
                            {"label": "Sexting", "total": False, "cells": [cell(hidden, True), cell(6)]},
                            {"label": "All incidents", "total": True, "cells": [cell(hidden, True), cell(15)]},
                        ],
                        "chart_svg": None,
                        "chart_alt": "",
                    }
                ],
            },
            {
                "key": "filtering",
                "title": "Web filtering",
                "intro": "Requests to open blocked sites, and sites reported as unsuitable.",
                "tables": [
                    {
                        "key": "requests",
                        "caption": "Requests to open blocked sites",
                        "row_header": "Outcome",
                        "columns": [this, before],
                        "note": "Late: decided after the lesson had started.",
                        "rows": [
                            {"label": "Opened", "total": False, "cells": [cell(blocked), cell(21)]},
                            {"label": "Median hours to decide", "total": False, "cells": [cell("18"), cell("24")]},
                        ],
                        "chart_svg": None,
                        "chart_alt": "",
                    }
                ],
            },
        ],
    }


def extend(cast, letter):
    if letter != "a":
        return
    year = last_academic_year()
    lead = cast.users["lead"]
    now = timezone.now()
    cast.report = SchoolReport.objects.create(
        school=cast.school,
        academic_year=year,
        version=1,
        status=ReportStatus.PUBLISHED,
        data=stored_data(cast.school.name, year),
        narrative="A calmer year online: fewer incidents, and every request to open a site decided within a day.",
        requested_by=lead,
        built_at=now - timedelta(days=20),
        published_by=lead,
        published_at=now - timedelta(days=19),
    )
    cast.report_draft = SchoolReport.objects.create(
        school=cast.school,
        academic_year=year,
        version=2,
        status=ReportStatus.DRAFT,
        data=stored_data(cast.school.name, year, incidents=14),
        narrative="",
        requested_by=lead,
        built_at=now - timedelta(days=1),
    )
