"""
Demo web filtering: five academic years of requests to open sites for lessons, in every status, so that the
register, the queues, the feed and the reviews have something to show; a few reports of unsuitable sites, the
changes made to the filter, and the regular reviews of the logs. Registered in `esafety.demo.DEMO_EXTENSIONS`
by `FilteringConfig.ready()`.

Everything is bulk-created from a fixed random seed, with one history entry a record (its creation, at the time
it was asked for): the past is invented, its steps are in the record's fields. Each request's story is what a
school would see: asked a few school days before the lesson (now and then late), signed off by the head teacher,
approved and applied by IT, and removed from the filter after its last day; declined, withdrawn or revoked
early now and then. Those running now are open on the filter, and those to come wait at each step. The large
school has a few thousand; `make bench` adds 500 more open today with `generate_requests(..., open_now=True)`.
"""

import random
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.db import transaction
from django.db.models import F
from django.utils import timezone
from simple_history.utils import bulk_create_with_history

from esafety.calendar import academic_year_start
from esafety.models import School, User, YearGroup
from esafety.roles import Role
from filtering.defaults import filtering_defaults_install
from filtering.models import (
    FilterChange,
    FilterExceptionRequest,
    FilterGroup,
    FilterSettings,
    LogReview,
    RequestedSite,
    SiteCategory,
    SiteReport,
)
from filtering.services.feed import feed_version_bump
from filtering.sites import normalise_site

Status = FilterExceptionRequest.Status
YEARS = 5

# (lesson or purpose, sites as staff type them, kind of site, year group: 0 for Reception, None for staff)
SECONDARY_LESSONS = [
    ("Year 9 history: propaganda posters archive", ["*.archive.org"], "Educational resource", 9),
    ("Year 9 history: newsreels of the Blitz", ["https://www.youtube.com/watch?v=blitz-newsreel"], "Video or streaming", 9),
    ("Year 7 geography: live volcano webcams", ["volcanocams.example.org", "*.usgs.gov"], "Educational resource", 7),
    ("Year 8 English: spoken-word poetry performances", ["vimeo.com"], "Video or streaming", 8),
    ("Year 10 media studies: how brands use social media", ["www.instagram.com", "www.tiktok.com"], "Social media", 10),
    (
        "Year 11 citizenship: comparing news coverage of an election",
        ["*.gbnews.com", "www.dailymail.co.uk"],
        "News or current affairs",
        11,
    ),
    (
        "Year 12 computer science: prompting a chatbot, and checking its answers",
        ["chatgpt.com", "*.openai.com"],
        "Generative AI tool",
        12,
    ),
    ("Year 13 psychology: online forum on exam stress (research project)", ["www.reddit.com/r/GCSE"], "Forum or chat", 13),
    ("Year 10 computing: game design with an online engine", ["*.itch.io", "gdevelop.io"], "Games", 10),
    ("Year 8 science: citizen-science galaxy classification", ["www.zooniverse.org"], "Educational resource", 8),
    ("Year 12 politics: parliamentary debates on video", ["parliamentlive.tv"], "Video or streaming", 12),
    ("Year 9 RE: virtual tour of places of worship", ["*.360cities.net"], "Educational resource", 9),
    ("Year 11 design and technology: sharing portfolios with the exam board", ["wetransfer.com"], "File sharing or storage", 11),
    ("Year 13 history coursework: digitised newspapers", ["www.britishnewspaperarchive.co.uk"], "Educational resource", 13),
    ("Year 7 music: composing in an online studio", ["www.bandlab.com"], "Other", 7),
    (
        "Staff training: online safety course videos",
        ["https://www.youtube.com/playlist?list=staff-online-safety"],
        "Video or streaming",
        None,
    ),
]
PRIMARY_LESSONS = [
    ("Year 5 science: the space station's live camera", ["*.nasa.gov"], "Educational resource", 5),
    (
        "Year 2 music: songs to learn for the nativity",
        ["https://www.youtube.com/watch?v=nativity-songs"],
        "Video or streaming",
        2,
    ),
    ("Year 6 history: the Anglo-Saxon museum collection", ["www.britishmuseum.org"], "Educational resource", 6),
    ("Year 4 geography: live weather around the world", ["www.windy.com"], "Educational resource", 4),
    ("Reception: animal webcams at the zoo", ["zoocams.example.org"], "Video or streaming", 0),
    ("Year 6 computing: online coding club projects", ["*.scratch.mit.edu"], "Educational resource", 6),
    ("Year 3 English: an author's video reading", ["vimeo.com"], "Video or streaming", 3),
    ("Staff training: phonics programme videos", ["https://vimeo.com/showcase/phonics-training"], "Video or streaming", None),
]
HEAD_DECLINED_NOTES = [
    "Please use the clip on the school's video library instead: the whole site would show pupils the comments.",
    "Not for the whole key stage: ask again for the one class that needs it.",
]
IT_DECLINED_NOTES = [
    "The site hosts uploads we cannot check; the resources are on the shared drive instead.",
    "The wildcard would open the site's chat as well. Ask for the exact pages.",
]
WITHDRAWN_REASONS = ["The lesson moved to next half-term.", "Found the resource on the school's own library."]
REVOKED_REASONS = ["Pupils found the comments section: closed early.", "The lesson finished early; no need to keep it open."]
LATE_REASONS = ["Cover lesson arranged at short notice.", "Planned with the department this week; low risk."]


