"""Logging in with an e-mail address, lockout, password reset and idle sessions."""

import re

import time_machine
from django.contrib.auth.hashers import make_password
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from esafety.models import User


def test_a_user_logs_in_with_their_email_address_and_lands_on_their_home_page(cast, client):
    response = client.post(reverse("login"), {"username": "DSL@a.example", "password": "a-test-password"}, follow=True)
    assert response.redirect_chain[-1][0] == reverse("home")
    page = response.content.decode()
    assert "Dsl A" in page and "School A" in page


def test_a_wrong_password_says_so_and_keeps_the_address(cast, client):
    response = client.post(reverse("login"), {"username": "dsl@a.example", "password": "wrong"})
    page = response.content.decode()
    assert "That e-mail address and password do not match an account" in page
    assert 'value="dsl@a.example"' in page


def test_an_account_is_locked_after_five_failed_attempts(cast, client):
    for _ in range(5):
        client.post(reverse("login"), {"username": "office@a.example", "password": "wrong"})
    # Even the right password is refused now.
    response = client.post(reverse("login"), {"username": "office@a.example", "password": "a-test-password"})
    assert response.status_code == 429
    assert "locked for a while" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_passwords_are_stored_with_argon2(settings, db):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.Argon2PasswordHasher"]
    user = User.objects.create_user("new@a.example", "a-long-password-1", full_name="New Person")
    assert user.password.startswith("argon2$")
    assert make_password("x").startswith("argon2$")


def test_a_forgotten_password_is_reset_by_email(cast, client):
    client.post(reverse("password_reset"), {"email": "teacher@a.example"})
    assert len(mail.outbox) == 1
    link = re.search(r"http://testserver(/accounts/reset/\S+)", mail.outbox[0].body).group(1)
    form_page = client.get(link, follow=True)
    assert "Choose a new password" in form_page.content.decode()
    done = client.post(
        form_page.redirect_chain[-1][0],
        {"new_password1": "correct-horse-battery", "new_password2": "correct-horse-battery"},
        follow=True,
    )
    assert "Your password has been changed" in done.content.decode()
    response = client.post(reverse("login"), {"username": "teacher@a.example", "password": "correct-horse-battery"})
    assert response.status_code == 302 and response["Location"] == reverse("home")


def test_an_unknown_address_gets_the_same_answer_and_no_email(cast, client):
    response = client.post(reverse("password_reset"), {"email": "nobody@a.example"}, follow=True)
    assert "Check your e-mail" in response.content.decode()
    assert mail.outbox == []


def test_a_session_expires_after_thirty_minutes_without_activity(cast, client, settings):
    assert settings.SESSION_COOKIE_AGE == 30 * 60 and settings.SESSION_SAVE_EVERY_REQUEST
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        client.post(reverse("login"), {"username": "teacher@a.example", "password": "a-test-password"})
        traveller.shift(25 * 60)
        assert client.get(reverse("home")).status_code == 200  # activity moves the expiry on
        traveller.shift(25 * 60)
        assert client.get(reverse("home")).status_code == 200
        traveller.shift(31 * 60)
        response = client.get(reverse("pupil_list"))
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


def test_logging_out_needs_a_post_and_ends_the_session(cast, login):
    client = login(cast.a.users["teacher"])
    assert client.get(reverse("logout")).status_code == 405
    client.post(reverse("logout"))
    assert client.get(reverse("home")).status_code == 302


def test_a_user_without_a_school_is_told_so(db, client):
    user = User.objects.create_user("lonely@example.org", "a-test-password", full_name="No School")
    client.force_login(user)
    response = client.get(reverse("home"))
    assert response.status_code == 403
    assert "does not include it" in response.content.decode()


def test_behind_one_proxy_the_client_address_is_read_and_cannot_be_forged(settings, rf):
    from esafety.audit import _client_ip

    # TRUSTED_PROXY_COUNT=1, as esafety/settings.py turns it into django-axes' settings.
    settings.AXES_IPWARE_PROXY_COUNT = 0
    settings.AXES_IPWARE_META_PRECEDENCE_ORDER = ["HTTP_X_FORWARDED_FOR", "REMOTE_ADDR"]
    proxy = "10.0.0.2"
    assert _client_ip(rf.get("/", REMOTE_ADDR=proxy, HTTP_X_FORWARDED_FOR="81.2.69.160")) == "81.2.69.160"
    # A client that sends its own X-Forwarded-For gets its real address recorded all the same.
    forged = rf.get("/", REMOTE_ADDR=proxy, HTTP_X_FORWARDED_FOR="1.1.1.1, 81.2.69.160")
    assert _client_ip(forged) == "81.2.69.160"
