"""
Two-factor sign-in, sessions and the step-up before restricted records, through the real pages.

These tests sign in through the login form (not `force_login`, which stands for a whole sign-in).
"""

import re
import time
from datetime import timedelta

import pytest
import time_machine
from django.contrib.auth.tokens import default_token_generator
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django_otp.oath import TOTP
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from esafety.models import AccessLogEntry, Membership, User
from esafety.roles import Role
from esafety.second_factor import VERIFIED_AT_KEY

PASSWORD = "a-test-password"


def code_for(device: TOTPDevice, steps_ahead: int = 0) -> str:
    """The code the user's authenticator app shows now (or `steps_ahead` × 30 s from now)."""
    device.refresh_from_db()
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = time.time() + steps_ahead * device.step
    return f"{totp.token():0{device.digits}d}"


def sign_in(client, user, password=PASSWORD, **request_meta):
    return client.post(reverse("login"), {"username": user.email, "password": password}, **request_meta)


def enrol(client, user) -> list[str]:
    """Sign in for the first time and set up an authenticator app; returns the backup codes shown."""
    sign_in(client, user)
    client.get(reverse("second_factor_setup"))
    device = TOTPDevice.objects.get(user=user, confirmed=False)
    page = client.post(reverse("second_factor_setup"), {"code": code_for(device), "next": "/"})
    assert page.status_code == 200, page.content.decode()
    return re.findall(r"<li>([a-z2-7]{8})</li>", page.content.decode())


def test_a_dsl_must_set_up_a_second_factor_before_any_page(cast, client):
    dsl = cast.a.users["dsl"]
    response = sign_in(client, dsl)
    assert response.status_code == 302  # the password was right
    for url in (reverse("home"), reverse("pupil_list"), reverse("incidents:dashboard"), reverse("access_log")):
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith(reverse("second_factor_setup")), url
    page = client.get(reverse("second_factor_setup")).content.decode()
    assert "<svg" in page and "Set up two-factor sign-in" in page
    secret = re.search(r'<code[^>]*id="secret">([A-Z2-7 ]+)</code>', page).group(1)
    assert len(secret.replace(" ", "")) >= 32


def test_enrolment_needs_a_right_code_and_shows_single_use_backup_codes(cast, client):
    dsl = cast.a.users["dsl"]
    sign_in(client, dsl)
    client.get(reverse("second_factor_setup"))
    wrong = client.post(reverse("second_factor_setup"), {"code": "000000"})
    assert wrong.status_code == 400
    assert "That code does not match" in wrong.content.decode()
    assert client.get(reverse("home")).status_code == 302  # still not through

    client.logout()
    # django-otp slows guessing: after a wrong code the next try must wait a second.
    with time_machine.travel(timezone.now() + timedelta(seconds=2)):
        codes = enrol(client, dsl)
    assert len(codes) == 10 and len(set(codes)) == 10
    assert client.get(reverse("home")).status_code == 200
    assert TOTPDevice.objects.get(user=dsl).confirmed


def test_each_sign_in_asks_for_a_code_and_a_code_cannot_be_used_twice(cast):
    dsl = cast.a.users["dsl"]
    enrol(Client(), dsl)
    device = TOTPDevice.objects.get(user=dsl, confirmed=True)
    code = code_for(device, steps_ahead=1)  # the enrolment used this step's code

    first = Client()
    sign_in(first, dsl)
    assert first.get(reverse("home"))["Location"].startswith(reverse("second_factor_verify"))
    assert first.post(reverse("second_factor_verify"), {"code": code, "next": "/"}).status_code == 302
    assert first.get(reverse("home")).status_code == 200

    # The same code, seen over a shoulder and typed at once on another PC, is refused.
    second = Client()
    sign_in(second, dsl)
    replay = second.post(reverse("second_factor_verify"), {"code": code})
    assert replay.status_code == 400
    assert "has been used already" in replay.content.decode()
    assert second.get(reverse("home")).status_code == 302


