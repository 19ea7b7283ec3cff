"""
The fixed cast of every test: school A (in a trust) with one user per role,
and school B with its own users, who are outsiders to everything of A's.

    cast.a.users["dsl"]       the DSL of school A
    cast.b.users["teacher"]   a teacher at school B
    cast.a.pupil              Alice Aardvark, Year 7, form 7A, school A
    cast.b.pupil              Bob Badger, Year 7, form 7B, school B
    cast.a.users["chair"]     the chair of governors of school A

Each app adds its own records (`tests/<app>/cast.py`), e.g. `cast.a.incident`.
"""

import importlib
import os
from dataclasses import dataclass, field

import pytest

from esafety.celery import app as celery_app
from esafety.scoping import scope

# Browser tests run the app in a thread beside the test (live_server).
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture(autouse=True)
def _fast_passwords_and_eager_tasks(settings):
    # Argon2 is what production uses (tested in tests/esafety/test_auth.py); it is too slow for every fixture.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    # Celery reads its own config once: set it on the app, not on Django's settings.
    celery_app.conf.task_always_eager = True
    celery_app.conf.task_eager_propagates = True


@pytest.fixture(autouse=True)
def _force_login_is_a_whole_sign_in(monkeypatch):
    """
    `client.force_login(user)` stands for a whole sign-in: the password and, for those who must have one,
    the second factor, given just now (esafety.second_factor). Tests of signing in itself go through the
    login and two-factor pages instead (tests/esafety/test_second_factor.py).
    """
    from django.test import Client

    from esafety.second_factor import session_signed_in_with_second_factor

    sign_in = Client.force_login

    def force_login(self, user, backend=None):
        sign_in(self, user, backend)
        session_signed_in_with_second_factor(self.session, user)

    monkeypatch.setattr(Client, "force_login", force_login)


@dataclass
class SchoolCast:
    school: object
    trust: object
    users: dict = field(default_factory=dict)
    year7: object = None
    form: object = None
    pupil: object = None
    leaver: object = None
    parent: object = None
    staff_member: object = None
    import_job: object = None
    notification: object = None


@dataclass
class Cast:
    a: SchoolCast
    b: SchoolCast

    def everyone(self):
        """(label, user) for every user of both schools."""
        return [(f"a.{k}", u) for k, u in self.a.users.items()] + [(f"b.{k}", u) for k, u in self.b.users.items()]


ROLE_USERS = {
    "teacher": "staff",
    "dsl": "dsl",
    "head": "head",
    "it": "it",
    "office": "office",
    "governor": "governor",
    "lead": "lead",
    "chair": "chair",
}

# Each app adds its own records to a school's cast: a module with `extend(school_cast, letter)`.
CAST_EXTENSIONS = [
    "tests.incidents.cast",
    "tests.consents.cast",
    "tests.filtering.cast",
    "tests.devices.cast",
    "tests.policies.cast",
    "tests.reports.cast",
]


def _build_school(letter: str, pupil_name: tuple[str, str], trust) -> SchoolCast:
    from esafety.models import Trust
    from tests import factories as f

    if trust is None:
        trust = Trust.objects.create(name=f"Trust {letter.upper()}")
    school = f.make_school(name=f"School {letter.upper()}", urn=f"90000{ord(letter)}", trust=trust)
    with scope(school=school):
        return _fill_school(letter, pupil_name, SchoolCast(school=school, trust=trust))


def _fill_school(letter, pupil_name, cast: SchoolCast) -> SchoolCast:
    from esafety.models import ImportJob, Membership, Notification
    from esafety.roles import Role
    from tests import factories as f

    school, trust = cast.school, cast.trust
    for label, role in ROLE_USERS.items():
        user = f.make_user(f"{label}@{letter}.example", f"{label.title()} {letter.upper()}")
        Membership.objects.create(user=user, school=school, role=role)
        cast.users[label] = user
    trust_user = f.make_user(f"trust@{letter}.example", f"Trust {letter.upper()}")
    Membership.objects.create(user=trust_user, trust=trust, role=Role.TRUST)
    cast.users["trust"] = trust_user

    cast.year7 = f.make_year_group(school, 7)
    cast.staff_member = f.make_staff(
        school, "Tutor", f"Teacher{letter.upper()}", mis_id=f"T{letter.upper()}", user=cast.users["teacher"]
    )
    cast.form = f.make_form(school, f"7{letter.upper()}", cast.year7, tutor=cast.staff_member)
    cast.pupil = f.make_pupil(school, *pupil_name, form=cast.form, mis_id=f"{letter}001")
    cast.leaver = f.make_pupil(
        school, "Left", f"Leaver{letter.upper()}", form=cast.form, mis_id=f"{letter}002", leaving_date="2020-07-20"
    )
    cast.parent = f.make_parent(cast.pupil, "Parent", pupil_name[1], mis_id=f"C{letter}001")
    cast.import_job = f.make_import_job(school, cast.users["office"], status=ImportJob.Status.READY)
    cast.notification = Notification.objects.create(school=school, recipient=cast.users["office"], title=f"Hello office {letter}")
    for module in CAST_EXTENSIONS:
        importlib.import_module(module).extend(cast, letter)
    return cast


@pytest.fixture
def cast(db):
    """
    Scopes are enforced in every test (esafety.scoping): a query of a school-owned model outside a school's
    scope raises. A test that uses the cast acts at school A, as a request from a school-A user would;
    `with scope(school=cast.b.school):` acts at school B. A request through the test client, or a task,
    opens its own scope whatever the test's.
    """
    from django.db import transaction

    # One transaction: in transactional (browser, worker) tests, row by row takes ten times as long.
    with transaction.atomic():
        built = Cast(a=_build_school("a", ("Alice", "Aardvark"), trust=None), b=_build_school("b", ("Bob", "Badger"), trust=None))
    with scope(school=built.a.school):
        yield built


@pytest.fixture
def login(client):
    """Log the test client in as a user: `login(cast.a.users["dsl"])`."""

    def _login(user):
        client.force_login(user)
        return client

    return _login
