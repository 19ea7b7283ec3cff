"""
Signing in, beyond Django's own views: the second factor (esafety.second_factor), a user's sessions, the
reset of a colleague's lost device, and how repeated failures are counted (django-axes).
"""

import hashlib

from axes.handlers.database import AxesDatabaseHandler
from django import forms
from django.conf import settings
from django.contrib import messages
from django.db.models import Count, Exists, OuterRef, Sum
from django.http import Http404
from django.shortcuts import redirect, render, resolve_url
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST
from django_otp.plugins.otp_totp.models import TOTPDevice
from qsessions.models import Session

from esafety import second_factor
from esafety.access import capability_required
from esafety.audit import client_ip
from esafety.forms import EmailAuthenticationForm
from esafety.models import User
from esafety.roles import Capability

# --- Counting failed sign-ins ---------------------------------------------------------------


class AccountOrAddressLockout(AxesDatabaseHandler):
    """
    django-axes' database handler, counting failures two ways with a limit each: per account from any address
    (AXES_FAILURE_LIMIT) and per address at any account (LOGIN_FAILURES_PER_ADDRESS, higher, since a
    school's staff share an address). axes compares one count with one limit, so the address's count is
    given in the account's units: `(address failures × account limit) // address limit` reaches the
    account limit exactly when the address's failures reach theirs.
    """

    def get_failures(self, request, credentials=None) -> int:
        by_account, by_address = (
            attempts.aggregate(n=Sum("failures_since_start"))["n"] or 0
            for attempts in self.get_user_attempts(request, credentials)
        )
        return max(by_account, by_address * settings.AXES_FAILURE_LIMIT // settings.LOGIN_FAILURES_PER_ADDRESS)


def username_for_lockout(request, credentials) -> str:
    """The address as sign-in matches it, whatever its capitals: DSL@… and dsl@… are one account to count."""
    username = (credentials or {}).get("username") or request.POST.get("username", "")
    return str(username).strip().lower()


def sign_in_refused(request, response, credentials):
    """
    While sign-in is paused, the login page answers exactly as for a wrong password (status, message and the
    address kept), so that neither a guess nor the pause itself tells anything. The message says that
    repeated failures pause sign-in.
    """
    form = EmailAuthenticationForm(request, data=request.POST)
    form.is_valid()  # refused by axes' backend, so the same error as a wrong password
    return render(request, "registration/login.html", {"form": form, "next": request.POST.get("next", "")})


# --- The second factor ------------------------------------------------------------------------


class CodeForm(forms.Form):
    code = forms.CharField(
        label="Code",
        max_length=20,
        help_text="The 6-digit code your authenticator app shows now, or one of your backup codes.",
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "autofocus": True, "spellcheck": "false"}),
    )


def _next(request) -> str:
    """Where to go after the code: a path on this site that was asked for, or the home page."""
    wanted = request.POST.get("next") or request.GET.get("next") or ""
    if wanted.startswith("/") and url_has_allowed_host_and_scheme(
        wanted, {request.get_host()}, require_https=request.is_secure()
    ):
        return wanted
    return resolve_url(settings.LOGIN_REDIRECT_URL)