def test_a_backup_code_works_once(cast):
    dsl = cast.a.users["dsl"]
    codes = enrol(Client(), dsl)
    client = Client()
    sign_in(client, dsl)
    assert client.post(reverse("second_factor_verify"), {"code": codes[0].upper()}).status_code == 302
    assert client.get(reverse("home")).status_code == 200
    assert StaticToken.objects.filter(device__user=dsl).count() == 9

    again = Client()
    sign_in(again, dsl)
    assert again.post(reverse("second_factor_verify"), {"code": codes[0]}).status_code == 400


def test_a_teacher_is_not_asked_but_may_turn_it_on(cast, client):
    teacher = cast.a.users["teacher"]
    sign_in(client, teacher)
    assert client.get(reverse("home")).status_code == 200
    page = client.get(reverse("account_security")).content.decode()
    assert "Turn on two-factor sign-in" in page
    codes = enrol(client, teacher)
    assert len(codes) == 10
    # From now on the teacher is asked too.
    later = Client()
    sign_in(later, teacher)
    assert later.get(reverse("home"))["Location"].startswith(reverse("second_factor_verify"))


@pytest.mark.parametrize("role", ["head", "it", "trust", "chair"])
def test_every_privileged_role_must_use_it(cast, client, role):
    sign_in(client, cast.a.users[role])
    assert client.get(reverse("home"))["Location"].startswith(reverse("second_factor_setup"))


def test_a_superuser_must_use_it_for_the_admin_site_too(db, client):
    User.objects.create_superuser("root@example.org", PASSWORD, full_name="Set-up Person")
    client.post(reverse("admin:login"), {"username": "root@example.org", "password": PASSWORD})
    response = client.get(reverse("admin:index"))
    assert response.status_code == 302 and response["Location"].startswith(reverse("second_factor_setup"))


def test_a_password_reset_does_not_skip_the_second_factor(cast, client):
    dsl = cast.a.users["dsl"]
    enrol(Client(), dsl)
    dsl.refresh_from_db()  # the token depends on the last sign-in
    uid = urlsafe_base64_encode(force_bytes(dsl.pk))
    link = reverse("password_reset_confirm", kwargs={"uidb64": uid, "token": default_token_generator.make_token(dsl)})
    form = client.get(link, follow=True)
    done = client.post(
        form.redirect_chain[-1][0], {"new_password1": "a new long passphrase", "new_password2": "a new long passphrase"}
    )
    assert done.status_code == 302
    assert "_auth_user_id" not in client.session  # not signed in by the reset
    sign_in(client, dsl, password="a new long passphrase")
    assert client.get(reverse("home"))["Location"].startswith(reverse("second_factor_verify"))


def test_an_htmx_fragment_sends_the_whole_window_to_the_second_factor(cast, client):
    sign_in(client, cast.a.users["dsl"])
    response = client.get(reverse("incidents:people_search") + "?q=Al", HTTP_HX_REQUEST="true")
    assert response.status_code == 204
    assert response["HX-Redirect"] == reverse("second_factor_setup")


# --- A lost phone ---------------------------------------------------------------------------------


def test_the_head_resets_a_colleagues_lost_phone_with_an_access_log_entry(cast, login, django_capture_on_commit_callbacks):
    dsl = cast.a.users["dsl"]
    enrol(Client(), dsl)
    dsl_session = Client()
    dsl_session.force_login(dsl)
    assert dsl_session.get(reverse("home")).status_code == 200
    mail.outbox.clear()

    head = login(cast.a.users["head"])
    listed = head.get(reverse("second_factor_people")).content.decode()
    assert "Dsl A" in listed and "Dsl B" not in listed
    with django_capture_on_commit_callbacks(execute=True):
        response = head.post(reverse("second_factor_reset", args=[dsl.pk]))
    assert response.status_code == 302

    assert not TOTPDevice.objects.filter(user=dsl).exists()
    assert not StaticToken.objects.filter(device__user=dsl).exists()
    # Their sessions ended at once; at the next sign-in they set up the app again.
    assert dsl_session.get(reverse("home"))["Location"].startswith(reverse("login"))
    entry = AccessLogEntry.objects.get(kind=AccessLogEntry.Kind.SECURITY)
    assert entry.actor == cast.a.users["head"] and "Dsl A" in entry.summary
    assert "Reset the two-factor sign-in of Dsl A" in head.get(reverse("access_log")).content.decode()
    assert [m.to for m in mail.outbox] == [[dsl.email]]
    assert "reset" in mail.outbox[0].subject.lower() or "reset" in mail.outbox[0].body.lower()
    fresh = Client()
    sign_in(fresh, dsl)
    assert fresh.get(reverse("home"))["Location"].startswith(reverse("second_factor_setup"))


