"""The register of internet accounts: finding accounts, granting one, correcting it, ending it; the yearly review."""

from django import forms
from django.utils import timezone

from devices.models import InternetAccount
from esafety.filters import SEARCH_MAX_LENGTH
from incidents.forms import DATE_ISO, DatePickerInput

Holder = InternetAccount.Holder
DATE_FORMATS = [DATE_ISO, "%d/%m/%Y"]


class AccountFilterForm(forms.Form):
    """The register's filters: whose accounts, in use or ended, and a search by name or username."""

    IN_USE, ENDED, ALL = "in_use", "ended", "all"

    holder = forms.ChoiceField(label="Who", required=False, choices=[("", "Everyone"), *Holder.choices])
    status = forms.ChoiceField(
        label="Accounts",
        required=False,
        choices=[(IN_USE, "In use"), (ENDED, "Ended (or the holder has left)"), (ALL, "In use and ended")],
    )
    q = forms.CharField(label="Name or username", required=False, max_length=SEARCH_MAX_LENGTH)

    def status_chosen(self) -> str:
        self.is_valid()
        return getattr(self, "cleaned_data", {}).get("status") or self.IN_USE


class PupilChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, pupil):
        return f"{pupil.last_name}, {pupil.preferred_name or pupil.first_name}" + (f" ({pupil.form.name})" if pupil.form else "")


class StaffChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, member):
        return f"{member.last_name}, {member.first_name}" + (f" ({member.job_title})" if member.job_title else "")


class AccountDetailsForm(forms.Form):
    """What is corrected on an account: everything but whose it is."""

    name = forms.CharField(label="Name", max_length=200, required=False, help_text="For a visitor or a community user.")
    organisation = forms.CharField(
        label="Organisation (optional)", max_length=200, required=False, help_text="e.g. the club or company they are with."
    )
    agreement_signed_on = forms.DateField(
        label="Acceptable-use agreement signed on",
        required=False,
        widget=DatePickerInput(),
        input_formats=DATE_FORMATS,
        help_text="Visitors and community users sign the paper agreement before they are given access.",
    )
    username = forms.CharField(label="Username", max_length=120)
    access = forms.CharField(label="Access to", max_length=200, help_text="e.g. network and e-mail, guest Wi-Fi.")
    granted_on = forms.DateField(label="Granted on", widget=DatePickerInput(), input_formats=DATE_FORMATS)

    def __init__(self, *args, holder: str | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        if holder in (Holder.STAFF, Holder.PUPIL):
            # Staff and pupils accept their agreement in the app (consents), and are named by their record.
            for name in ("name", "organisation", "agreement_signed_on"):
                del self.fields[name]
        elif holder is not None:
            self.fields["name"].required = True
            self.fields["agreement_signed_on"].required = True
        for name in ("name", "agreement_signed_on"):
            if name in self.fields:
                self.fields[name].error_messages["required"] = {
                    "name": "Give the name of the person the account is for.",
                    "agreement_signed_on": "Give the date they signed the acceptable-use agreement.",
                }[name]
        self.fields["username"].error_messages["required"] = "Give the username of the account."
        self.fields["access"].error_messages["required"] = "Say what the account gives access to."


class AccountGrantForm(AccountDetailsForm):
    """A new account, for a member of staff, a pupil on roll, a visitor or a community user."""

    field_order = ["holder", "staff", "pupil", "name", "organisation", "agreement_signed_on", "username", "access", "granted_on"]

    holder = forms.ChoiceField(
        label="Who is it for?",
        choices=Holder.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Choose who the account is for."},
    )
    staff = StaffChoiceField(label="Member of staff", queryset=None, required=False, empty_label="Choose…")
    pupil = PupilChoiceField(label="Pupil", queryset=None, required=False, empty_label="Choose…")

    def __init__(self, *args, staff, pupils, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["staff"].queryset = staff
        self.fields["pupil"].queryset = pupils
        self.fields["name"].help_text = "For a visitor or a community user."
        self.fields["agreement_signed_on"].help_text = (
            "For a visitor or a community user, who signs the paper agreement before they are given access. Staff and "
            "pupils accept theirs in the app."
        )

    def clean(self):
        cleaned = super().clean()
        holder = cleaned.get("holder")
        if holder == Holder.STAFF and not cleaned.get("staff") and "staff" not in self.errors:
            self.add_error("staff", "Choose the member of staff.")
        if holder == Holder.PUPIL and not cleaned.get("pupil") and "pupil" not in self.errors:
            self.add_error("pupil", "Choose the pupil.")
        if holder in (Holder.VISITOR, Holder.COMMUNITY):
            if not (cleaned.get("name") or "").strip() and "name" not in self.errors:
                self.add_error("name", "Give the name of the person the account is for.")
            if not cleaned.get("agreement_signed_on") and "agreement_signed_on" not in self.errors:
                self.add_error("agreement_signed_on", "Give the date they signed the acceptable-use agreement.")
        return cleaned


class AccountEndForm(forms.Form):
    ended_on = forms.DateField(
        label="Ended on",
        widget=DatePickerInput(),
        input_formats=DATE_FORMATS,
        help_text="The day access stops: today, or a day to come for a visit that ends later.",
        error_messages={"required": "Give the day the account ends."},
    )
    reason = forms.CharField(
        label="Why",
        max_length=200,
        help_text="e.g. left the school, the visit is over, access no longer needed.",
        error_messages={"required": "Say why the account ends."},
    )

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("initial", {"ended_on": timezone.localdate()})
        super().__init__(*args, **kwargs)


class AccessReviewForm(forms.Form):
    findings = forms.CharField(
        label="Findings and actions",
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text="What you checked, what you changed and why (accounts ended, access reduced, agreements chased).",
        error_messages={"required": "Write what you checked and found, even if everything was in order."},
    )
    # The review this one follows, as the page showed it: a review signed off meanwhile is not signed over.
    previous = forms.IntegerField(required=False, widget=forms.HiddenInput)
