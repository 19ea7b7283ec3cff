"""
Demo incidents: this and last academic year of a school's incident log, so
that the dashboard's queues and trends have something to show. Registered in
`esafety.demo.DEMO_EXTENSIONS` by `IncidentsConfig.ready()`.

Most incidents are bulk-created (with their history) from a fixed random
seed; the last few are logged and handled through the services, as staff
would, so that their timelines, notifications and history are the real thing.
Either way a case's timeline unfolds as it would at a school: logged in the
school day after it happened, taken up within the day, worked on over the
days after and closed later, in school hours, and never later than now.
`make bench` uses `generate_incidents` to add 25,000 more to the large school.
"""

import random
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from django.db import transaction
from django.utils import timezone
from simple_history.utils import bulk_create_with_history

from esafety.calendar import academic_year_start
from esafety.models import Pupil, StaffMember, User
from esafety.roles import Role
from incidents import selectors, services
from incidents.defaults import incident_defaults_install
from incidents.models import (
    ChecklistStepTemplate,
    Incident,
    IncidentAction,
    IncidentCategory,
    IncidentChecklistStep,
    IncidentEvent,
    IncidentPerson,
    IncidentSettings,
    SanctionAction,
)

Part = IncidentPerson.Part
Severity = Incident.Severity
Status = Incident.Status
Location = Incident.Location

# How often each category comes up, by the first word of its name (incidents/defaults.py).
CATEGORY_WEIGHTS = {
    "Cyberbullying": 28,
    "Use": 20,  # of a phone, camera or other device
    "Inappropriate": 14,
    "Misuse": 10,
    "Getting": 8,  # round the filter
    "Unauthorised": 5,
    "Data": 3,
    "Copyright": 2,
    "Sharing": 3,  # nudes or semi-nudes: restricted
    "Online": 1,  # sexual abuse or grooming: restricted
    "Radicalisation": 1,  # restricted
    "Other": 3,
}
WHAT_HAPPENED = {
    "Cyberbullying": [
        "{a} said that a group chat was set up to make fun of them, and that {b} posted a photo of them with unkind comments.",
        "{a} showed their tutor messages from {b} on a gaming platform calling them names over several evenings.",
        "A parent rang to say that {a} had been left out of a class group chat and that {b} had posted about them.",
    ],
    "Use": [
        "{b} was seen filming another pupil in the corridor on their phone during lesson change.",
        "{b} used their phone in an exam room; it was handed in to the office.",
    ],
    "Inappropriate": [
        "{b} was found watching violent videos on a school laptop in the library.",
        "The filter log showed {b} searching for gambling sites during a computing lesson.",
    ],
    "Misuse": [
        "{b} logged in as {a} using a password {a} had shared with them.",
        "{b} changed another pupil's work in the shared drive.",
    ],
    "Getting": ["{b} was using a VPN app on a school tablet to reach blocked sites.", "{b} shared a proxy link with the class."],
    "Unauthorised": ["{b} downloaded a game installer onto a classroom PC."],
    "Data": ["A class list with pupils' dates of birth was left on a shared screen during a parents' evening."],
    "Copyright": ["{b} submitted coursework copied from a paid website."],
    "Sharing": ["{a} told a teaching assistant that an image of them had been shared among pupils in their year."],
    "Online": ["{a} told their tutor that an adult they met online has been asking them to keep their chats secret."],
    "Radicalisation": ["{b} showed other pupils extremist videos and repeated slogans from them in a lesson."],
    "Other": ["{a} reported an online scam message sent to several pupils' school e-mail."],
}
NOTES = [
    "Spoke to the parents on the phone; they will keep an eye on the pupil's phone use at home.",
    "Pupil seen by the pastoral lead, who will check in with them next week.",
    "Form tutor told; no further issues seen in class.",
]
OUTCOMES = [
    "Spoke to those involved; apology given and accepted. Parents informed.",
    "Warning given and recorded; phone returned to parents at the end of the day.",
    "Filtering rule added by IT; pupil spoke to the computing lead about safe use.",
    "Support put in place with the pastoral team; situation reviewed after two weeks with no further issues.",
]