def test_nobody_resets_their_own_or_another_schools_second_factor(cast, login):
    it = login(cast.a.users["it"])
    own = it.post(reverse("second_factor_reset", args=[cast.a.users["it"].pk]), follow=True)
    assert "cannot reset your own" in own.content.decode()
    assert TOTPDevice.objects.filter(user=cast.a.users["it"]).exists()
    assert it.post(reverse("second_factor_reset", args=[cast.b.users["dsl"].pk])).status_code == 404
    teacher = login(cast.a.users["teacher"])
    assert teacher.post(reverse("second_factor_reset", args=[cast.a.users["dsl"].pk])).status_code == 403


# --- Step-up and session limits --------------------------------------------------------------------


def test_a_restricted_incident_needs_a_second_factor_from_the_last_fifteen_minutes(cast, login):
    dsl = cast.a.users["dsl"]
    url = reverse("incidents:incident_detail", args=[cast.a.restricted.pk])
    with time_machine.travel(timezone.now(), tick=False) as clock:
        client = login(dsl)
        assert client.get(url).status_code == 200
        clock.shift(timedelta(minutes=10))
        assert client.get(reverse("home")).status_code == 200  # keep the session alive
        clock.shift(timedelta(minutes=6))
        # An ordinary incident opens as before; the restricted one asks again.
        assert client.get(reverse("incidents:incident_detail", args=[cast.a.incident.pk])).status_code == 200
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"] == f"{reverse('second_factor_verify')}?next={url.replace('/', '%2F')}"
        page = client.get(response["Location"]).content.decode()
        assert "Confirm it is you" in page
        device = TOTPDevice.objects.get(user=dsl)
        confirmed = client.post(reverse("second_factor_verify"), {"code": code_for(device), "next": url})
        assert confirmed.status_code == 302 and confirmed["Location"] == url
        assert client.get(url).status_code == 200


def test_after_a_restricted_page_the_session_ends_after_fifteen_idle_minutes(cast, login):
    with time_machine.travel(timezone.now(), tick=False) as clock:
        client = login(cast.a.users["dsl"])
        client.get(reverse("incidents:incident_detail", args=[cast.a.restricted.pk]))
        clock.shift(timedelta(minutes=16))
        assert client.get(reverse("home"))["Location"].startswith(reverse("login"))

        client = login(cast.a.users["dsl"])
        client.get(reverse("incidents:incident_detail", args=[cast.a.incident.pk]))  # an ordinary page
        clock.shift(timedelta(minutes=16))
        assert client.get(reverse("home")).status_code == 200


def test_no_session_outlives_twelve_hours_however_active(cast, client):
    teacher = cast.a.users["teacher"]
    with time_machine.travel(timezone.now(), tick=False) as clock:
        sign_in(client, teacher)
        for _ in range(12 * 3 + 1):
            assert client.get(reverse("home")).status_code == 200
            clock.shift(timedelta(minutes=20))
        response = client.get(reverse("home"))
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


def test_a_new_session_key_at_sign_in_and_at_the_second_factor(cast, client):
    dsl = cast.a.users["dsl"]
    codes = enrol(Client(), dsl)
    before = client.session.session_key  # a visitor's session, before signing in
    sign_in(client, dsl)
    after_password = client.cookies["sessionid"].value
    client.post(reverse("second_factor_verify"), {"code": codes[1]})
    after_code = client.cookies["sessionid"].value
    assert len({before, after_password, after_code}) == 3


def test_switching_a_user_off_ends_their_sessions_at_once(cast, client):
    teacher = cast.a.users["teacher"]
    sign_in(client, teacher)
    assert client.get(reverse("home")).status_code == 200
    teacher.is_active = False
    teacher.save()
    assert client.get(reverse("home"))["Location"].startswith(reverse("login"))


