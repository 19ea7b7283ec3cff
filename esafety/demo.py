"""
Believable demo schools: pupils in year groups and forms, their parents and
carers, staff, and one login per role. Used by `manage.py seed_demo` and by
`make bench` (the large secondary school with five years of leavers).

Names are drawn from fixed lists with a fixed random seed, so two runs build
the same school. Other apps add their demo records through `DEMO_EXTENSIONS`.
"""

import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from simple_history.utils import bulk_create_with_history

from esafety.calendar import academic_year_start
from esafety.models import FormGroup, Membership, ParentCarer, Pupil, PupilContact, School, StaffMember, Trust, User, YearGroup
from esafety.roles import Role
from esafety.schools import school_create
from esafety.scoping import scope
from esafety.second_factor import REQUIRED_FOR, second_factor_enrol_for_demo
from esafety.terms.demo import seed_demo_term_dates

DEMO_PASSWORD = "demo-password"

FIRST_NAMES = (
    "Olivia Amelia Isla Ava Mia Ivy Lily Isabella Rosie Sophia Grace Freya Willow Florence Emily Ella Poppy Evie "
    "Elsie Charlotte Evelyn Sienna Aria Daisy Harper Ruby Sofia Alice Matilda Zara Aisha Maryam Hannah Chloe "
    "Noah Muhammad George Oliver Leo Arthur Oscar Theodore Freddie Theo Henry Archie Jack Alfie Charlie Finley "
    "Lucas Thomas Jacob Teddy Reggie Isaac Tommy Arlo Harry Joshua Ethan Mason Samuel Adam Yusuf Ibrahim Kai Ben"
).split()
LAST_NAMES = (
    "Smith Jones Williams Taylor Brown Davies Evans Wilson Thomas Johnson Roberts Robinson Thompson Wright Walker "
    "White Edwards Hughes Green Hall Lewis Harris Clarke Patel Jackson Wood Turner Martin Cooper Hill Ward Morris "
    "Moore Clark Lee King Baker Harrison Morgan Allen James Scott Phillips Watson Davis Parker Price Bennett Young "
    "Griffiths Mitchell Kelly Cook Carter Richardson Bailey Collins Bell Shaw Murphy Miller Cox Richards Khan "
    "Marshall Anderson Simpson Ellis Adams Singh Begum Wilkinson Foster Chapman Powell Webb Rogers Gray Mason Ali "
    "Hunt Hussain Campbell Matthews Owen Palmer Holmes Mills Barnes Knight Lloyd Butler Russell Barker Fisher"
).split()
STAFF_TITLES = ["Mr", "Mrs", "Ms", "Miss", "Dr"]


@dataclass(frozen=True)
class SchoolPlan:
    name: str
    urn: str
    phase: str
    domain: str
    year_groups: tuple[int, ...]
    forms_per_year: int
    pupils_per_form: int
    staff: int
    years_of_history: int = 0


SMALL = SchoolPlan(
    "Oakfield Primary School", "100001", School.Phase.PRIMARY, "oakfield.example", (0, 1, 2, 3, 4, 5, 6), 2, 29, 40
)
PARTNER = SchoolPlan("Brookside Infant School", "100002", School.Phase.PRIMARY, "brookside.example", (0, 1, 2), 1, 20, 12)
LARGE = SchoolPlan(
    "Castle Hill Academy", "100003", School.Phase.SECONDARY, "castlehill.example", (7, 8, 9, 10, 11, 12, 13), 8, 27, 120, 5
)

# Other apps add their demo records (incidents, consents, …) here: f(school, users, rng, size).
DEMO_EXTENSIONS: list[Callable] = []


@dataclass
class DemoLogin:
    role: str
    email: str
    name: str


def _birth_date(rng: random.Random, ncy: int, year_start: int) -> date:
    # A child in NCY n on 1 September of year Y was born between 1 Sep (Y-n-5) and 31 Aug (Y-n-4).
    start = date(year_start - ncy - 5, 9, 1)
    return start + timedelta(days=rng.randrange(365))