@dataclass
class DemoPeople:
    head: User
    it: User
    askers: list[User]
    reviewers: list[User]


def demo_people(logins) -> DemoPeople | None:
    users = {u.email: u for u in User.objects.filter(email__in=[login.email for login in logins])}
    by_role = {login.role: users[login.email] for login in logins if login.email in users}
    if Role.HEAD not in by_role or Role.IT not in by_role:
        return None
    askers = [by_role[r] for r in (Role.STAFF, Role.STAFF, Role.STAFF, Role.LEAD, Role.DSL, Role.OFFICE) if r in by_role]
    reviewers = [by_role[r] for r in (Role.LEAD, Role.DSL) if r in by_role] or [by_role[Role.HEAD]]
    return DemoPeople(head=by_role[Role.HEAD], it=by_role[Role.IT], askers=askers or [by_role[Role.HEAD]], reviewers=reviewers)


def _is_school_day(day: date) -> bool:
    return day.weekday() < 5 and day.month != 8


def _school_day_on_or_after(day: date) -> date:
    while not _is_school_day(day):
        day += timedelta(days=1)
    return day


def _school_days_before(day: date, count: int) -> date:
    """The school day `count` school days before `day`."""
    while count:
        day -= timedelta(days=1)
        if _is_school_day(day):
            count -= 1
    return day


def _at(day: date, rng: random.Random, first_hour: int = 8, last_hour: int = 16) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(rng.randint(first_hour, last_hour), rng.choice([0, 15, 30, 45]))))


def _group_for(groups: dict[str, FilterGroup], year: int | None, secondary: bool) -> FilterGroup:
    if year is None:
        wanted = "staff"
    elif secondary:
        wanted = "pupils-ks3" if year <= 9 else "pupils-ks4" if year <= 11 else "pupils-sixth-form"
    else:
        wanted = "pupils-eyfs-ks1" if year <= 2 else "pupils-ks2"
    return groups.get(wanted) or next(iter(groups.values()))


def _status(rng: random.Random, starts_on: date, ends_on: date, today: date) -> str:
    """What has become of a request by now, given when its sites were wanted."""
    if ends_on < today:
        choices = [(Status.REMOVED, 78), (Status.HEAD_DECLINED, 5), (Status.IT_DECLINED, 4), (Status.WITHDRAWN, 6)]
        choices.append((Status.REVOKED, 4))
        if (today - ends_on).days <= 10:
            choices.append((Status.EXPIRED, 60))  # ended lately, removal not yet confirmed
    elif starts_on <= today:
        choices = [(Status.ACTIVE, 85), (Status.REVOKED, 5), (Status.HEAD_DECLINED, 5), (Status.WITHDRAWN, 5)]
    else:
        choices = [
            (Status.SUBMITTED, 35),
            (Status.HEAD_APPROVED, 20),
            (Status.IT_APPROVED, 20),
            (Status.ACTIVE, 20),
            (Status.HEAD_DECLINED, 5),
            (Status.WITHDRAWN, 5),
        ]
    statuses, weights = zip(*choices, strict=True)
    return rng.choices(statuses, weights)[0]


