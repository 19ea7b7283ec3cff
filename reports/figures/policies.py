"""
The policies and staff training sections of the governors' report (reports.figures.base).

Policies: the school's e-safety documents in use at the end of the year, the reviews that fell due in the year
(on time, late, not done), each kind of document's state, and how many of the staff in post acknowledged each
version they were asked to read. Training: staff in post with their online-safety and safeguarding training in
date, new staff's induction within the school's period, and the courses completed in the year.

"At the end of the year" is 31 August for a year that is over and today for the year in progress. A review is
due on the date the policy's next review was set to when it was approved; a version approved on or before that
date answered it on time (`PolicyVersion.review_due_on`). Titles of policies are shown (they are about documents);
nothing about a member of staff is read but dates.
"""

from dataclasses import dataclass, field
from datetime import date, timedelta

from django.db.models import Count, DurationField, ExpressionWrapper, F, OuterRef, Q, Subquery

from esafety.models import AcademicYear, StaffMember
from policies.models import Policy, PolicySettings, PolicyVersion, TrainingRecord, add_months
from reports.figures.base import Count as CountCell
from reports.figures.base import (
    ReportContext,
    Row,
    Section,
    Table,
    Text,
    as_of,
    overdue_before,
    percent,
    report_section,
    start_of,
    uk_date,
)

ONE_DAY = timedelta(days=1)

# Training that counts as in date for each subject: induction covers both e-safety and safeguarding, and the
# designated safeguarding lead's training covers safeguarding.
ONLINE_SAFETY_TRAINING = [TrainingRecord.Kind.ONLINE_SAFETY, TrainingRecord.Kind.INDUCTION]
SAFEGUARDING_TRAINING = [TrainingRecord.Kind.SAFEGUARDING, TrainingRecord.Kind.DSL, TrainingRecord.Kind.INDUCTION]


def in_post(on: date, prefix: str = "") -> Q:
    """Staff in post on a day: started by then (or no start date recorded) and not yet left."""
    return (Q(**{f"{prefix}start_date__isnull": True}) | Q(**{f"{prefix}start_date__lte": on})) & (
        Q(**{f"{prefix}leaving_date__isnull": True}) | Q(**{f"{prefix}leaving_date__gt": on})
    )


# --- Policies --------------------------------------------------------------------------------------------------------


@dataclass
class Document:
    pk: int
    kind: str
    title: str
    retired_on: date | None
    next_review_on: date | None
    approvals: list[tuple[date, date | None]] = field(default_factory=list)  # (approved on, review it answered), in order

    def last_approved(self, on: date) -> date | None:
        return max((approved for approved, _ in self.approvals if approved <= on), default=None)

    def in_use(self, on: date) -> bool:
        return self.last_approved(on) is not None and (self.retired_on is None or self.retired_on > on)

    def review_due(self, on: date) -> date | None:
        """The review the version in force on the day was waiting for: the one the next approval answered, or the
        policy's next review if there has been none since."""
        later = [due for approved, due in self.approvals if approved > on]
        return later[0] if later else self.next_review_on

    def reviews(self) -> list[tuple[date, date | None]]:
        """Every review that fell due: (due on, done on), the one still waiting with None."""
        done = [(due, approved) for approved, due in self.approvals if due is not None]
        waiting = [(self.next_review_on, None)] if self.next_review_on is not None else []
        return done + waiting


@report_section(50)
def build(ctx: ReportContext) -> Section:
    documents = _documents(ctx)
    return Section(
        key="policies",
        title="Policies",
        intro=(
            "The school's e-safety documents and their reviews. A review is on time when the new version was approved "
            "on or before the date the review was due. Figures are at the end of the school year (today, for a year "
            "not yet over)."
        ),
        tables=[
            _policies_summary(ctx, documents),
            _reviews(ctx, documents),
            _by_kind(ctx, documents),
            _acknowledgements(ctx),
        ],
    )


