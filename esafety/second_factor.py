"""
Two-factor sign-in for those who hold children's records (django-otp).

- Who must use it: superusers, and anyone who holds a role in `REQUIRED_FOR`
  at any school or trust (`second_factor_required`). Everyone else may.
- Enrolment, at the first sign-in after the password: an authenticator app
  (TOTP) is added by scanning a QR code and typing one code from it; ten
  single-use backup codes are shown once.
- Each sign-in after that: the password, then a code from the app or a
  backup code. django-otp refuses a TOTP code used before (its `last_t`),
  deletes a backup code once used, and slows guessing (its throttling).
- Step-up: opening a restricted record needs a second factor given within
  the last 15 minutes (`settings.SECOND_FACTOR_STEP_UP_SECONDS`).
- A lost device is reset by another privileged user of the same school
  (`second_factor_reset`): the access log records it, the user's sessions
  end, and they enrol again at their next sign-in.
"""

import io
from datetime import datetime
from urllib.parse import urlencode

import qrcode
import qrcode.image.svg
from django.conf import settings
from django.db import transaction
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django_otp import DEVICE_ID_SESSION_KEY, devices_for_user, user_has_device
from django_otp import login as otp_login
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from esafety.models import AccessLogEntry, Membership, School, User
from esafety.roles import Role

# Roles that see restricted incidents, the access log or other schools' records, or run the filter and the accounts.
REQUIRED_FOR = frozenset({Role.DSL, Role.HEAD, Role.IT, Role.TRUST, Role.CHAIR})
# When this session last passed a second factor (an ISO timestamp).
VERIFIED_AT_KEY = "second_factor_verified_at"
BACKUP_CODE_COUNT = 10
APP_DEVICE_NAME = "Authenticator app"
BACKUP_DEVICE_NAME = "Backup codes"

# When this session signed in (an ISO timestamp): set by esafety.middleware.SignInPolicyMiddleware for the
# session's absolute limit, read here for the step-up window.
SIGNED_IN_AT_KEY = "signed_in_at"


def second_factor_required(user: User, roles_anywhere) -> bool:
    """Whether this user must pass a second factor before any page. `roles_anywhere`: their roles at every school.
    Whoever may use the admin site (set-up) must too."""
    return user.is_superuser or user.is_staff or bool(REQUIRED_FOR & set(roles_anywhere))


def has_second_factor(user: User) -> bool:
    return user_has_device(user, confirmed=True)


def verified_recently(request) -> bool:
    """Whether this session passed a second factor within the step-up window (for restricted records)."""
    if not request.user.is_verified():
        return False
    stamp = request.session.get(VERIFIED_AT_KEY)
    if not stamp:
        return False
    age = timezone.now() - datetime.fromisoformat(stamp)
    return age.total_seconds() <= settings.SECOND_FACTOR_STEP_UP_SECONDS


def signed_in_recently(request) -> bool:
    """Whether the password was given within the step-up window (the session's sign-in time, set by
    esafety.middleware.SignInPolicyMiddleware)."""
    stamp = request.session.get(SIGNED_IN_AT_KEY)
    if not stamp:
        return True  # this very request signed in
    age = timezone.now() - datetime.fromisoformat(stamp)
    return age.total_seconds() <= settings.SECOND_FACTOR_STEP_UP_SECONDS


def restricted_record_opened(request, next_url: str | None = None):
    """
    Call before a page shows (or a download holds) a restricted record. Returns the step-up redirect when this
    session's second factor is older than the step-up window, coming back to `next_url` (by default this
    page); otherwise marks the page restricted (a shorter idle limit).
    """
    if not verified_recently(request):
        return step_up_redirect(request, next_url)
    request.restricted_page = True
    return None


def step_up_redirect(request, next_url: str | None = None):
    return redirect(f"{reverse('second_factor_verify')}?{urlencode({'next': next_url or request.get_full_path()})}")


def session_signed_in_with_second_factor(session, user: User) -> None:
    """
    For tools that sign a user in without the pages (the bench, the tests' `force_login`): the session counts
    as having passed the user's second factor just now, when their role needs one. Never used by a view.
    """
    roles = Membership.objects.filter(user=user).values_list("role", flat=True)
    if not second_factor_required(user, roles):
        return
    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    device = device or TOTPDevice.objects.create(user=user, name=APP_DEVICE_NAME, confirmed=True)
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session[VERIFIED_AT_KEY] = timezone.now().isoformat()
    session.save()


def _session_verified(request, device) -> None:
    # A new session key whenever the session gains a privilege, as at sign-in.
    request.session.cycle_key()
    otp_login(request, device)
    request.session[VERIFIED_AT_KEY] = timezone.now().isoformat()


# --- Enrolment --------------------------------------------------------------------


