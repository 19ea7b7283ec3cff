"""
The security headers of every answer (OWASP ASVS 5.0, level 2): a Content-Security-Policy that lets a page
use only the app's own files, a Permissions-Policy that turns the browser's powerful features off, and
`Cache-Control: no-store` on everything but static files. The policy holds only while no page has an inline
script, style or event handler, so pages are parsed to check that none has.
"""

from html.parser import HTMLParser

import pytest
from django.templatetags.static import static
from django.urls import reverse

from tests.esafety.test_access_matrix import MATRIX

POLICY = {
    "default-src": ["'self'"],
    "script-src": ["'self'"],
    "style-src": ["'self'"],
    "img-src": ["'self'", "data:"],  # Bootstrap's CSS draws select arrows and checkbox ticks as data: SVGs
    "connect-src": ["'self'"],
    "object-src": ["'none'"],
    "base-uri": ["'none'"],
    "frame-ancestors": ["'none'"],
    "form-action": ["'self'"],
}


def _directives(header: str) -> dict[str, list[str]]:
    return {name: sources for name, *sources in (part.split() for part in header.split(";") if part.strip())}


class InlineCode(HTMLParser):
    """Collects what in a page the policy refuses to run or apply, each with its line."""

    def __init__(self):
        super().__init__()
        self.found = []

    def handle_starttag(self, tag, attrs):
        line = self.getpos()[0]
        attributes = dict(attrs)
        # `json_script` data is not run (the chart figures of the incident dashboard): it may stay inline.
        if tag == "script" and "src" not in attributes and attributes.get("type") != "application/json":
            self.found.append(f"line {line}: <script> without src")
        if tag == "style":
            self.found.append(f"line {line}: <style>")
        for name, value in attrs:
            # hx-on runs its text as a script, through eval, which the policy refuses too.
            if name == "style" or name.startswith(("on", "hx-on")):
                self.found.append(f'line {line}: <{tag} {name}="{value}">')
            elif (value or "").strip().lower().startswith("javascript:"):
                self.found.append(f'line {line}: <{tag} {name}="{value}">')


def inline_code(html: str) -> list[str]:
    parser = InlineCode()
    parser.feed(html)
    parser.close()
    return parser.found


def test_a_page_has_the_strict_content_security_policy(cast, client):
    client.force_login(cast.a.users["dsl"])
    header = client.get(reverse("home"))["Content-Security-Policy"]
    assert _directives(header) == POLICY
    assert "unsafe" not in header  # no 'unsafe-inline', 'unsafe-eval' or 'unsafe-hashes'


# The pages people use most, in the state that shows their interactive parts: the photo check with its
# results and print button, progress bars, the dashboard's charts.
PAGES = {
    "home": ("dsl", lambda c: reverse("home")),
    "pupil list": ("dsl", lambda c: reverse("pupil_list")),
    "incident dashboard": ("dsl", lambda c: reverse("incidents:dashboard")),
    "incident": ("dsl", lambda c: reverse("incidents:incident_detail", kwargs={"incident_id": c.a.incident.pk})),
    "photo check": ("dsl", lambda c: reverse("consents:photo_check") + f"?form={c.a.form.pk}"),
    "import": ("office", lambda c: reverse("import_detail", args=[c.a.import_job.pk])),
    "slip batch": ("office", lambda c: reverse("consents:slip_batch_detail", args=[c.a.batch.pk])),
    "consent coverage": ("head", lambda c: reverse("consents:coverage")),
    "login": (None, lambda c: reverse("login")),
}


@pytest.mark.parametrize("page_name", PAGES)
def test_the_page_has_no_inline_script_style_or_event_handler(page_name, cast, client):
    role, url = PAGES[page_name]
    if role:
        client.force_login(cast.a.users[role])
    response = client.get(url(cast))
    assert response.status_code == 200
    assert inline_code(response.content.decode()) == []


def test_no_page_of_the_app_has_inline_script_style_or_event_handler(cast, client):
    # Every page of the access matrix (tests/esafety/test_access_matrix.py), opened by a user allowed to.
    found, checked = [], 0
    for name, row in MATRIX.items():
        user = next((cast.a.users[role] for role in sorted(row.allowed) if role in cast.a.users), None)
        if row.method != "get" or user is None:
            continue
        client.force_login(user)
        query = row.query(cast) if callable(row.query) else row.query
        response = client.get(reverse(name, kwargs=row.kwargs(cast)) + query)
        if response.status_code == 200 and response["Content-Type"].startswith("text/html"):
            checked += 1
            found += [f"{name}: {problem}" for problem in inline_code(response.content.decode())]
    assert checked > 40, "the matrix should lead to most of the app's pages"
    assert found == []


# The one exception in the admin: django-simple-history's history page draws its page links with a
# style attribute. Browsers ignore it under the policy (the links gain a border); nothing else changes.
SIMPLE_HISTORY_PAGINATOR = '<p class="paginator" style="border-top: 0">'


def test_the_admin_has_no_inline_script_or_event_handler(cast, client, django_user_model):
    client.force_login(django_user_model.objects.create_superuser("root@example.org", "a-long-password"))
    school = cast.a.school.pk
    for url in [
        reverse("admin:index"),
        reverse("admin:esafety_school_changelist"),
        reverse("admin:esafety_school_add"),
        reverse("admin:esafety_school_change", args=[school]),
        reverse("admin:esafety_school_history", args=[school]),
    ]:
        response = client.get(url)
        assert response.status_code == 200, url
        page = response.content.decode().replace(SIMPLE_HISTORY_PAGINATOR, '<p class="paginator">')
        assert inline_code(page) == [], url


def test_permissions_policy_turns_off_what_the_app_does_not_use(cast, client):
    client.force_login(cast.a.users["dsl"])
    header = client.get(reverse("home"))["Permissions-Policy"]
    features = dict(part.strip().split("=") for part in header.split(","))
    for feature in ["camera", "microphone", "geolocation", "payment", "usb", "serial", "hid", "clipboard-read"]:
        assert features[feature] == "()", feature


def test_a_page_is_not_stored_by_browsers_or_proxies(cast, client):
    client.force_login(cast.a.users["dsl"])
    cache_control = client.get(reverse("pupil_list"))["Cache-Control"]
    assert "no-store" in cache_control and "private" in cache_control


def test_redirects_and_error_pages_are_not_stored_either(cast, client):
    assert "no-store" in client.get(reverse("pupil_list"))["Cache-Control"]  # to the login page
    client.force_login(cast.b.users["dsl"])
    response = client.get(reverse("pupil_detail", args=[cast.a.pupil.pk]))
    assert response.status_code == 404 and "no-store" in response["Cache-Control"]


def test_the_csv_export_is_not_stored(cast, client):
    client.force_login(cast.a.users["dsl"])
    response = client.get(reverse("pupil_export"))
    assert response["Content-Type"].startswith("text/csv")
    assert "no-store" in response["Cache-Control"] and "private" in response["Cache-Control"]


def test_an_incident_pdf_is_not_stored(cast, client):
    client.force_login(cast.a.users["dsl"])
    response = client.get(reverse("incidents:incident_pdf", kwargs={"incident_id": cast.a.incident.pk}))
    assert response["Content-Type"] == "application/pdf"
    assert "no-store" in response["Cache-Control"] and "private" in response["Cache-Control"]


def test_a_static_file_keeps_its_cache_lifetime(client):
    response = client.get(static("css/app.css"))
    assert response.status_code == 200
    b"".join(response.streaming_content)  # read to the end, which closes the file
    assert "max-age=" in response["Cache-Control"] and "no-store" not in response["Cache-Control"]