def _documents(ctx: ReportContext) -> list[Document]:
    """The school's documents with their approvals: two queries. A document's state on a past day needs its
    versions in order, and a school has tens of documents, not thousands."""
    documents = {
        pk: Document(pk, kind, title, retired_on, next_review_on)
        for pk, kind, title, retired_on, next_review_on in Policy.objects.for_school(ctx.school)
        .order_by("title", "pk")
        .values_list("pk", "kind", "title", "retired_on", "next_review_on")
    }
    approvals = (
        PolicyVersion.objects.approved()
        .filter(policy__school=ctx.school)
        .order_by("approved_on", "pk")
        .values_list("policy_id", "approved_on", "review_due_on")
    )
    for policy_id, approved_on, review_due_on in approvals:
        documents[policy_id].approvals.append((approved_on, review_due_on))
    return list(documents.values())


def _policies_summary(ctx: ReportContext, documents: list[Document]) -> Table:
    def figures(year: AcademicYear) -> tuple[int, int]:
        on, before = as_of(year), overdue_before(year)
        in_use = [d for d in documents if d.in_use(on)]
        overdue = [d for d in in_use if (due := d.review_due(on)) is not None and due < before]
        return len(in_use), len(overdue)

    now, then = figures(ctx.year), figures(ctx.previous)
    return Table(
        key="summary",
        caption="Documents in use and reviews overdue at the end of the year",
        row_header="Documents",
        columns=[ctx.year_label, ctx.previous_label],
        rows=[
            Row("In use (an approved version in force)", [CountCell(now[0]), CountCell(then[0])]),
            Row("With a review overdue", [CountCell(now[1]), CountCell(then[1])]),
        ],
        note="A review overdue may have fallen due in an earlier year.",
    )


def _reviews(ctx: ReportContext, documents: list[Document]) -> Table:
    def outcomes(year: AcademicYear) -> list[int]:
        on, before = as_of(year), overdue_before(year)
        tally = [0, 0, 0, 0]  # on time, late, not done and overdue, not yet due
        for document in documents:
            if document.retired_on is not None and document.retired_on <= on:
                continue
            for due, done in document.reviews():
                if not year.starts_on <= due <= year.ends_on:
                    continue
                if done is not None and done <= on:
                    tally[0 if done <= due else 1] += 1
                else:
                    tally[2 if due < before else 3] += 1
        return tally

    now, then = outcomes(ctx.year), outcomes(ctx.previous)
    labels = ["Reviewed on time", "Reviewed late", "Not reviewed by the end of the year", "Not yet due (the year is not over)"]
    rows = [Row(label, [CountCell(now[i]), CountCell(then[i])]) for i, label in enumerate(labels)]
    rows.append(Row("Reviews due in the year", [CountCell(sum(now)), CountCell(sum(then))], total=True))
    return Table(
        key="reviews",
        caption="Reviews of documents due in the year",
        row_header="Reviews",
        columns=[ctx.year_label, ctx.previous_label],
        rows=rows,
        chart="bar",
        note="Reviews of documents no longer in use at the end of the year are left out.",
    )


def _by_kind(ctx: ReportContext, documents: list[Document]) -> Table:
    on, before = as_of(ctx.year), overdue_before(ctx.year)
    current = [d for d in documents if d.retired_on is None or d.retired_on > on]
    rows = []
    for kind in Policy.Kind:
        of_kind = [d for d in current if d.kind == kind]
        if not of_kind and kind != Policy.Kind.OTHER:
            rows.append(Row(kind.label, [Text("None recorded"), Text("never"), Text("not set")]))
        for document in of_kind:
            if kind == Policy.Kind.OTHER:
                label = document.title
            else:
                label = kind.label if len(of_kind) == 1 else f"{kind.label}: {document.title}"
            last = document.last_approved(on)
            if last is None:
                rows.append(Row(label, [Text("Not yet approved"), Text("never"), Text("not set")]))
                continue
            due = document.review_due(on)
            status = "Review overdue" if due is not None and due < before else "Up to date"
            rows.append(Row(label, [Text(status), Text(uk_date(last)), Text(uk_date(due) if due else "not set")]))
    return Table(
        key="by_kind",
        caption=f"Each kind of document at the end of {ctx.year_label}",
        row_header="Document",
        columns=["State", "Last approved", "Next review due"],
        rows=rows,
    )