# How far each status got: the head teacher's decision, IT's, applied on the filter, removed from it.
_REACHED = {
    Status.SUBMITTED: 0,
    Status.HEAD_DECLINED: 1,
    Status.HEAD_APPROVED: 1,
    Status.IT_DECLINED: 2,
    Status.IT_APPROVED: 2,
    Status.ACTIVE: 3,
    Status.EXPIRED: 3,
    Status.REVOKED: 3,
    Status.REMOVED: 4,
}


def _story(request: FilterExceptionRequest, rng: random.Random, people: DemoPeople, asked_at: datetime, now: datetime) -> None:
    """Who decided what, and when, for the request's status: each step a little after the one before, none after now."""
    status = request.status

    def after(moment: datetime, hours: tuple[int, int]) -> datetime:
        return min(moment + timedelta(hours=rng.randint(*hours), minutes=rng.randint(0, 59)), now)

    # A request is withdrawn wherever it had got to, before it was applied.
    reached = rng.randint(0, 2) if status == Status.WITHDRAWN else _REACHED[status]
    moment = asked_at
    if reached >= 1:
        moment = after(moment, (1, 20))
        request.head_decided_by, request.head_decided_at = people.head, moment
        if status == Status.HEAD_DECLINED:
            request.head_note = rng.choice(HEAD_DECLINED_NOTES)
        elif request.is_late:
            request.late_reason = rng.choice(LATE_REASONS)
    if reached >= 2:
        moment = after(moment, (1, 20))
        request.it_decided_by, request.it_decided_at = people.it, moment
        if status == Status.IT_DECLINED:
            request.it_note = rng.choice(IT_DECLINED_NOTES)
    if reached >= 3:
        # Applied before the first morning of the lesson when there was time, else straight away.
        lesson_starts = timezone.make_aware(datetime.combine(request.starts_on, time(7, 30)))
        moment = min(after(moment, (1, 8)), max(lesson_starts, moment))
        request.applied_by, request.applied_at = people.it, moment
    if status == Status.WITHDRAWN:
        request.ended_by, request.ended_at = request.requested_by, after(moment, (2, 30))
        request.end_reason = rng.choice(WITHDRAWN_REASONS)
    elif status == Status.REVOKED:
        request.ended_by = rng.choice([people.head, people.it])
        request.ended_at = moment = after(max(moment, request.applied_at), (2, 30))
        request.end_reason = rng.choice(REVOKED_REASONS)
        if request.ends_on < now.date():
            request.removed_by, request.removed_at = people.it, after(moment, (1, 6))
    elif status == Status.REMOVED:
        removed = _at(_school_day_on_or_after(request.ends_on + timedelta(days=1)), rng, 8, 11)
        request.removed_by, request.removed_at = people.it, min(max(removed, moment), now)


def _put_back(model, rows: list, field: str, values: list) -> None:
    """A time set on insert (`auto_now_add`) back to the invented one: the demo's past did not all happen now."""
    for row, value in zip(rows, values, strict=True):
        setattr(row, field, value)
    model.objects.bulk_update(rows, [field], batch_size=500)