def test_a_user_sees_their_sessions_and_ends_the_others(cast):
    teacher = cast.a.users["teacher"]
    at_school, at_home = Client(HTTP_USER_AGENT="Mozilla/5.0 (Windows NT 10.0) Chrome/130.0"), Client()
    sign_in(at_school, teacher, REMOTE_ADDR="198.51.100.20")
    sign_in(at_home, teacher)
    page = at_home.get(reverse("account_security")).content.decode()
    assert "This session" in page and "Chrome" in page and "198.51.100.20" in page
    assert at_school.cookies["sessionid"].value not in page  # a session is named by a digest, never its key
    ref = re.search(r"/accounts/security/sessions/([0-9a-f]{20})/end/", page).group(1)
    assert at_home.post(reverse("session_end", args=[ref])).status_code == 302
    assert at_school.get(reverse("home"))["Location"].startswith(reverse("login"))
    assert at_home.get(reverse("home")).status_code == 200
    # Ending a session that is not yours (or no longer exists) is a 404.
    assert at_home.post(reverse("session_end", args=[ref])).status_code == 404


def test_a_backup_code_does_not_hold_back_the_app_and_too_many_wrong_codes_say_wait(cast):
    dsl = cast.a.users["dsl"]
    codes = enrol(Client(), dsl)
    device = TOTPDevice.objects.get(user=dsl)
    client = Client()
    sign_in(client, dsl)
    assert client.post(reverse("second_factor_verify"), {"code": codes[0]}).status_code == 302
    # Straight after, on another PC, the app's code works: the backup code was not a wrong try at the app.
    other = Client()
    sign_in(other, dsl)
    assert other.post(reverse("second_factor_verify"), {"code": code_for(device, steps_ahead=1)}).status_code == 302
    # Two wrong app codes in a row: the next try is held back, and the page says to wait rather than "wrong".
    third = Client()
    sign_in(third, dsl)
    third.post(reverse("second_factor_verify"), {"code": "000000"})
    held = third.post(reverse("second_factor_verify"), {"code": "000001"})
    assert held.status_code == 400 and "wait a few seconds" in held.content.decode()


def _second_factor_given_minutes_ago(client, minutes):
    session = client.session
    session[VERIFIED_AT_KEY] = (timezone.now() - timedelta(minutes=minutes)).isoformat()
    session.save()


@pytest.mark.parametrize(
    "what",
    ["detail", "pdf", "chronology", "export", "a form shown again with its errors"],
)
def test_every_way_of_seeing_a_restricted_case_needs_a_recent_second_factor(cast, login, what):
    incident = cast.a.restricted
    client = login(cast.a.users["dsl"])
    _second_factor_given_minutes_ago(client, 16)
    if what == "detail":
        response = client.get(reverse("incidents:incident_detail", args=[incident.pk]))
    elif what == "pdf":
        response = client.get(reverse("incidents:incident_pdf", args=[incident.pk]))
    elif what == "chronology":
        response = client.get(reverse("pupil_chronology", args=[cast.a.pupil.pk]))
    elif what == "export":
        response = client.get(reverse("incidents:incident_export"))
    else:
        response = client.post(reverse("incidents:incident_note", args=[incident.pk]), {"text": ""})
    assert response.status_code == 302 and response["Location"].startswith(reverse("second_factor_verify")), what
    assert not AccessLogEntry.objects.filter(object_id=str(incident.pk)).exists()
    # An export of ordinary incidents alone needs no step-up.
    if what == "export":
        assert client.get(reverse("incidents:incident_export"), {"severity": "medium"}).status_code == 200


def test_an_export_with_restricted_cases_leaves_an_entry_on_each_case(cast, login):
    login(cast.a.users["head"]).get(reverse("incidents:incident_export"))
    for incident in (cast.a.restricted, cast.a.staff_incident):
        entry = AccessLogEntry.objects.get(object_id=str(incident.pk))
        assert entry.summary == f"Exported restricted incident {incident.reference} in a CSV file"
    page = login(cast.a.users["head"]).get(reverse("incidents:incident_detail", args=[cast.a.staff_incident.pk]))
    assert "Head A · Exported personal data" in page.content.decode()  # "Who has looked at it"


