"""
The trust's central team's home-page panel: the trust's schools at a glance, with a link to the latest trust report.

For each school: its open incidents other than restricted ones (a count, never described; a small count shows as
"fewer than" the trust's threshold, by the same rules as the report), its policy reviews overdue and its filter exceptions open today.
"""

from django.db.models import Count
from django.utils import timezone

from esafety.home import home_panel
from esafety.roles import Role
from esafety.scoping import scopes_disabled
from filtering.models import FilterExceptionRequest
from incidents.models import Incident
from policies.models import Policy
from reports.build import finish_sections
from reports.figures.base import Count as CountCell
from reports.figures.base import Row, Section, Table, Text
from reports.models import ReportStatus, TrustReport
from reports.trust import trust_schools, trust_threshold

COLUMNS = ["Open incidents (not restricted)", "Policy reviews overdue", "Filter exceptions open today"]
RESTRICTED = [audience for audience in Incident.Audience if audience != Incident.Audience.GENERAL]


def _per_school(queryset) -> dict[int, int]:
    return dict(queryset.order_by().values("school").annotate(count=Count("pk")).values_list("school", "count"))


@home_panel(order=65)
def trust_at_a_glance(request):
    access = request.access
    if not access.has_role(Role.TRUST):
        return None
    schools = trust_schools(access)
    today = timezone.localdate()
    # The central team looks across every school of its trust at once: one grouped query per figure, each naming
    # the trust's schools, rather than opening each school's scope in turn (a query per school per figure).
    with scopes_disabled():
        # Restricted incidents (child protection, allegations about staff) are not counted: the central team may not
        # see them, and a count that moves when one is logged would tell of it.
        incidents = _per_school(Incident.objects.filter(school__in=schools).open().exclude(audience__in=RESTRICTED))
        reviews = _per_school(Policy.objects.filter(school__in=schools).review_overdue(today))
        exceptions = _per_school(FilterExceptionRequest.objects.filter(school__in=schools).open_on(today))
    rows = [
        Row(
            label=school.name,
            cells=[
                CountCell(incidents.get(school.pk, 0)),
                # Documents and sites, not people: never hidden.
                Text(str(reviews.get(school.pk, 0))),
                Text(str(exceptions.get(school.pk, 0))),
            ],
        )
        for school in schools
    ]
    rows.append(
        Row(
            label="Trust total",
            cells=[
                CountCell(sum(incidents.values())),
                Text(str(sum(reviews.values()))),
                Text(str(sum(exceptions.values()))),
            ],
            total=True,
        )
    )
    table = Table(key="schools", caption="The trust's schools today", row_header="School", columns=COLUMNS, rows=rows)
    threshold = trust_threshold(schools)
    (section,) = finish_sections([Section(key="at_a_glance", title="The trust at a glance", tables=[table])], threshold)
    latest = (
        TrustReport.objects.filter(trust_id=access.school.trust_id, status__in=[ReportStatus.DRAFT, ReportStatus.PUBLISHED])
        .select_related("academic_year")
        .first()
    )
    return {
        "template": "reports/panels/_trust_at_a_glance.html",
        "table": section["tables"][0],
        "threshold": threshold,
        "latest": latest,
    }