def _acknowledgements(ctx: ReportContext) -> Table:
    on = as_of(ctx.year)
    staff = StaffMember.objects.for_school(ctx.school).filter(in_post(on)).count()
    versions = (
        PolicyVersion.objects.approved()
        .filter(
            policy__school=ctx.school,
            policy__staff_must_acknowledge=True,
            approved_on__gte=ctx.starts_on,
            approved_on__lte=on,
        )
        .annotate(
            acknowledged=Count(
                "acknowledgements",
                filter=Q(acknowledgements__acknowledged_at__lt=start_of(on + ONE_DAY))
                & in_post(on, prefix="acknowledgements__staff_member__"),
            )
        )
        .order_by("approved_on", "policy__title", "pk")
        .values_list("policy__title", "version", "approved_on", "acknowledged")
    )
    rows = [
        Row(f"{title}, version {version}", [Text(uk_date(approved_on)), percent(acknowledged, staff)])
        for title, version, approved_on, acknowledged in versions
    ]
    return Table(
        key="acknowledgements",
        caption="Versions approved in the year that staff were asked to read: staff in post who acknowledged them",
        row_header="Version",
        columns=["Approved on", "Staff in post who acknowledged it"],
        rows=rows,
        chart="hbar",
        note=(
            "Of the staff in post at the end of the year, the share who had acknowledged the version by then."
            if rows
            else "No version approved in the year asked staff to acknowledge it."
        ),
    )


# --- Training --------------------------------------------------------------------------------------------------------


@report_section(60)
def build_training(ctx: ReportContext) -> Section:
    settings = PolicySettings.objects.get(school=ctx.school)
    return Section(
        key="training",
        title="Staff training",
        intro=(
            f"Training is in date when it was completed within the school's refresher period ({settings.refresher_months} "
            "months) or before its own expiry date; induction counts as online-safety and safeguarding training, and the "
            "designated safeguarding lead's training as safeguarding. Figures are at the end of the school year (today, "
            "for a year not yet over)."
        ),
        tables=[*_in_date(ctx, settings), _induction(ctx, settings), _courses(ctx)],
    )


def refresher_cutoff(on: date, months: int) -> date:
    """The last completion date whose refresher fell due on or before `on`: training completed after it is in date."""
    day = add_months(on, -months) - timedelta(days=4)
    while add_months(day + ONE_DAY, months) <= on:
        day += ONE_DAY
    return day


def _trained(on: date, kinds: list[str], months: int) -> Q:
    record = "training_records__"
    return Q(**{f"{record}kind__in": kinds, f"{record}completed_on__lte": on}) & (
        Q(**{f"{record}expires_on__gt": on})
        | Q(**{f"{record}expires_on__isnull": True, f"{record}completed_on__gt": refresher_cutoff(on, months)})
    )


def _in_date(ctx: ReportContext, settings: PolicySettings) -> list[Table]:
    months = settings.refresher_months
    counts = {}
    for name, year in (("now", ctx.year), ("before", ctx.previous)):
        on = as_of(year)
        # Each member of staff once, although they are joined to each of their training records.
        counts[f"staff_{name}"] = Count("pk", distinct=True, filter=in_post(on))
        counts[f"online_{name}"] = Count("pk", distinct=True, filter=in_post(on) & _trained(on, ONLINE_SAFETY_TRAINING, months))
        counts[f"safeguarding_{name}"] = Count(
            "pk", distinct=True, filter=in_post(on) & _trained(on, SAFEGUARDING_TRAINING, months)
        )
    found = StaffMember.objects.for_school(ctx.school).aggregate(**counts)
    columns = [ctx.year_label, ctx.previous_label]

    def counted(label: str, figure: str) -> Row:
        return Row(label, [CountCell(found[f"{figure}_now"]), CountCell(found[f"{figure}_before"])])

    def share(label: str, figure: str) -> Row:
        return Row(
            label,
            [percent(found[f"{figure}_{name}"], found[f"staff_{name}"]) for name in ("now", "before")],
        )

    return [
        Table(
            key="staff_trained",
            caption="Staff in post and their training at the end of the year",
            row_header="Staff",
            columns=columns,
            rows=[
                counted("In post", "staff"),
                counted("With online-safety training in date", "online"),
                counted("With safeguarding training in date", "safeguarding"),
            ],
        ),
        Table(
            key="staff_trained_share",
            caption="Staff in post with their training in date at the end of the year",
            row_header="Training",
            columns=columns,
            rows=[share("Online safety", "online"), share("Safeguarding and child protection", "safeguarding")],
            chart="bar",
            note="The share of the staff in post at the end of each year.",
        ),
    ]