@transaction.atomic
def generate_requests(
    school: School,
    people: DemoPeople,
    *,
    count: int,
    first: date,
    last: date,
    rng: random.Random,
    recent_share: float = 0.0,
    open_now: bool = False,
    group: FilterGroup | None = None,
) -> list[FilterExceptionRequest]:
    """
    Bulk-create `count` requests for lessons between two days, with their sites, groups and history, numbered on
    from the school's last number: `recent_share` of them for the fortnight either side of today (running now,
    or waiting at each step); with `open_now`, every one of them applied and open today, each with a page of its
    own besides the lesson's sites; with `group`, every one
    of them for that filter group (else the group of the lesson's year). Fast enough for thousands (no query per
    row).
    """
    filtering_defaults_install(school)
    now = timezone.now()
    today = timezone.localdate()
    secondary = school.phase == School.Phase.SECONDARY
    years = set(YearGroup.objects.filter(school=school).values_list("ncy", flat=True))
    lessons = [
        lesson
        for lesson in (SECONDARY_LESSONS if secondary else PRIMARY_LESSONS)
        if lesson[3] is None or not years or lesson[3] in years
    ]
    groups = {g.appliance_name: g for g in FilterGroup.objects.filter(school=school, is_active=True)}
    categories = {c.name: c for c in SiteCategory.objects.filter(school=school)}
    settings = FilterSettings.objects.select_for_update().get(school=school)
    span = (last - first).days

    planned = []  # (when asked, request, its sites, its group)
    for index in range(count):
        purpose, typed, category, year = rng.choice(lessons)
        if open_now:
            # A page of its own besides the lesson's sites, so that the feed has as many lines as a real one.
            typed = [*typed, f"https://resources.example.org/lessons/{settings.last_number + index + 1}"]
            starts_on = today - timedelta(days=rng.randint(0, 5))
            ends_on = today + timedelta(days=rng.randint(0, 10))
            notice = rng.randint(2, 10)
        else:
            if rng.random() < recent_share:
                starts_on = _school_day_on_or_after(today + timedelta(days=rng.randint(-10, 14)))
            else:
                starts_on = _school_day_on_or_after(first + timedelta(days=rng.randrange(span + 1)))
            ends_on = starts_on + timedelta(days=rng.choice([0, 0, 1, 2, 4, 4, 7, 11, 13, 20]))
            notice = rng.choice([1, 2, 3, 3, 4, 5, 5, 6, 8, 10, 12])
        asked_at = _at(_school_days_before(starts_on, notice), rng, 7, 18)
        if asked_at > now:
            asked_at = now - timedelta(hours=rng.randint(1, 72))
        status = Status.ACTIVE if open_now else _status(rng, starts_on, ends_on, today)
        request = FilterExceptionRequest(
            school=school,
            requested_by=rng.choice(people.askers),
            purpose=purpose,
            category=categories.get(category) or categories.get("Other"),
            starts_on=starts_on,
            ends_on=ends_on,
            status=status,
            is_late=notice < settings.notice_school_days,
        )
        _story(request, rng, people, asked_at, now)
        request._history_date, request._history_user = asked_at, request.requested_by
        sites = []
        for text in typed:
            site = normalise_site(text)
            sites.append(RequestedSite(request=request, kind=site.kind, value=site.value, host=site.host))
            sites[-1]._history_date, sites[-1]._history_user = asked_at, request.requested_by
        planned.append((asked_at, request, sites, group or _group_for(groups, year, secondary)))

    # Numbered in the order they were asked for, on from the school's last number.
    planned.sort(key=lambda p: p[0])
    for number, (_, request, _, _) in enumerate(planned, start=settings.last_number + 1):
        request.number = number
    requests = [p[1] for p in planned]
    bulk_create_with_history(requests, FilterExceptionRequest, batch_size=500)
    _put_back(FilterExceptionRequest, requests, "created_at", [p[0] for p in planned])
    bulk_create_with_history([site for p in planned for site in p[2]], RequestedSite, batch_size=500)
    through = FilterExceptionRequest.groups.through
    through.objects.bulk_create(
        [through(filterexceptionrequest_id=request.pk, filtergroup_id=group.pk) for _, request, _, group in planned],
        batch_size=1000,
    )
    FilterSettings.objects.filter(pk=settings.pk).update(last_number=F("last_number") + len(requests))
    feed_version_bump(school=school)
    return requests


