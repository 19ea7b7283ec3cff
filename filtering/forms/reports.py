"""Reports of unsuitable sites: reporting, the decision, escalation to an incident, IT's blocking."""

from urllib.parse import urlsplit

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone

from esafety.filters import SEARCH_MAX_LENGTH
from filtering.forms.changes import AgreementFields
from filtering.models import SiteReport
from filtering.sites import ip_address_in, normalise_host
from incidents.forms import DATETIME_LOCAL, DateTimeLocalInput

# A little leeway for a clock a minute or two ahead of the server's.
FUTURE_LEEWAY = timezone.timedelta(minutes=5)


def host_of(typed: str) -> str:
    """
    The domain of an address as it was typed, for the register's search by domain; the address itself is kept
    as typed. An address with an IP number instead of a domain keeps the number.
    """
    text = typed.strip()
    if not text:
        raise ValidationError("Type the address of the site.")
    if any(character.isspace() for character in text):
        raise ValidationError("The address has a space in it: copy it from the browser's address bar, all on one line.")
    with_scheme = text if "://" in text else f"http://{text}"
    try:
        parts = urlsplit(with_scheme)
        parts.port  # noqa: B018 (reading it checks it)
    except ValueError as error:
        raise ValidationError(
            "This is not a web address that can be read: copy it from the browser's address bar, "
            "e.g. https://www.example.org/page."
        ) from error
    hostname = parts.hostname or ""
    if not hostname:
        raise ValidationError(
            "The address has no site name in it: copy it from the browser's address bar, e.g. https://www.example.org/page."
        )
    if (address := ip_address_in(hostname)) is not None:
        return address
    try:
        return normalise_host(hostname)
    except ValidationError as error:
        raise ValidationError(
            f"The site name in this address is not valid: {' '.join(error.messages)} Copy the address from the browser's address bar."
        ) from error


class PupilChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, pupil):
        return f"{pupil.last_name}, {pupil.preferred_name or pupil.first_name}" + (f" ({pupil.form.name})" if pupil.form else "")


class SiteReportForm(forms.Form):
    """What anyone on the staff fills in when a site got through the filter."""

    url = forms.CharField(
        label="Address of the site",
        max_length=2000,
        help_text="As it was in the browser's address bar. If you suspect illegal material, do not go back to copy it: "
        "write what you remember.",
    )
    what_was_seen = forms.CharField(
        label="What was seen",
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="Describe it in words. Do not take screenshots or copies.",
    )
    where = forms.CharField(label="Where", max_length=200, help_text="The room, and the device if known.")
    seen_at = forms.DateTimeField(
        label="When",
        widget=DateTimeLocalInput(),
        input_formats=[DATETIME_LOCAL, "%d/%m/%Y %H:%M"],
        help_text="The date and time it was seen.",
    )
    found_by = forms.CharField(
        label="Who found it", max_length=200, required=False, help_text="A member of staff, or a pupil: pupils may be named."
    )
    pupils = PupilChoiceField(
        label="Pupils who saw it (optional)",
        queryset=None,
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 8}),
        help_text="Hold Ctrl (Cmd on a Mac) to choose more than one.",
    )
    suspected_illegal = forms.BooleanField(
        label="I suspect illegal material (child sexual abuse images, terrorist or other criminal content)", required=False
    )

    def __init__(self, *args, pupils, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["pupils"].queryset = pupils

    def clean_url(self):
        url = self.cleaned_data["url"].strip()
        self.host = host_of(url)
        return url

    def clean_seen_at(self):
        value = self.cleaned_data["seen_at"]
        if value > timezone.now() + FUTURE_LEEWAY:
            raise ValidationError("This is in the future. Give the date and time the site was seen.")
        return value


class DecisionForm(forms.Form):
    """The lead's or DSL's decision on a report: escalating it has a button of its own."""

    decision = forms.ChoiceField(
        label="Decision",
        choices=[
            (SiteReport.Decision.BLOCK, "Block it: IT blocks the site"),
            (SiteReport.Decision.NO_ACTION, "No action needed"),
        ],
        widget=forms.RadioSelect,
        error_messages={"required": "Choose a decision."},
    )
    note = forms.CharField(
        label="Note",
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Needed when no action is taken: say why.",
    )

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("decision") == SiteReport.Decision.NO_ACTION and not cleaned.get("note", "").strip():
            self.add_error("note", "Say why no action is needed.")
        return cleaned


class EscalateForm(forms.Form):
    note = forms.CharField(label="Note for the incident (optional)", required=False, widget=forms.Textarea(attrs={"rows": 2}))


class ReferralForm(forms.Form):
    """Who a suspected-illegal report went to outside the school, and their reference."""

    reported_to_iwf_police = forms.CharField(
        label="Reported to, and their reference",
        max_length=200,
        help_text="For example: IWF, report 123456; or police (101), reference 45/6789.",
    )


class BlockedForm(AgreementFields):
    """IT's record that the site is blocked, and the entry for the filter change log if IT makes one."""

    field_order = ["log_change", "reason", "risk_assessment", "agreement", "emergency_reason"]

    log_change = forms.BooleanField(label="Log the block in the filter change log", required=False, initial=True)
    reason = forms.CharField(label="Why", required=False, widget=forms.Textarea(attrs={"rows": 2}))
    risk_assessment = forms.CharField(
        label="Risk assessment",
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="The risks of the change, and how they are managed.",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Asked for only when the block is logged as a change.
        self.fields["agreement"].required = False

    def clean(self):
        cleaned = super().clean()
        if not cleaned.get("log_change"):
            return cleaned
        for name, message in (
            ("reason", "Say why the site is blocked."),
            ("risk_assessment", "Write the risk assessment of the change."),
            ("agreement", "Say when the head teacher agreed the change."),
        ):
            if not (cleaned.get(name) or "").strip() and name not in self.errors:
                self.add_error(name, message)
        self.check_agreement(cleaned)
        return cleaned


class ReportFilterForm(forms.Form):
    q = forms.CharField(label="Domain or reference", required=False, max_length=SEARCH_MAX_LENGTH)
    status = forms.ChoiceField(label="Status", required=False, choices=[("", "Any")] + SiteReport.Status.choices)