def test_the_code_page_goes_only_to_a_path_of_this_site(cast):
    dsl = cast.a.users["dsl"]
    codes = enrol(Client(), dsl)
    for n, wanted in enumerate(["abc", "https://evil.example/", "//evil.example/x"]):
        client = Client()
        sign_in(client, dsl)
        response = client.post(reverse("second_factor_verify"), {"code": codes[n], "next": wanted})
        assert response.status_code == 302 and response["Location"] == reverse("home"), wanted


def test_capitals_in_the_address_do_not_buy_more_guesses(cast, client):
    for n, variant in enumerate(
        ["office@a.example", "OFFICE@a.example", "Office@A.example", "oFFice@a.EXAMPLE", "office@A.example"]
    ):
        client.post(reverse("login"), {"username": variant, "password": "wrong"}, REMOTE_ADDR=f"198.51.100.{n}")
    refused = client.post(reverse("login"), {"username": "office@a.example", "password": PASSWORD}, REMOTE_ADDR="198.51.100.50")
    assert refused.status_code == 200 and "_auth_user_id" not in client.session


def test_a_new_role_that_needs_a_second_factor_asks_for_it_at_once(cast, client):
    teacher = cast.a.users["teacher"]
    sign_in(client, teacher)
    assert client.get(reverse("home")).status_code == 200
    Membership.objects.create(user=teacher, school=cast.a.school, role=Role.DSL)
    assert client.get(reverse("home"))["Location"].startswith(reverse("second_factor_setup"))


def test_whoever_may_use_the_admin_site_needs_a_second_factor(cast, client):
    office = cast.a.users["office"]
    office.is_staff = True
    office.save()
    sign_in(client, office)
    assert client.get(reverse("admin:index"))["Location"].startswith(reverse("second_factor_setup"))


def test_new_backup_codes_and_a_reset_need_a_recent_second_factor(cast, login):
    TOTPDevice.objects.create(user=cast.a.users["dsl"], name="Authenticator app", confirmed=True)
    head = login(cast.a.users["head"])
    _second_factor_given_minutes_ago(head, 16)
    renew = head.post(reverse("backup_codes_renew"))
    assert renew["Location"].startswith(reverse("second_factor_verify"))
    reset = head.post(reverse("second_factor_reset", args=[cast.a.users["dsl"].pk]))
    assert reset["Location"].startswith(reverse("second_factor_verify"))
    assert TOTPDevice.objects.filter(user=cast.a.users["dsl"]).exists()


def test_setting_up_an_app_long_after_signing_in_asks_for_the_password(cast, client):
    teacher = cast.a.users["teacher"]
    with time_machine.travel(timezone.now(), tick=False) as clock:
        sign_in(client, teacher)
        client.get(reverse("home"))
        clock.shift(timedelta(minutes=20))
        client.get(reverse("home"))
        page = client.get(reverse("second_factor_setup")).content.decode()
        assert "Your password" in page
        device = TOTPDevice.objects.get(user=teacher, confirmed=False)
        wrong = client.post(reverse("second_factor_setup"), {"code": code_for(device), "password": "not-it"})
        assert wrong.status_code == 400 and "That is not your password" in wrong.content.decode()
        assert not TOTPDevice.objects.filter(user=teacher, confirmed=True).exists()


def test_switching_a_user_off_in_the_admin_deletes_their_sessions(cast, client, rf):
    from django.contrib import admin
    from qsessions.models import Session

    from esafety.admin import UserAdmin

    teacher = cast.a.users["teacher"]
    sign_in(client, teacher)
    assert Session.objects.filter(user=teacher).exists()
    teacher.is_active = False
    request = rf.post("/")
    request.user = User.objects.create_superuser("root@example.org", PASSWORD, full_name="Set-up Person")
    UserAdmin(User, admin.site).save_model(request, teacher, None, True)
    assert not Session.objects.filter(user=teacher).exists()