def enrolment_device(user: User) -> TOTPDevice:
    """The user's authenticator app waiting to be confirmed, made on first call (the same QR code on a reload)."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("pk").first()
    return device or TOTPDevice.objects.create(user=user, name=APP_DEVICE_NAME, confirmed=False)


def qr_code_svg(device: TOTPDevice) -> str:
    """The device's otpauth:// address as an SVG QR code, to put straight into the page (no script, no image URL)."""
    image = qrcode.make(device.config_url, image_factory=qrcode.image.svg.SvgPathImage, box_size=8)
    out = io.BytesIO()
    image.save(out)
    svg = out.getvalue().decode()
    return svg[svg.index("<svg") :]


def secret_for_typing(device: TOTPDevice) -> str:
    """The secret in groups of four, for an app that cannot scan (base32, as authenticator apps expect)."""
    from base64 import b32encode

    secret = b32encode(device.bin_key).decode()
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


@transaction.atomic
def second_factor_enrol(*, request, device: TOTPDevice, code: str) -> list[str] | None:
    """
    Confirm the authenticator app with a first code from it. Returns the new backup codes (to show once),
    or None when the code is wrong. The session counts as verified from now on.
    """
    if not device.verify_token(code.replace(" ", "")):
        return None
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    # One app at a time: an older, unconfirmed one is dropped.
    TOTPDevice.objects.filter(user=device.user, confirmed=False).delete()
    codes = backup_codes_renew(user=device.user)
    _session_verified(request, device)
    return codes


@transaction.atomic
def second_factor_enrol_for_demo(*, user: User) -> TOTPDevice:
    """An authenticator app already set up, with backup codes: for the demo's logins, so that trying the app
    stays one command (`manage.py seed_demo` prints each login's key and a few backup codes)."""
    device = TOTPDevice.objects.create(user=user, name=APP_DEVICE_NAME, confirmed=True)
    backup_codes_renew(user=user)
    return device


def backup_codes_unused(user: User) -> list[str]:
    """The backup codes not used yet (the demo prints a few)."""
    return list(StaticToken.objects.filter(device__user=user).order_by("pk").values_list("token", flat=True))


@transaction.atomic
def backup_codes_renew(*, user: User) -> list[str]:
    """A new set of single-use backup codes; the old ones stop working."""
    backup, _ = StaticDevice.objects.get_or_create(user=user, defaults={"name": BACKUP_DEVICE_NAME})
    backup.token_set.all().delete()
    codes = [StaticToken.random_token() for _ in range(BACKUP_CODE_COUNT)]
    StaticToken.objects.bulk_create(StaticToken(device=backup, token=code) for code in codes)
    return codes


# --- Each sign-in and step-up ---------------------------------------------------------


class TooManyTries(Exception):
    """django-otp holds back the device after wrong codes (1, 2, 4… seconds): the person should wait, not retype."""


def second_factor_verify(*, request, code: str) -> bool:
    """
    Check a code from the app (digits) or a backup code (letters and digits); on success the session is
    verified (and stamped now). Only the kind of device the code is for is tried, so that a backup code is
    not a wrong try at the app, nor a mistyped app code one at the backup codes. Raises TooManyTries while
    that device is held back after wrong codes.
    """
    code = code.replace(" ", "").lower()
    if not code:
        return False
    kind = TOTPDevice if code.isdigit() else StaticDevice
    with transaction.atomic():
        for device in devices_for_user(request.user, confirmed=True, for_verify=True):
            if not isinstance(device, kind):
                continue
            allowed, _ = device.verify_is_allowed()
            if not allowed:
                raise TooManyTries
            if device.verify_token(code):
                _session_verified(request, device)
                return True
    return False


def backup_codes_left(user: User) -> int:
    return StaticToken.objects.filter(device__user=user).count()


# --- Reset of a lost device ---------------------------------------------------------------


def user_sessions_end(*, user: User) -> int:
    """End every session of a user at once (switched off, or their second factor reset). Returns how many."""
    from qsessions.models import Session

    ended, _ = Session.objects.filter(user=user).delete()
    return ended


@transaction.atomic
def second_factor_reset(*, user: User, actor: User, school: School, ip_address: str | None = None) -> None:
    """
    Remove every second factor of `user` (a lost or new phone), end all their sessions and record it in the
    access log. They enrol again at their next sign-in. Done by another privileged user, never by themselves.
    """
    from esafety.audit import access_log_add
    from esafety.notifications import notify

    if user.pk == actor.pk:
        raise PermissionError("Nobody may reset their own second factor.")
    for device in devices_for_user(user, confirmed=None):
        device.delete()
    user_sessions_end(user=user)
    access_log_add(
        actor=actor,
        school=school,
        kind=AccessLogEntry.Kind.SECURITY,
        summary=f"Reset the two-factor sign-in of {user.full_name} ({user.email})",
        ip_address=ip_address,
    )
    # Told at once, by e-mail too: a reset they did not ask for is a warning sign.
    notify(
        recipients=[user],
        school=school,
        title="Your two-factor sign-in was reset",
        body=f"{actor.full_name} reset it. You will set up your authenticator app again when you next sign in. "
        "If you did not ask for this, tell the head teacher straight away.",
        email=True,
    )