def build_school(plan: SchoolPlan, *, trust: Trust | None, seed: int = 2026) -> tuple[School, list[DemoLogin]]:
    """Create one school with its people and one login per role. Returns the school and its logins."""
    rng = random.Random(seed + int(plan.urn))
    today = timezone.localdate()
    year_start = academic_year_start(today)
    with transaction.atomic():
        school = school_create(name=plan.name, urn=plan.urn, phase=plan.phase, trust=trust, email=f"office@{plan.domain}")
    with transaction.atomic(), scope(school=school):
        year_groups = {ncy: YearGroup.objects.create(school=school, ncy=ncy) for ncy in plan.year_groups}

        staff = _build_staff(plan, school, rng, today)
        forms = []
        letters = "ABCDEFGHJK"
        tutors = iter(staff[5:])
        for ncy, year in year_groups.items():
            for index in range(plan.forms_per_year):
                label = "R" if ncy == 0 else str(ncy)
                forms.append(FormGroup(school=school, name=f"{label}{letters[index]}", year_group=year, tutor=next(tutors, None)))
        forms = bulk_create_with_history(forms, FormGroup)

        pupils = []
        serial = 1000
        for form in forms:
            ncy = next(n for n, y in year_groups.items() if y.pk == form.year_group_id)
            for _ in range(plan.pupils_per_form + rng.randint(-2, 1)):
                serial += 1
                pupils.append(_pupil(rng, school, year_groups[ncy], form, ncy, year_start, serial, None, _surname(rng, pupils)))
        # Five years of leavers for a school with history: their records stay, they leave the lists.
        lowest = min(plan.year_groups)
        for years_ago in range(1, plan.years_of_history + 1):
            for _ in range(plan.forms_per_year * plan.pupils_per_form):
                serial += 1
                left = date(year_start - years_ago + 1, 7, 20)
                oldest = max(plan.year_groups)
                last = _surname(rng, pupils)
                pupils.append(
                    _pupil(rng, school, year_groups[oldest], None, oldest, year_start - years_ago, serial, left, last, lowest)
                )
        pupils = bulk_create_with_history(pupils, Pupil, batch_size=500)
        _build_contacts(school, pupils, rng)
        logins = _build_logins(plan, school, staff, trust)
        seed_demo_term_dates(school)
    return school, logins


def _surname(rng, pupils) -> str:
    # About one pupil in six is a sibling of the pupil made before: same surname, and same parents.
    if pupils and rng.random() < 0.16:
        return pupils[-1].last_name
    return rng.choice(LAST_NAMES)


def _pupil(rng, school, year, form, ncy, year_start, serial, leaving, last, lowest=None) -> Pupil:
    first = rng.choice(FIRST_NAMES)
    admitted_years_ago = ncy - (lowest if lowest is not None else 0) if leaving else rng.randint(0, max(ncy, 0))
    admission = date(year_start - max(admitted_years_ago, 0), 9, 3)
    return Pupil(
        school=school,
        first_name=first,
        preferred_name=first[:3] if rng.random() < 0.04 else "",
        last_name=last,
        date_of_birth=_birth_date(rng, ncy, year_start),
        year_group=year,
        form=form,
        mis_id=f"{serial:06d}",
        upn=f"A{school.urn[-3:]}{serial:09d}",
        admission_date=admission,
        leaving_date=leaving,
        additional_needs=rng.random() < 0.06,
    )


def _build_staff(plan, school, rng, today) -> list[StaffMember]:
    jobs = ["Head teacher", "Deputy head and DSL", "IT and network manager", "Office manager", "Computing lead"]
    staff = []
    used_codes = set()
    for index in range(plan.staff):
        first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        code = (first[0] + last[:2]).upper()
        while code in used_codes:
            code = code[:2] + chr(ord("A") + rng.randrange(26))
        used_codes.add(code)
        staff.append(
            StaffMember(
                school=school,
                title=rng.choice(STAFF_TITLES),
                first_name=first,
                last_name=last,
                email=f"{first[0].lower()}.{last.lower()}{index}@{plan.domain}",
                job_title=jobs[index]
                if index < len(jobs)
                else rng.choice(["Teacher", "Teacher", "Teaching assistant", "Teacher", "Lunchtime supervisor"]),
                start_date=today - timedelta(days=rng.randrange(200, 5000)),
                mis_id=code,
            )
        )
    staff = bulk_create_with_history(staff, StaffMember)
    for member in staff[1:]:
        member.line_manager = staff[0] if member.job_title != "Teaching assistant" else staff[1]
    StaffMember.objects.bulk_update(staff[1:], ["line_manager"])
    return staff