@dataclass
class SchoolPeople:
    """Who is who at a demo school, looked up once."""

    users: dict[str, User]
    pupils: list[tuple]  # (pk, admission date, leaving date)
    staff_without_login: list[StaffMember]
    _on_roll: dict = field(default_factory=dict, repr=False)

    def pupils_on_roll(self, day: date) -> list:
        # Kept by day: tens of thousands of incidents fall on a few hundred school days.
        if day not in self._on_roll:
            self._on_roll[day] = [
                pk for pk, admitted, left in self.pupils if (admitted is None or admitted <= day) and (left is None or left > day)
            ]
        return self._on_roll[day]


def school_people(school, logins) -> SchoolPeople:
    users = {u.email: u for u in User.objects.filter(email__in=[login.email for login in logins])}
    by_role = {login.role: users[login.email] for login in logins if login.email in users}
    pupils = list(Pupil.objects.for_school(school).values_list("pk", "admission_date", "leaving_date").order_by("mis_id"))
    staff = list(StaffMember.objects.for_school(school).filter(user__isnull=True).order_by("mis_id")[:20])
    return SchoolPeople(by_role, pupils, staff)


def _occurred(rng: random.Random, day: date, location: str) -> datetime:
    # Online incidents are mostly reported from evenings; the rest happen in the school day.
    hour = rng.choice([17, 18, 19, 20, 21]) if location == Location.ONLINE else rng.randint(8, 15)
    return timezone.make_aware(datetime.combine(day, time(hour, rng.choice([0, 10, 20, 30, 40, 50]))))


def _is_school_day(day: date) -> bool:
    return day.weekday() < 5 and day.month != 8


def _school_day(rng: random.Random, first: date, last: date) -> date:
    span = (last - first).days
    for _ in range(10):
        day = first + timedelta(days=rng.randrange(span + 1))
        if _is_school_day(day):
            return day
    return day


# When staff deal with incidents: a case's timeline moves on in the school day, over the days after it is logged.
SCHOOL_OPENS, SCHOOL_CLOSES = time(8, 0), time(16, 30)


def _school_time_from(rng: random.Random, moment: datetime) -> datetime:
    """The moment itself if the school is open then; else early in the next school day (an evening's incident
    online is told to a teacher the next morning)."""
    local = timezone.localtime(moment)
    if _is_school_day(local.date()) and SCHOOL_OPENS <= local.time() < SCHOOL_CLOSES:
        return moment
    day = local.date() if local.time() < SCHOOL_OPENS else local.date() + timedelta(days=1)
    while not _is_school_day(day):
        day += timedelta(days=1)
    return timezone.make_aware(datetime.combine(day, SCHOOL_OPENS)) + timedelta(minutes=rng.randint(5, 100))


def _school_time_between(rng: random.Random, start: datetime, end: datetime) -> datetime:
    """A moment of a school day between two moments; any moment between them if the school is shut all that time."""
    moment = start + (end - start) * rng.random()
    opened = _school_time_from(rng, moment)
    if opened <= end:
        return opened
    # The school opens next after `end`: the last school hours before it, if they are after `start`.
    local = timezone.localtime(end)
    day = local.date()
    if not (_is_school_day(day) and local.time() >= SCHOOL_OPENS):
        day -= timedelta(days=1)
        while not _is_school_day(day):
            day -= timedelta(days=1)
    closes = min(timezone.make_aware(datetime.combine(day, SCHOOL_CLOSES)), end)
    earliest = max(timezone.make_aware(datetime.combine(day, SCHOOL_OPENS)), start)
    return earliest + (closes - earliest) * rng.random() if earliest <= closes else moment