def _induction(ctx: ReportContext, settings: PolicySettings) -> Table:
    days = timedelta(days=settings.induction_days)
    first_induction = (
        TrainingRecord.objects.filter(staff_member=OuterRef("pk"), kind=TrainingRecord.Kind.INDUCTION)
        .order_by("completed_on")
        .values("completed_on")[:1]
    )
    counts = {}
    for name, year in (("now", ctx.year), ("before", ctx.previous)):
        on, before = as_of(year), overdue_before(year)
        started = Q(start_date__gte=year.starts_on, start_date__lte=on)
        done = Q(inducted_on__lte=on)
        not_done = Q(inducted_on__isnull=True) | Q(inducted_on__gt=on)
        for figure, condition in {
            "in_time": started & done & Q(time_to_induction__lte=days),
            "late": started & done & Q(time_to_induction__gt=days),
            # Not done by the end of the year: overdue once the period after the start date has run out.
            "overdue": started & not_done & Q(start_date__lt=before - days),
            "not_due": started & not_done & Q(start_date__gte=before - days),
            "started": started,
        }.items():
            counts[f"{figure}_{name}"] = Count("pk", filter=condition)
    found = (
        StaffMember.objects.for_school(ctx.school)
        .filter(start_date__gte=ctx.previous.starts_on, start_date__lte=ctx.ends_on)
        .annotate(inducted_on=Subquery(first_induction))
        .annotate(time_to_induction=ExpressionWrapper(F("inducted_on") - F("start_date"), output_field=DurationField()))
        .aggregate(**counts)
    )

    def row(label: str, figure: str, total: bool = False) -> Row:
        return Row(label, [CountCell(found[f"{figure}_now"]), CountCell(found[f"{figure}_before"])], total=total)

    return Table(
        key="induction",
        caption=f"New staff and their induction within {settings.induction_days} days of starting",
        row_header="New staff",
        columns=[ctx.year_label, ctx.previous_label],
        rows=[
            row(f"Induction completed within {settings.induction_days} days", "in_time"),
            row("Induction completed later", "late"),
            row("Induction not completed, and overdue", "overdue"),
            row("Induction not yet due", "not_due"),
            row("Started in the year", "started", total=True),
        ],
        chart="bar",
        note="Staff who started in the year, by their e-safety and safeguarding induction at the end of the year.",
    )


def _courses(ctx: ReportContext) -> Table:
    now, before = as_of(ctx.year), as_of(ctx.previous)
    found = {
        kind: (this_year, last_year)
        for kind, this_year, last_year in TrainingRecord.objects.for_school(ctx.school)
        .filter(completed_on__gte=ctx.previous.starts_on, completed_on__lte=now)
        .order_by()
        .values("kind")
        .annotate(
            this_year=Count("pk", filter=Q(completed_on__gte=ctx.starts_on)),
            last_year=Count("pk", filter=Q(completed_on__lte=before)),
        )
        .values_list("kind", "this_year", "last_year")
    }
    rows = [
        Row(kind.label, [CountCell(found.get(kind, (0, 0))[0]), CountCell(found.get(kind, (0, 0))[1])])
        for kind in TrainingRecord.Kind
    ]
    rows.append(
        Row(
            "All courses",
            [CountCell(sum(n for n, _ in found.values())), CountCell(sum(n for _, n in found.values()))],
            total=True,
        )
    )
    return Table(
        key="courses",
        caption="Courses completed by staff in the year, by kind",
        row_header="Kind of training",
        columns=[ctx.year_label, ctx.previous_label],
        rows=rows,
        chart="bar",
        note="Each course a member of staff completed counts once.",
    )
