"""
Confiscated devices: recording one, the register's filters, and a form for each step of the chain of custody.
The forms of the device's page each have a prefix, so that their fields keep distinct ids on the one page.
"""

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone

from devices.models import Confiscation, CustodyEntry
from esafety.filters import SEARCH_MAX_LENGTH
from incidents.forms import DATETIME_LOCAL, DateTimeLocalInput

# A little leeway for a clock a minute or two ahead of the server's.
FUTURE_LEEWAY = timezone.timedelta(minutes=5)
TAKEN, FOUND = "taken", "found"


class PupilField(forms.ModelChoiceField):
    def label_from_instance(self, pupil):
        return f"{pupil.last_name}, {pupil.preferred_name or pupil.first_name}" + (f" ({pupil.form.name})" if pupil.form else "")


class StaffField(forms.ModelChoiceField):
    def label_from_instance(self, staff):
        return staff.full_name


class ContactField(forms.ModelChoiceField):
    def label_from_instance(self, link):
        return f"{link.contact} ({link.get_relationship_display().lower()})"


class ConfiscationForm(forms.Form):
    """What a member of staff records when they take a device from a pupil, or find one."""

    kind = forms.ChoiceField(label="What kind of device", choices=[("", "Choose")] + Confiscation.Kind.choices)
    description = forms.CharField(
        label="Description", max_length=200, help_text="Make, colour, case, any name on it: enough to know it again."
    )
    source = forms.ChoiceField(
        label="Taken from a pupil, or found?",
        choices=[(TAKEN, "Taken from a pupil"), (FOUND, "Found: nobody handed it over")],
        widget=forms.RadioSelect,
        initial=TAKEN,
        error_messages={"required": "Say whether the device was taken from a pupil or found."},
    )
    pupil = PupilField(label="Pupil", queryset=None, required=False, empty_label="Choose the pupil")
    taken_at = forms.DateTimeField(
        label="When",
        widget=DateTimeLocalInput(),
        input_formats=[DATETIME_LOCAL, "%d/%m/%Y %H:%M"],
        help_text="The date and time it was taken or found.",
    )
    reason = forms.CharField(label="Why", widget=forms.Textarea(attrs={"rows": 3}), help_text="Why the device was taken.")
    stored_at = forms.CharField(label="Where it is kept now", max_length=120, help_text="e.g. the school office, the safe.")
    is_evidence = forms.BooleanField(
        label="It may be evidence of an offence (it is then not returned until the DSL lifts the flag)", required=False
    )

    def __init__(self, *args, pupils, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["pupil"].queryset = pupils

    def clean_taken_at(self):
        value = self.cleaned_data["taken_at"]
        if value > timezone.now() + FUTURE_LEEWAY:
            raise ValidationError("This is in the future. Give the date and time the device was taken or found.")
        return value

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("source") == TAKEN and not cleaned.get("pupil") and "pupil" not in self.errors:
            self.add_error("pupil", "Choose the pupil the device was taken from.")
        if cleaned.get("source") == FOUND:
            cleaned["pupil"] = None
        return cleaned


class ConfiscationFilterForm(forms.Form):
    q = forms.CharField(label="Reference or pupil's name", required=False, max_length=SEARCH_MAX_LENGTH)
    status = forms.ChoiceField(label="Status", required=False, choices=[("", "Any")] + Confiscation.Status.choices)
    too_long = forms.BooleanField(label="Held longer than the limit only", required=False)


class MoveForm(forms.Form):
    prefix = "move"

    stored_at = forms.CharField(label="Where it is kept now", max_length=120, help_text="e.g. the office safe.")
    note = forms.CharField(label="Note (optional)", required=False, widget=forms.Textarea(attrs={"rows": 2}))


class SearchForm(forms.Form):
    """A search by the leadership team: who searched, with whose consent, before whom, and what was found."""

    prefix = "search"

    searched_by = StaffField(label="Searched by", queryset=None, empty_label="Choose")
    consent_from = forms.CharField(
        label="With the consent of", max_length=200, help_text="e.g. the pupil and their mother, by phone at 10:15."
    )
    witnessed_by = StaffField(label="Witnessed by", queryset=None, empty_label="Choose")
    found = forms.CharField(
        label="What was found",
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Describe it in words. Never view, copy or send images.",
    )
    note = forms.CharField(label="Note (optional)", required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, staff, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["searched_by"].queryset = staff
        self.fields["witnessed_by"].queryset = staff

    def clean(self):
        cleaned = super().clean()
        searched_by, witnessed_by = cleaned.get("searched_by"), cleaned.get("witnessed_by")
        if searched_by and witnessed_by and searched_by == witnessed_by:
            self.add_error("witnessed_by", "The witness must be someone other than the person who searched the device.")
        return cleaned


class PoliceForm(forms.Form):
    prefix = "police"

    officer = forms.CharField(label="Police officer", max_length=200, help_text="Name and collar number.")
    police_reference = forms.CharField(label="Police reference (optional)", max_length=60, required=False)
    note = forms.CharField(label="Note (optional)", required=False, widget=forms.Textarea(attrs={"rows": 2}))


class BackFromPoliceForm(forms.Form):
    prefix = "back"

    stored_at = forms.CharField(label="Where it is kept now", max_length=120)
    note = forms.CharField(label="Note (optional)", required=False, widget=forms.Textarea(attrs={"rows": 2}))


class FlagForm(forms.Form):
    prefix = "flag"

    note = forms.CharField(label="Why it may be evidence", widget=forms.Textarea(attrs={"rows": 2}))


class LiftFlagForm(forms.Form):
    prefix = "lift"

    reason = forms.CharField(
        label="Why it is no longer needed as evidence",
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="e.g. the police have said they do not need it.",
    )


class ReturnForm(forms.Form):
    """Handed back: to the pupil, or to one of the pupil's own parents or carers."""

    prefix = "return"

    returned_to = forms.ChoiceField(
        label="Given back to",
        choices=CustodyEntry.ReturnedTo.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Say who the device was given back to."},
    )
    contact_link = ContactField(label="Which parent or carer", queryset=None, required=False, empty_label="Choose")
    note = forms.CharField(label="Note", required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, confiscation: Confiscation, contacts, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["contact_link"].queryset = contacts
        if confiscation.pupil_id is None:
            # A found device: back to whoever it belongs to, named in the note.
            self.fields["returned_to"].choices = [(CustodyEntry.ReturnedTo.PUPIL, "Its owner (say who in the note)")]
            del self.fields["contact_link"]
            self.fields["note"].required = True
            self.fields["note"].label = "Who it was given back to"
        else:
            self.fields["returned_to"].choices = [
                (CustodyEntry.ReturnedTo.PUPIL, f"The pupil, {confiscation.pupil.full_name}"),
                (CustodyEntry.ReturnedTo.CONTACT, "A parent or carer of the pupil"),
            ]
            self.fields["note"].label = "Note (optional)"

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("returned_to") == CustodyEntry.ReturnedTo.CONTACT:
            if not cleaned.get("contact_link") and "contact_link" not in self.errors:
                self.add_error("contact_link", "Choose the parent or carer the device was given to.")
        else:
            cleaned["contact_link"] = None
        return cleaned


class DisposeForm(forms.Form):
    prefix = "dispose"

    how = forms.CharField(label="How it was disposed of", max_length=200, help_text="e.g. recycled by the IT technician.")
    why = forms.CharField(
        label="Why", widget=forms.Textarea(attrs={"rows": 2}), help_text="e.g. found, unclaimed at the end of the term."
    )


class NoteForm(forms.Form):
    prefix = "note"

    note = forms.CharField(label="Note", widget=forms.Textarea(attrs={"rows": 2}))