@transaction.atomic
def generate_incidents(school, people: SchoolPeople, *, count: int, first: date, last: date, rng: random.Random) -> int:
    """
    Bulk-create `count` incidents between two days, with their people, timeline,
    checklist and tasks, numbered on from the school's last number. Returns how
    many were made. Fast enough for tens of thousands (no per-row queries).
    """
    incident_defaults_install(school)
    categories = {c.name.split(" ")[0]: c for c in IncidentCategory.objects.for_school(school).select_related("pupil_row")}
    weighted = [(categories[key], weight) for key, weight in CATEGORY_WEIGHTS.items() if key in categories]
    steps = defaultdict(list)
    for template in ChecklistStepTemplate.objects.filter(category__school=school).order_by("order", "pk"):
        steps[template.category_id].append(template.text)
    row_actions = defaultdict(list)
    for action in SanctionAction.objects.filter(school=school).prefetch_related("rows").order_by("order"):
        for row in action.rows.all():
            row_actions[row.pk].append(action)
    u = people.users
    dsl, head = u[Role.DSL], u[Role.HEAD]
    reporters = [u[r] for r in (Role.STAFF, Role.STAFF, Role.STAFF, Role.LEAD, Role.IT, Role.OFFICE, Role.DSL) if r in u]
    owners = {
        SanctionAction.Owner.TUTOR: u.get(Role.STAFF, dsl),
        SanctionAction.Owner.IT: u.get(Role.IT, dsl),
        SanctionAction.Owner.HEAD: head,
        SanctionAction.Owner.LINE_MANAGER: head,
    }
    now = timezone.now()
    today = timezone.localdate()
    settings = IncidentSettings.objects.select_for_update().get(school=school)

    planned = []
    for _ in range(count):
        category = rng.choices([c for c, _ in weighted], weights=[w for _, w in weighted])[0]
        location = rng.choices(Location.values, weights=[45, 3, 12, 40])[0]
        day = _school_day(rng, first, last)
        # Today's evening has not come yet: an incident of today happened a little while ago.
        occurred = min(_occurred(rng, day, location), now - timedelta(minutes=rng.randint(30, 180)))
        planned.append((occurred, category, location))
    planned.sort(key=lambda item: item[0])

    incidents, persons, events, checklist, actions = [], [], [], [], []

    def event(incident, at, actor, summary, note=""):
        events.append(IncidentEvent(incident=incident, at=at, actor=actor, summary=summary, note=note))

    for occurred, category, location in planned:
        settings.last_number += 1
        restricted = category.child_protection
        severity = rng.choices(Severity.values, weights=[5, 25, 45, 25] if restricted else [30, 48, 18, 4])[0]
        age = (today - occurred.date()).days
        if age > 45:
            status = rng.choices([Status.CLOSED, Status.OPEN, Status.WAITING], weights=[985, 10, 5])[0]
        else:
            status = rng.choices([Status.NEW, Status.OPEN, Status.WAITING, Status.CLOSED], weights=[15, 35, 10, 40])[0]
        reporter = rng.choice(reporters)
        # Its timeline, never later than now: logged in the school day after it happened, taken up (assigned)
        # within the day, worked on over the days after, closed within a month or so.
        reported_at = _school_time_from(rng, occurred + timedelta(minutes=rng.randint(10, 150)))
        if reported_at > now:  # happened after the last school day so far: logged since
            reported_at = _school_time_between(rng, occurred, now)
        handler = None if status == Status.NEW or rng.random() < 0.05 else (head if restricted and rng.random() < 0.2 else dsl)
        closed_at = None
        if status == Status.CLOSED:
            closing = _school_time_from(rng, reported_at + timedelta(days=rng.randint(1, 30), minutes=rng.randint(0, 300)))
            closed_at = closing if closing < now else _school_time_between(rng, reported_at, now)
        # Work on an open case so far: the last two to twenty days of it.
        until = closed_at or min(reported_at + timedelta(days=rng.randint(2, 20)), now)
        taken_up = min(_school_time_from(rng, reported_at + timedelta(minutes=rng.randint(15, 240))), until)
        handled_by = handler or dsl
        on_roll = people.pupils_on_roll(occurred.date()) or [pk for pk, _, _ in people.pupils]
        chosen = rng.sample(on_roll, k=min(len(on_roll), rng.choices([1, 2, 3], weights=[40, 45, 15])[0]))
        template = rng.choice(WHAT_HAPPENED[category.name.split(" ")[0]])
        incident = Incident(
            school=school,
            number=settings.last_number,
            occurred_at=occurred,
            location=location,
            location_detail=rng.choice(["", "", "ICT suite", "Library", "Playground", "Form room", "Bus home"])
            if location != Location.ONLINE
            else rng.choice(["", "Group chat", "Gaming platform", "Social media"]),
            category=category,
            matrix_row=category.pupil_row,
            description=template.format(a="the pupil affected", b="another pupil"),
            immediate_action=rng.choice(["", "Separated the pupils and spoke to both.", "Took the device to the office."]),
            told_dsl_in_person=restricted or rng.random() < 0.3,
            severity=severity,
            status=status,
            audience=Incident.Audience.SAFEGUARDING if restricted else Incident.Audience.GENERAL,
            reported_by=reporter,
            reported_at=reported_at,
            assigned_to=handler,
            agency=rng.choice(["Children's social care", "Police"]) if status == Status.WAITING else "",
            agency_reference=f"REF{rng.randint(10000, 99999)}" if status == Status.WAITING else "",
            outcome=rng.choice(OUTCOMES) if closed_at else "",
            closed_at=closed_at,
        )
        incident._history_date, incident._history_user = reported_at, reporter
        incidents.append(incident)
        parts = [Part.AFFECTED, Part.ALLEGED, Part.WITNESS] if len(chosen) > 1 else [rng.choice([Part.AFFECTED, Part.ALLEGED])]
        for pupil_id, part in zip(chosen, parts, strict=False):
            person = IncidentPerson(incident=incident, part=part, pupil_id=pupil_id)
            person._history_date, person._history_user = reported_at, reporter
            persons.append(person)

        event(incident, reported_at, reporter, f"Logged as {category.name}, severity {incident.get_severity_display().lower()}")
        if handler:
            event(incident, taken_up, dsl, f"Assigned to {handler}")
        texts = steps.get(category.pk, [])
        done_count = len(texts) if closed_at else (rng.randint(0, len(texts)) if status != Status.NEW else 0)
        done_ats = sorted(_school_time_between(rng, taken_up, until) for _ in range(done_count))
        for order, text in enumerate(texts):
            done_at = done_ats[order] if order < done_count else None
            step = IncidentChecklistStep(
                incident=incident,
                order=order,
                text=text,
                done_at=done_at,
                done_by=handled_by if done_at else None,
                note="Done as planned." if done_at and rng.random() < 0.3 else "",
            )
            step._history_date, step._history_user = reported_at, reporter
            checklist.append(step)
            if done_at:
                event(incident, done_at, handled_by, f"Checklist: {text}", step.note)
        if status != Status.NEW and category.pupil_row_id and rng.random() < 0.6:
            chosen_at = _school_time_between(rng, taken_up, min(until, taken_up + timedelta(days=1)))
            for sanction in row_actions[category.pupil_row_id][: rng.randint(1, 2)]:
                owner = handled_by if restricted else owners.get(sanction.default_owner, handled_by)
                due = timezone.localdate(chosen_at) + timedelta(days=sanction.due_in_days)
                done_at = None
                if closed_at or rng.random() < 0.4:
                    done_at = _school_time_between(rng, chosen_at, until)
                action = IncidentAction(
                    incident=incident,
                    sanction_action=sanction,
                    title=sanction.name,
                    owner=owner,
                    due_on=due,
                    done_at=done_at,
                    done_by=owner if done_at else None,
                    note="",
                )
                action._history_date, action._history_user = chosen_at, handled_by
                actions.append(action)
                event(incident, chosen_at, handled_by, f"Action: {sanction.name}, for {owner}, by {due:%d/%m/%Y}")
                if done_at:
                    event(incident, done_at, owner, f"Done: {sanction.name}")
        if status != Status.NEW and rng.random() < 0.25:
            event(incident, _school_time_between(rng, taken_up, until), handled_by, "Note", rng.choice(NOTES))
        if status == Status.WAITING:
            event(
                incident,
                _school_time_between(rng, taken_up, until),
                handled_by,
                f"Waiting on {incident.agency} (ref. {incident.agency_reference})",
            )
        if closed_at:
            event(incident, closed_at, handled_by, "Closed", incident.outcome)

    bulk_create_with_history(incidents, Incident, batch_size=500, default_change_reason="Logged")
    bulk_create_with_history(persons, IncidentPerson, batch_size=500)
    IncidentEvent.objects.bulk_create(events, batch_size=500)
    bulk_create_with_history(checklist, IncidentChecklistStep, batch_size=500)
    bulk_create_with_history(actions, IncidentAction, batch_size=500)
    # The counter alone, with no history entry (as incidents.services.incident_log).
    IncidentSettings.objects.filter(pk=settings.pk).update(last_number=settings.last_number)
    return len(incidents)