def _build_contacts(school, pupils, rng) -> None:
    contacts, links = [], []
    serial = 0
    family = None
    previous_last_name = None
    for pupil in pupils:
        # Siblings (the pupil before with the same surname, see `_pupil`) share their parents.
        if family is None or pupil.last_name != previous_last_name:
            family = []
            for relationship in ("mother", "father") if rng.random() < 0.7 else ("mother",):
                serial += 1
                first = rng.choice(FIRST_NAMES)
                contact = ParentCarer(
                    school=school,
                    title="Mrs" if relationship == "mother" else "Mr",
                    first_name=first,
                    last_name=pupil.last_name,
                    email=f"{first.lower()}.{pupil.last_name.lower()}{serial}@example.org",
                    phone=f"07700 9{serial % 100000:05d}",
                    mis_id=f"C{serial:06d}",
                )
                contacts.append(contact)
                family.append((contact, relationship))
        previous_last_name = pupil.last_name
        for priority, (contact, relationship) in enumerate(family, start=1):
            links.append(
                PupilContact(
                    pupil=pupil, contact=contact, relationship=relationship, parental_responsibility=True, priority=priority
                )
            )
    bulk_create_with_history(contacts, ParentCarer, batch_size=500)
    bulk_create_with_history(links, PupilContact, batch_size=500)


def _build_logins(plan, school, staff, trust) -> list[DemoLogin]:
    people = {
        Role.HEAD: staff[0],
        Role.DSL: staff[1],
        Role.IT: staff[2],
        Role.OFFICE: staff[3],
        Role.LEAD: staff[4],
        Role.STAFF: staff[5],
    }
    logins = []
    for role, member in people.items():
        user = User.objects.create_user(f"{role}@{plan.domain}", DEMO_PASSWORD, full_name=member.full_name)
        member.user = user
        member.save(update_fields=["user"])
        Membership.objects.create(user=user, school=school, role=role)
        if role != Role.STAFF:
            Membership.objects.create(user=user, school=school, role=Role.STAFF)
        logins.append(DemoLogin(role, user.email, user.full_name))
    governor = User.objects.create_user(f"governor@{plan.domain}", DEMO_PASSWORD, full_name="Patricia Okafor")
    Membership.objects.create(user=governor, school=school, role=Role.GOVERNOR)
    logins.append(DemoLogin(Role.GOVERNOR, governor.email, governor.full_name))
    chair = User.objects.create_user(f"chair@{plan.domain}", DEMO_PASSWORD, full_name="Geoffrey Lamb")
    Membership.objects.create(user=chair, school=school, role=Role.GOVERNOR)
    Membership.objects.create(user=chair, school=school, role=Role.CHAIR)
    logins.append(DemoLogin(Role.CHAIR, chair.email, chair.full_name))
    return logins


def build_demo(size: str = "normal") -> list[tuple[School, list[DemoLogin]]]:
    """The demo: a trust with Oakfield Primary (about 400 pupils) and a small partner school, or the large secondary."""
    trust = Trust.objects.create(name="Meadow Learning Trust")
    built = []
    plans = [LARGE] if size == "large" else [SMALL, PARTNER]
    for plan in plans:
        school, logins = build_school(plan, trust=trust)
        built.append((school, logins))
    first_school, first_logins = built[0]
    domain = plans[0].domain
    trust_user = User.objects.create_user(f"trust@{domain}", DEMO_PASSWORD, full_name="Samira Bashir")
    Membership.objects.create(user=trust_user, trust=trust, role=Role.TRUST)
    first_logins.append(DemoLogin(Role.TRUST, trust_user.email, trust_user.full_name))
    admin = User.objects.create_superuser(f"admin@{domain}", DEMO_PASSWORD, full_name="Set-up administrator")
    first_logins.append(DemoLogin("admin", admin.email, admin.full_name))
    # Those who must sign in with a second factor have one already, so that the demo is one command.
    for user in User.objects.filter(Q(is_superuser=True) | Q(memberships__role__in=REQUIRED_FOR)).distinct():
        second_factor_enrol_for_demo(user=user)
    for extend in DEMO_EXTENSIONS:
        for school, logins in built:
            with scope(school=school):
                extend(school=school, logins=logins, rng=random.Random(2026), size=size)
    return built