class SetUpForm(CodeForm):
    """The first code from the app; and the password, when the sign-in was a while ago (a PC left signed in)."""

    password = forms.CharField(
        label="Your password",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
        help_text="You signed in a while ago: type your password, so that nobody else can add their phone to your account.",
    )

    def __init__(self, *args, user, ask_password: bool, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        if not ask_password:
            del self.fields["password"]

    def clean_password(self):
        password = self.cleaned_data["password"]
        if not self.user.check_password(password):
            raise forms.ValidationError("That is not your password.")
        return password


def second_factor_setup(request):
    """First sign-in of someone who must use a second factor (or anyone who chooses to): scan the QR code, type
    a first code. Straight after signing in the password is not asked again; later it is."""
    if second_factor.has_second_factor(request.user):
        return redirect("second_factor_verify")
    device = second_factor.enrolment_device(request.user)
    ask_password = not second_factor.signed_in_recently(request)
    form = SetUpForm(request.POST or None, user=request.user, ask_password=ask_password)
    if request.method == "POST" and form.is_valid():
        codes = second_factor.second_factor_enrol(request=request, device=device, code=form.cleaned_data["code"])
        if codes is not None:
            return render(request, "registration/backup_codes.html", {"codes": codes, "next": _next(request), "new": True})
        form.add_error("code", "That code does not match. Type the code your app shows now (it changes every 30 seconds).")
    return render(
        request,
        "registration/second_factor_setup.html",
        {
            "form": form,
            "qr_code": second_factor.qr_code_svg(device),
            "secret": second_factor.secret_for_typing(device),
            "next": _next(request),
        },
        status=400 if form.errors else 200,
    )


def second_factor_verify(request):
    """The second step of each sign-in, and the step-up before a restricted record."""
    if not second_factor.has_second_factor(request.user):
        return redirect("second_factor_setup")
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            verified = second_factor.second_factor_verify(request=request, code=form.cleaned_data["code"])
        except second_factor.TooManyTries:
            form.add_error("code", "Too many wrong codes in a row: wait a few seconds, then type the code your app shows then.")
        else:
            if verified:
                left = second_factor.backup_codes_left(request.user)
                if left <= 3:
                    messages.warning(
                        request,
                        f"You have {left} backup code{'s' if left != 1 else ''} left: make new ones on your account page.",
                    )
                return redirect(_next(request))
            form.add_error("code", "That code is not right, or has been used already. Try the code your app shows now.")
    return render(
        request,
        "registration/second_factor_verify.html",
        {"form": form, "next": _next(request), "step_up": request.user.is_verified()},
        status=400 if form.errors else 200,
    )


@require_POST
def backup_codes_renew(request):
    """New backup codes (the old ones stop working): after a second factor in the last minutes, shown once."""
    if not second_factor.verified_recently(request):
        return second_factor.step_up_redirect(request, next_url=reverse("account_security"))
    codes = second_factor.backup_codes_renew(user=request.user)
    return render(request, "registration/backup_codes.html", {"codes": codes, "next": "account_security"})


# --- A user's own sessions and sign-in security ------------------------------------------


def _session_ref(session_key: str) -> str:
    # Session keys are secrets: pages name a session by a digest of its key.
    return hashlib.sha256(session_key.encode()).hexdigest()[:20]


def account_security(request):
    """Where and since when the user is signed in, with a way to end the other sessions; their second factor."""
    sessions = list(Session.objects.filter(user=request.user).order_by("-updated_at"))
    for session in sessions:
        session.ref = _session_ref(session.session_key)
        session.is_this_one = session.session_key == request.session.session_key
    return render(
        request,
        "registration/account_security.html",
        {
            "sessions": sessions,
            "has_second_factor": second_factor.has_second_factor(request.user),
            "backup_codes_left": second_factor.backup_codes_left(request.user),
        },
    )


@require_POST
def session_end(request, ref):
    """End one of the user's other sessions (a PC left signed in at school, say)."""
    for session in Session.objects.filter(user=request.user).exclude(session_key=request.session.session_key):
        if _session_ref(session.session_key) == ref:
            session.delete()
            messages.success(request, "That session has been ended.")
            return redirect("account_security")
    raise Http404("No such session.")


@require_POST
def sessions_end_others(request):
    ended, _ = Session.objects.filter(user=request.user).exclude(session_key=request.session.session_key).delete()
    messages.success(request, "Every other session has been ended." if ended else "There were no other sessions.")
    return redirect("account_security")


# --- A colleague's lost device -------------------------------------------------------------------


def _school_users(request):
    return User.objects.filter(memberships__school=request.access.school).distinct()


@capability_required(Capability.RESET_SECOND_FACTOR)
def second_factor_people(request):
    """Who at the school has a second factor, for the head and the IT manager."""
    people = (
        _school_users(request)
        .filter(is_active=True)
        .annotate(
            has_app=Exists(TOTPDevice.objects.filter(user=OuterRef("pk"), confirmed=True)),
            backup_codes=Count("staticdevice__token_set", distinct=True),
        )
        .prefetch_related("memberships")
        .order_by("full_name")
    )
    rows = []
    for person in people:
        roles = {m.role for m in person.memberships.all() if m.school_id == request.access.school.pk}
        person.required = second_factor.second_factor_required(person, roles)
        rows.append(person)
    return render(request, "registration/second_factor_people.html", {"people": rows})


@require_POST
@capability_required(Capability.RESET_SECOND_FACTOR)
def second_factor_reset(request, user_id):
    person = _school_users(request).filter(pk=user_id).first()
    if person is None:
        raise Http404("No such person at this school.")
    if not second_factor.verified_recently(request):
        messages.warning(request, "Nothing was reset: confirm it is you, then reset it again.")
        return second_factor.step_up_redirect(request, next_url=reverse("second_factor_people"))
    if person.pk == request.user.pk:
        messages.error(request, "You cannot reset your own two-factor sign-in: ask the head teacher or the IT manager.")
        return redirect("second_factor_people")
    second_factor.second_factor_reset(
        user=person, actor=request.user, school=request.access.school, ip_address=client_ip(request)
    )
    messages.success(
        request,
        f"{person.full_name}'s two-factor sign-in has been reset and their sessions ended. "
        "They will set up their authenticator app again at their next sign-in.",
    )
    return redirect("second_factor_people")
