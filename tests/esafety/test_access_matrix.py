"""
Every URL of the app, for anonymous visitors, every role of school A and
every user of school B. A URL with no row in MATRIX fails the suite, so a
new view cannot land without its access rule.

For each URL the row says which roles of school A get in. Everyone else at
school A gets 403 (their role lacks the capability). School B's users get
the same answer as their role would at A, except that records belonging to
school A are 404 for them (they do not exist at B), and lists show them
nothing of school A.
"""

import importlib
from pathlib import Path

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

from esafety.calendar import academic_year_start
from esafety.models import ImportJob
from tests.access_rules import ALL, AUDITORS, EXPORTERS, OFFICE, PEOPLE, SAFEGUARDING, Row

# Roles that need not sign in with a second factor (esafety.second_factor.REQUIRED_FOR).
OPTIONAL_SECOND_FACTOR = frozenset({"teacher", "office", "governor", "lead"})
RESETTERS = frozenset({"head", "it"})
# The school's term dates (esafety.terms): kept by the office and the head.
TERM_KEEPERS = frozenset({"head", "office"})


def _this_school_year(cast):
    return {"start_year": academic_year_start(timezone.localdate())}


CORE = {
    "home": Row(ALL),
    "healthz": Row(ALL, public=True),
    "school_switch": Row(ALL, method="post", data=lambda c: {"school": c.a.school.pk}, ok=302, record_of_a=True),
    "pupil_list": Row(PEOPLE, query="?q=a&sort=-year"),
    "pupil_export": Row(EXPORTERS),
    "pupil_detail": Row(PEOPLE, kwargs=lambda c: {"pupil_id": c.a.pupil.pk}, record_of_a=True),
    "pupil_flag": Row(
        SAFEGUARDING,
        kwargs=lambda c: {"pupil_id": c.a.pupil.pk},
        method="post",
        data=lambda c: {"additional_needs": "on", "additional_needs_note": "Known to social care"},
        ok=302,
        record_of_a=True,
    ),
    "form_list": Row(PEOPLE),
    "form_detail": Row(PEOPLE, kwargs=lambda c: {"form_id": c.a.form.pk}, record_of_a=True),
    "staff_list": Row(PEOPLE),
    "staff_detail": Row(PEOPLE, kwargs=lambda c: {"staff_id": c.a.staff_member.pk}, record_of_a=True),
    "import_list": Row(OFFICE),
    "import_template": Row(OFFICE, kwargs=lambda c: {"kind": "pupils"}),
    "import_detail": Row(OFFICE, kwargs=lambda c: {"job_id": c.a.import_job.pk}, record_of_a=True),
    "import_progress": Row(OFFICE, kwargs=lambda c: {"job_id": c.a.import_job.pk}, record_of_a=True),
    "import_confirm": Row(
        OFFICE,
        kwargs=lambda c: {"job_id": c.a.import_job.pk},
        method="post",
        data=lambda c: {"accept": ImportJob.Accept.ALL},
        ok=302,
        record_of_a=True,
    ),
    "import_cancel": Row(OFFICE, kwargs=lambda c: {"job_id": c.a.import_job.pk}, method="post", ok=302, record_of_a=True),
    "notification_list": Row(ALL),
    "notification_open": Row(
        # A notification is its recipient's alone: for anyone else it does not exist.
        frozenset({"office"}),
        kwargs=lambda c: {"notification_id": c.a.notification.pk},
        method="post",
        ok=302,
        record_of_a=True,
        outsiders_get=404,
    ),
    "notifications_read_all": Row(ALL, method="post", ok=302),
    "access_log": Row(AUDITORS),
    # Django's own account pages: open to everyone, logged in or not.
    "login": Row(ALL, public=True),
    "logout": Row(ALL, method="post", ok=302, public=True),
    "password_change": Row(ALL),
    "password_change_done": Row(ALL),
    "password_reset": Row(ALL, public=True),
    "password_reset_done": Row(ALL, public=True),
    "password_reset_confirm": Row(ALL, kwargs=lambda c: {"uidb64": "MQ", "token": "set-password"}, public=True),
    "password_reset_complete": Row(ALL, public=True),
    "pupil_chronology": Row(PEOPLE, kwargs=lambda c: {"pupil_id": c.a.pupil.pk}, record_of_a=True),
    # Two-factor sign-in. The cast's privileged users have an authenticator app (tests/conftest.py), so
    # the set-up page sends them on to the code page; the others have none, so the code page sends them
    # to the set-up page, and new backup codes need a session that passed a second factor.
    "second_factor_verify": Row(ALL, statuses=dict.fromkeys(OPTIONAL_SECOND_FACTOR, 302)),
    "second_factor_setup": Row(ALL, statuses=dict.fromkeys(ALL - OPTIONAL_SECOND_FACTOR, 302)),
    "backup_codes_renew": Row(ALL, method="post", statuses=dict.fromkeys(OPTIONAL_SECOND_FACTOR, 302)),
    "account_security": Row(ALL),
    # Ends one of the user's own other sessions, named by a digest: nobody has one called this.
    "session_end": Row(ALL, kwargs=lambda c: {"ref": "0" * 20}, method="post", ok=404),
    "sessions_end_others": Row(ALL, method="post", ok=302),
    "second_factor_people": Row(RESETTERS),
    "second_factor_reset": Row(
        RESETTERS, kwargs=lambda c: {"user_id": c.a.users["teacher"].pk}, method="post", ok=302, record_of_a=True
    ),
    # Term dates: no URL names a record of school A, so school B's office and head get the same pages, with
    # their own school's dates. The import, sent without a file, shows the screen again saying a file is needed.
    "terms:term_dates_current": Row(TERM_KEEPERS, ok=302),
    "terms:term_dates": Row(TERM_KEEPERS, kwargs=_this_school_year),
    "terms:term_dates_import": Row(TERM_KEEPERS, kwargs=_this_school_year, method="post", ok=400),
    "terms:term_dates_csv": Row(TERM_KEEPERS, kwargs=_this_school_year),
}

