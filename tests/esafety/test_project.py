"""The project as a whole: the permissions table, the demo data, production settings."""

import json
import os
import subprocess
import sys
from pathlib import Path

from django.core.management import call_command

from esafety.models import Membership, Pupil, School, StaffMember
from esafety.roles import Role, permissions_table_markdown
from esafety.scoping import scope

ROOT = Path(__file__).resolve().parents[2]


def test_docs_permissions_md_matches_the_roles_in_the_code():
    on_disk = (ROOT / "docs" / "permissions.md").read_text()
    assert on_disk == permissions_table_markdown(), "run `make docs-permissions` and commit docs/permissions.md"


def test_the_demo_builds_a_believable_school_with_a_login_per_role(db, capsys):
    call_command("seed_demo")
    oakfield = School.objects.get(name="Oakfield Primary School")
    with scope(school=oakfield):
        on_roll = Pupil.objects.for_school(oakfield).current()
        assert 380 <= on_roll.count() <= 420
        assert set(on_roll.values_list("year_group__ncy", flat=True)) == {0, 1, 2, 3, 4, 5, 6}
        assert StaffMember.objects.for_school(oakfield).count() == 40
        assert all(p.contacts.exists() for p in on_roll[:50])
        roles = set(Membership.objects.filter(school=oakfield).values_list("role", flat=True))
        assert roles == {r for r in Role if r != Role.TRUST}
        printed = capsys.readouterr().out
        assert "password for all: demo-password" in printed
        for email in ("dsl@oakfield.example", "office@oakfield.example", "governor@oakfield.example", "trust@oakfield.example"):
            assert email in printed
        # The partner school's logins too, each role with its school.
        assert "office@brookside.example" in printed and "Office (Brookside Infant School)" in printed

        # `make run` runs it every time: the second run changes nothing and prints the logins again.
        call_command("seed_demo", "--if-empty")
        assert School.objects.filter(name="Oakfield Primary School").count() == 1
        assert "dsl@oakfield.example" in capsys.readouterr().out


def test_production_settings_pass_the_deployment_check():
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in ("DEBUG", "PYTEST_VERSION", "DATABASE_URL", "DJANGO_ALLOW_ASYNC_UNSAFE") and not key.startswith("PYTEST_")
    }
    env.update(
        DEBUG="false",
        SECRET_KEY="x7Jq2-some-long-random-production-secret-kept-in-a-vault-9fK3mZ",
        ALLOWED_HOSTS="esafety.example.org",
        SECURE_SSL_REDIRECT="true",
        SECURE_COOKIES="true",
        SECURE_HSTS_SECONDS="31536000",
        SECURE_HSTS_PRELOAD="true",
        BEHIND_TLS_PROXY="true",
    )
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
    )
    # Nothing left to warn about: with a year's HSTS, preloading is on by default (docs/deployment.md).
    assert result.returncode == 0, result.stderr
    assert "System check identified no issues" in result.stdout, result.stdout + result.stderr


def test_collectstatic_works_with_the_production_storage(tmp_path):
    """docs/deployment.md's `collectstatic`, with production settings: every file a vendored file refers to is there."""
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in ("DEBUG", "PYTEST_VERSION", "DATABASE_URL", "DJANGO_ALLOW_ASYNC_UNSAFE", "MANIFEST_STATIC")
        and not key.startswith("PYTEST_")
    }
    env.update(
        DEBUG="false",
        SECRET_KEY="x7Jq2-some-long-random-production-secret-kept-in-a-vault-9fK3mZ",
        ALLOWED_HOSTS="esafety.example.org",
        STATIC_ROOT=str(tmp_path / "static"),
    )
    result = subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput"], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr[-3000:]
    manifest = json.loads((tmp_path / "static" / "staticfiles.json").read_text())["paths"]
    for name in ("vendor/chartjs/chart.umd.min.js", "vendor/bootstrap/bootstrap.min.css", "css/app.css"):
        assert (tmp_path / "static" / manifest[name]).is_file(), name


def test_production_refuses_to_start_without_a_secret_key():
    env = {k: v for k, v in os.environ.items() if k not in ("SECRET_KEY", "DEBUG", "PYTEST_VERSION")}
    result = subprocess.run([sys.executable, "manage.py", "check"], cwd=ROOT, env=env, capture_output=True, text=True)
    assert result.returncode != 0
    assert "Set SECRET_KEY in the environment" in result.stderr


def test_the_large_demo_is_a_secondary_school_with_five_years_of_leavers(db):
    call_command("seed_demo", "--size", "large")
    school = School.objects.get(name="Castle Hill Academy")
    with scope(school=school):
        pupils = Pupil.objects.for_school(school)
        assert 1400 <= pupils.current().count() <= 1600
        assert set(pupils.current().values_list("year_group__ncy", flat=True)) == set(range(7, 14))
        leavers_by_year = {d.year for d in pupils.exclude(leaving_date=None).values_list("leaving_date", flat=True)}
        assert len(leavers_by_year) == 5


def test_a_refused_request_is_one_line_in_the_log_and_a_server_error_keeps_its_traceback():
    import logging

    from django.conf import settings

    from esafety.log_filters import NoTracebackForRefusals

    def record(status, name="django.request"):
        try:
            raise RuntimeError("boom")
        except RuntimeError:
            entry = logging.LogRecord(name, logging.WARNING, __file__, 1, "Forbidden: /x/", (), sys.exc_info())
        if status:
            entry.status_code = status
        NoTracebackForRefusals().filter(entry)
        return logging.Formatter().format(entry)

    assert record(403) == "Forbidden: /x/"
    assert record(None, "django.security.DisallowedHost") == "Forbidden: /x/"  # a forged Host header: a 400
    assert "Traceback" in record(500)
    # Django's records are written by the root's handler alone: once, not twice.
    assert settings.LOGGING["loggers"]["django"] == {"handlers": [], "level": "INFO", "propagate": True}
    assert "no_traceback_for_refusals" in settings.LOGGING["handlers"]["console"]["filters"]


def test_postgresql_connections_get_the_apps_planner_settings_and_the_urls_options_win():
    """PostgreSQL's JIT spent 20-110 ms compiling each visibility query that ran in a few; the default page cost chose
    whole-table reads over indexes. An administrator's options in DATABASE_URL come last, so they win."""
    code = "from django.conf import settings; print(settings.DATABASES['default']['OPTIONS']['options'])"
    ours = "-c jit=off -c random_page_cost=1.1"
    for url, expected in (
        ("postgres://app@db.example.org:5432/esafety", ours),
        ("postgres://app@db.example.org:5432/esafety?options=-c%20jit%3Don", f"{ours} -c jit=on"),
    ):
        env = {**os.environ, "DJANGO_SETTINGS_MODULE": "esafety.settings", "DEBUG": "true", "DATABASE_URL": url}
        result = subprocess.run(
            [sys.executable, "-c", f"import django; django.setup(); {code}"], cwd=ROOT, env=env, capture_output=True, text=True
        )
        assert result.returncode == 0, result.stderr
        assert result.stdout.strip() == expected