def _reports(school: School, people: DemoPeople, rng: random.Random, count: int, first: date) -> None:
    """A few reports of sites that should have been blocked, most decided, and the changes made to block them."""
    now = timezone.now()
    settings = FilterSettings.objects.select_for_update().get(school=school)
    seen = [
        ("https://free-games-unblocked.example.com/", "A pupil was playing games on a site that gets round the filter."),
        ("https://proxy-site.example.net/browse", "A proxy site was open on a laptop in the library."),
        ("https://chat-random.example.com/", "A random video-chat site opened from a link in a game's chat."),
        ("https://quiz-answers.example.org/", "A site selling homework answers, shown to a class by a pupil."),
    ]
    span = max((now.date() - first).days, 1)
    times = sorted(_at(_school_day_on_or_after(first + timedelta(days=rng.randrange(span))), rng) for _ in range(count))
    times = [min(moment, now - timedelta(hours=2)) for moment in times]
    reports, changes = [], []
    for number, reported_at in enumerate(times, start=settings.last_report_number + 1):
        url, what = rng.choice(seen)
        if (now - reported_at).days < 5 and rng.random() < 0.6:
            status = SiteReport.Status.NEW
        else:
            status = rng.choice([SiteReport.Status.BLOCKED, SiteReport.Status.BLOCKED, SiteReport.Status.NO_ACTION])
        report = SiteReport(
            school=school,
            number=number,
            reported_by=rng.choice(people.askers),
            url=url,
            host=normalise_site(url).host,
            what_was_seen=what,
            where=rng.choice(["Library, laptop 12", "ICT suite 2", "Classroom 14, a school tablet"]),
            seen_at=reported_at - timedelta(minutes=rng.randint(5, 90)),
            status=status,
        )
        report._history_date, report._history_user = reported_at, report.reported_by
        if status != SiteReport.Status.NEW:
            report.decided_by, report.decided_at = people.reviewers[0], min(reported_at + timedelta(hours=3), now)
            report.decision_note = (
                "Blocked on every pupil group."
                if status == SiteReport.Status.BLOCKED
                else "Already blocked in school: it was seen on a phone's own data. Spoken to the class."
            )
        if status == SiteReport.Status.BLOCKED:
            report.blocked_by, report.blocked_at = people.it, min(report.decided_at + timedelta(hours=2), now)
            change = FilterChange(
                school=school,
                kind=FilterChange.Kind.SITE_BLOCKED,
                applies_to=report.host,
                description=f"{report.host} added to the block list of every pupil group.",
                reason=f"Reported as unsuitable ({report.reference}).",
                risk_assessment="Low: the site has no use in lessons.",
                made_at=report.blocked_at,
                made_by=people.it,
                agreement=FilterChange.Agreement.BEFORE,
                agreed_by=people.head,
                agreed_at=report.decided_at,
                site_report=report,
            )
            change._history_date, change._history_user = change.made_at, people.it
            changes.append(change)
        reports.append(report)
    bulk_create_with_history(reports, SiteReport)
    _put_back(SiteReport, reports, "reported_at", times)
    bulk_create_with_history(changes, FilterChange)
    _put_back(FilterChange, changes, "logged_at", [change.made_at for change in changes])
    FilterSettings.objects.filter(pk=settings.pk).update(last_report_number=F("last_report_number") + count)


def _log_reviews(school: School, people: DemoPeople, rng: random.Random, first: date) -> None:
    """A review of the logs each half-term, signed off in the last week of it, up to the last one."""
    now = timezone.now()
    findings = [
        "Every exception was signed off and removed on time; two were asked for late, with reasons.",
        "One exception stayed open two days after its lesson: IT now confirms removals each Friday.",
        "No changes to the filter without agreement. Reports of unsuitable sites were all dealt with within a day.",
    ]
    reviews, previous = [], None
    start_year = academic_year_start(first)
    for year in range(start_year, academic_year_start(now.date()) + 1):
        for month, day in ((10, 20), (12, 18), (2, 12), (3, 28), (5, 22), (7, 18)):
            due = date(year if month >= 9 else year + 1, month, day)
            signed = _at(_school_days_before(due, rng.randint(0, 4)), rng)
            if signed > now:
                break
            review = LogReview(
                school=school,
                covers_from=previous,
                covers_to=signed,
                findings=rng.choice(findings),
                reviewed_by=rng.choice(people.reviewers),
                signed_at=signed,
                was_due_on=due,
            )
            review._history_date, review._history_user = signed, review.reviewed_by
            reviews.append(review)
            previous = signed
    bulk_create_with_history(reviews, LogReview)


# Requests over the five years, by the size of the demo.
COUNTS = {"normal": {"Oakfield Primary School": 400}, "large": {"Castle Hill Academy": 3000}}
OTHER_SCHOOLS = 60
REPORTS = {"normal": 12, "large": 40}


def seed_demo_filtering(*, school, logins, rng, size) -> None:
    """The demo's web filtering: five years of requests, some open today, with reports, changes and log reviews."""
    filtering_defaults_install(school)
    people = demo_people(logins)
    if people is None or FilterExceptionRequest.objects.filter(school=school).exists():
        return
    today = timezone.localdate()
    first = date(academic_year_start(today) - YEARS + 1, 9, 1)
    count = COUNTS.get(size, {}).get(school.name, OTHER_SCHOOLS)
    # Most over the five years; some for the fortnight either side of today, so that the queues and the feed
    # have something in them.
    generate_requests(school, people, count=count, first=first, last=today + timedelta(days=21), rng=rng, recent_share=0.1)
    with transaction.atomic():
        _reports(school, people, rng, REPORTS.get(size, 4), first)
        _log_reviews(school, people, rng, first)