# Each app keeps the rows of its own URLs beside its tests, in tests/<app>/access_rows.py: found here by name.
APP_ROWS = {
    name: row
    for path in sorted(Path(__file__).resolve().parents[1].glob("*/access_rows.py"))
    for name, row in importlib.import_module(f"tests.{path.parent.name}.access_rows").ROWS.items()
}
MATRIX = {**CORE, **APP_ROWS}


def _walk(patterns, prefix=""):
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            namespace = f"{prefix}{pattern.namespace}:" if pattern.namespace else prefix
            yield from _walk(pattern.url_patterns, namespace)
        elif isinstance(pattern, URLPattern) and pattern.name:
            yield f"{prefix}{pattern.name}", pattern


ALL_URLS = dict(_walk(get_resolver().url_patterns))
APP_URLS = sorted(name for name in ALL_URLS if not name.startswith("admin:"))
ADMIN_URLS = sorted(name for name in ALL_URLS if name.startswith("admin:"))


def test_every_url_has_an_access_rule():
    assert sorted(set(APP_URLS) - set(MATRIX)) == [], "add these URLs to MATRIX with who may use them"
    assert sorted(set(MATRIX) - set(APP_URLS)) == [], "these MATRIX rows name URLs that no longer exist"


def _request(client, row, url, data, cast):
    if row.reset is not None:
        row.reset(cast)
    if row.method == "post":
        return client.post(url, data)
    return client.get(url + (row.query(cast) if callable(row.query) else row.query))


def _expected(row, label, role):
    if row.public:
        return row.ok
    if label in row.statuses:  # e.g. "a.teacher": one school's user only
        return row.statuses[label]
    if role in row.statuses:
        status = row.statuses[role]
    elif role not in row.allowed:
        return row.outsiders_get
    else:
        status = row.ok
    if label.startswith("b.") and row.record_of_a and status == row.ok:
        return 404
    return status


@pytest.mark.parametrize("name", APP_URLS)
def test_access_rule(name, cast, client, django_user_model):
    row = MATRIX[name]
    url = reverse(name, kwargs=row.kwargs(cast))
    data = row.data(cast)
    failures = []

    client.logout()
    response = _request(client, row, url, data, cast)
    if row.public:
        if response.status_code != row.ok:
            failures.append(f"anonymous: {response.status_code}, expected {row.ok}")
    elif response.status_code != 302 or "/accounts/login/" not in response["Location"]:
        failures.append(f"anonymous: {response.status_code}, expected a redirect to the login page")

    for label, user in cast.everyone():
        role = label.split(".")[1]
        client.force_login(user)
        response = _request(client, row, url, data, cast)
        expected = _expected(row, label, role)
        if response.status_code != expected:
            failures.append(f"{label}: {response.status_code}, expected {expected}")
        elif label.startswith("b.") and response.status_code == 200 and response.get("Content-Type", "").startswith("text"):
            # A list at school B never shows school A's people.
            body = response.content.decode()
            for leaked in ("Aardvark", "TeacherA", "Hello office a"):
                if leaked in body:
                    failures.append(f"{label}: the page shows {leaked!r} of school A")
        client.logout()
    assert failures == [], f"{name} ({url}):\n" + "\n".join(failures)


@pytest.mark.parametrize("name", ADMIN_URLS)
def test_the_admin_site_is_for_superusers_only(name, cast, client):
    regex = ALL_URLS[name].pattern.regex
    kwargs = {key: "1" for key in regex.groupindex}
    if "app_label" in kwargs:
        kwargs["app_label"] = "esafety"
    url = reverse(name, kwargs=kwargs) if kwargs else reverse(name, args=["1"] * regex.groups)
    if name == "admin:login":
        assert client.get(url).status_code == 200
        return
    if name == "admin:logout":
        # Logging out reveals nothing: it only sends you back.
        assert client.get(url).status_code in (302, 405)
        return
    for user in (None, cast.a.users["head"], cast.a.users["dsl"], cast.b.users["office"]):
        client.logout()
        if user is not None:
            client.force_login(user)
        response = client.get(url)
        assert response.status_code == 302, f"{name} answered {response.status_code} to {user}"
        # Logged in without set-up rights: the admin's login. Anonymous: a login page (the admin's
        # own views answer themselves; the rest meet the app's login-required middleware first).
        login_pages = ("/admin/login/", "/accounts/login/") if user is None else ("/admin/login/",)
        assert response["Location"].startswith(login_pages), f"{name} sent {user} to {response['Location']}"