def _handled_through_services(school, people: SchoolPeople, rng: random.Random) -> None:
    """
    A handful of recent incidents logged and handled as staff would, with real timelines: each service runs
    at the moment it would have, on the last school days, with the clock taken back to it, so that the
    timeline, the rows' own times, the history and the notifications all say when it happened.
    """
    # Here, not at the top: the app loads this module at start-up, and only the demo takes the clock back.
    import time_machine

    u = people.users
    teacher, dsl = u.get(Role.STAFF), u[Role.DSL]
    categories = {c.name.split(" ")[0]: c for c in IncidentCategory.objects.for_school(school)}
    pupils = people.pupils_on_roll(timezone.localdate())
    chosen = Pupil.objects.filter(pk__in=rng.sample(pupils, k=min(6, len(pupils)))).order_by("mis_id")
    a, b, c, d, e, f = (list(chosen) * 6)[:6]

    # The two school days before today, and the day of the newest incidents: today once its morning is
    # over (so that nothing is later than now), else the last school day.
    today, now = timezone.localdate(), timezone.localtime()
    earlier, day = [], today
    while len(earlier) < 2:
        day -= timedelta(days=1)
        if _is_school_day(day):
            earlier.append(day)
    last, previous = earlier
    newest = today if _is_school_day(today) and now.time() >= time(11, 30) else last

    def at(day: date, hour: int, minute: int) -> datetime:
        # A few minutes either way: staff do not work to the quarter-hour. Steps below are 15 minutes apart or more.
        return timezone.make_aware(datetime.combine(day, time(hour, minute))) + timedelta(minutes=rng.randint(0, 9))

    def then(moment: datetime):
        # The clock stands still for the step: its rows, history and timeline entry all have its time.
        return time_machine.travel(moment, tick=False)

    def log(name, involved, occurred, reporter=teacher, **extra):
        return services.incident_log(
            school=school,
            actor=reporter or dsl,
            occurred_at=occurred,
            location=extra.pop("location", Location.ONLINE),
            category=categories[name],
            description=extra.pop("description"),
            people=involved,
            **extra,
        )

    # Found in a lesson, logged before lunch, dealt with the same day and closed the next morning.
    with then(at(previous, 11, 15)):
        filter_case = log(
            "Getting",
            [services.Involved(Part.ALLEGED, pupil=f)],
            at(previous, 10, 40),
            location=Location.IN_SCHOOL,
            description=f"{f.full_name} was using a VPN app on a school tablet.",
            severity=Severity.LOW,
        )
    with then(at(previous, 11, 45)):
        services.incident_assign(incident=filter_case, assignee=dsl, actor=dsl)
    with then(at(last, 9, 30)):
        services.incident_close(incident=filter_case, actor=dsl, outcome="Warning given; IT blocked the app.", lessons_learnt="")

    # Messages one evening, shown to a teacher the next morning; the DSL takes it up at once and works on it all day.
    with then(at(last, 8, 35)):
        bullying = log(
            "Cyberbullying",
            [services.Involved(Part.AFFECTED, pupil=a), services.Involved(Part.ALLEGED, pupil=b)],
            at(previous, 19, 30),
            description=f"{a.full_name} showed me messages in a class group chat in which {b.full_name} called them names.",
            immediate_action="Asked for screenshots to be kept and told the pupil we would act today.",
        )
    with then(at(last, 9, 5)):
        services.incident_assign(incident=bullying, assignee=dsl, actor=dsl)
    with then(at(last, 9, 25)):
        services.evidence_register(
            incident=bullying,
            actor=dsl,
            description="Screenshots of the group chat",
            location="DSL's locked cabinet",
            held_by=dsl.full_name,
            secured_at=at(last, 8, 45),
        )
    for step, moment in zip(bullying.checklist.order_by("order")[:2], [at(last, 10, 5), at(last, 13, 40)], strict=False):
        with then(moment):
            services.checklist_step_complete(step=step, actor=dsl, note="Done with the form tutor.")
    with then(at(last, 14, 10)):
        proposals = selectors.proposed_actions(bullying, dsl)[:2]
        services.incident_actions_add(
            incident=bullying,
            actor=dsl,
            chosen=[services.ChosenAction(p.action.name, p.owner or dsl, p.due_on, p.action) for p in proposals],
        )

    # A parent's complaint about a member of staff, passed on first thing.
    if people.staff_without_login and u.get(Role.HEAD):
        member = people.staff_without_login[0]
        with then(at(last, 8, 50)):
            log(
                "Staff",
                [services.Involved(Part.ALLEGED, staff=member)],
                at(previous, 20, 15),
                reporter=u.get(Role.LEAD) or dsl,
                description=f"A parent complained that {member.full_name} follows pupils on a personal social media account.",
            )

    # The newest two, logged this morning (or on the last school day) and not taken up yet.
    with then(at(newest, 9, 30)):
        log(
            "Use",
            [services.Involved(Part.ALLEGED, pupil=c)],
            at(newest, 9, 0),
            location=Location.IN_SCHOOL,
            description=f"{c.full_name} was filming in the changing room on their phone.",
            severity=Severity.HIGH,
        )
    with then(at(newest, 10, 20)):
        log(
            "Sharing",
            [services.Involved(Part.AFFECTED, pupil=d), services.Involved(Part.REPORTER, pupil=e)],
            at(newest, 8, 0),
            description=f"{e.full_name} told me an image of {d.full_name} is being passed round. I have not looked at it.",
            severity=Severity.IMMEDIATE,
            told_dsl_in_person=True,
        )


# Incidents per demo school, by the size of the demo.
COUNTS = {"normal": {"Oakfield Primary School": 150}, "large": {"Castle Hill Academy": 600}}
OTHER_SCHOOLS = 25


def seed_demo_incidents(*, school, logins, rng, size) -> None:
    """The demo's incidents: this and last academic year, most of them dealt with."""
    incident_defaults_install(school)
    people = school_people(school, logins)
    if Role.DSL not in people.users or not people.pupils:
        return
    today = timezone.localdate()
    first = date(academic_year_start(today) - 1, 9, 1)
    count = COUNTS.get(size, {}).get(school.name, OTHER_SCHOOLS)
    generate_incidents(school, people, count=count, first=first, last=today - timedelta(days=4), rng=rng)
    _handled_through_services(school, people, rng)
