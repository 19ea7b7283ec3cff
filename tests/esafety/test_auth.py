"""Logging in with an e-mail address, lockout, password reset and idle sessions."""

import re

import time_machine
from django.contrib.auth.hashers import make_password
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from esafety.models import User


def test_a_user_logs_in_with_their_email_address_and_lands_on_their_home_page(cast, client):
    response = client.post(reverse("login"), {"username": "Teacher@a.example", "password": "a-test-password"}, follow=True)
    assert response.redirect_chain[-1][0] == reverse("home")
    page = response.content.decode()
    assert "Teacher A" in page and "School A" in page


def test_a_wrong_password_says_so_and_keeps_the_address(cast, client):
    response = client.post(reverse("login"), {"username": "dsl@a.example", "password": "wrong"})
    page = response.content.decode()
    assert "That e-mail address and password do not match an account" in page
    assert 'value="dsl@a.example"' in page


def _sign_in(client, email, password="a-test-password", address="198.51.100.7"):
    return client.post(reverse("login"), {"username": email, "password": password}, REMOTE_ADDR=address)


def test_an_account_pauses_after_five_failures_from_any_addresses_and_says_no_more_than_for_a_wrong_password(cast, client):
    wrong = _sign_in(client, "office@a.example", "wrong", address="198.51.100.1")
    for n in range(2, 6):
        _sign_in(client, "office@a.example", "wrong", address=f"198.51.100.{n}")
    # Even the right password, from yet another address, is refused now: and in the same words.
    refused = _sign_in(client, "office@a.example", address="198.51.100.99")
    assert refused.status_code == wrong.status_code == 200
    assert "That e-mail address and password do not match an account" in refused.content.decode()
    assert refused.content.decode().count("alert-danger") == wrong.content.decode().count("alert-danger") == 1
    assert "_auth_user_id" not in client.session
    # Another account from that address is not affected.
    assert _sign_in(client, "teacher@a.example", address="198.51.100.99").status_code == 302


def test_one_address_trying_many_accounts_is_paused_too(cast, client, settings):
    settings.LOGIN_FAILURES_PER_ADDRESS = 8
    for n in range(8):
        _sign_in(client, f"guess{n}@a.example", "Winter2026!")  # one guess at each of many accounts
    refused = _sign_in(client, "teacher@a.example")
    assert refused.status_code == 200 and "_auth_user_id" not in client.session
    assert "That e-mail address and password do not match an account" in refused.content.decode()
    # The same account from another address still signs in: the pause is on the address.
    assert _sign_in(client, "teacher@a.example", address="203.0.113.5").status_code == 302


def test_sign_in_is_still_paused_with_redis_down(cast, client, settings):
    # Failures are counted in the database, not the cache: a dead cache server changes nothing.
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": "redis://127.0.0.1:1/0"}}
    for _ in range(5):
        _sign_in(client, "office@a.example", "wrong")
    assert _sign_in(client, "office@a.example").status_code == 200
    assert "_auth_user_id" not in client.session


def test_passwords_need_twelve_characters_and_not_a_common_one_but_no_composition_rules(cast, login):
    client = login(cast.a.users["teacher"])
    url = reverse("password_change")
    short = client.post(url, {"old_password": "a-test-password", "new_password1": "tree-house1", "new_password2": "tree-house1"})
    assert "at least 12 characters" in short.content.decode()
    common = client.post(
        url, {"old_password": "a-test-password", "new_password1": "qwerty123456", "new_password2": "qwerty123456"}
    )
    assert "too common" in common.content.decode()
    # Lower-case words alone are fine: length, not symbols, makes a password strong.
    fine = client.post(
        url,
        {
            "old_password": "a-test-password",
            "new_password1": "purple kettle on the moor",
            "new_password2": "purple kettle on the moor",
        },
    )
    assert fine.status_code == 302


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
    assert settings.SESSION_COOKIE_AGE == 30 * 60
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
    from esafety.audit import client_ip

    # TRUSTED_PROXY_COUNT=1, as esafety/settings.py turns it into django-axes' settings.
    settings.AXES_IPWARE_PROXY_COUNT = 0
    settings.AXES_IPWARE_META_PRECEDENCE_ORDER = ["HTTP_X_FORWARDED_FOR", "REMOTE_ADDR"]
    proxy = "10.0.0.2"
    assert client_ip(rf.get("/", REMOTE_ADDR=proxy, HTTP_X_FORWARDED_FOR="81.2.69.160")) == "81.2.69.160"
    # A client that sends its own X-Forwarded-For gets its real address recorded all the same.
    forged = rf.get("/", REMOTE_ADDR=proxy, HTTP_X_FORWARDED_FOR="1.1.1.1, 81.2.69.160")
    assert client_ip(forged) == "81.2.69.160"


def test_the_set_up_administrator_lands_on_the_admin_site(db, client):
    admin = User.objects.create_superuser("root@example.org", "a-long-password-1", full_name="Set-up administrator")
    client.force_login(admin)

    response = client.get(reverse("home"))

    assert response.status_code == 302 and response["Location"] == reverse("admin:index")
    assert client.get(response["Location"]).status_code == 200
