"""Forms of the incident log: they validate and convert; the services save."""

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone

from esafety.filters import SEARCH_MAX_LENGTH
from esafety.models import Pupil, StaffMember
from incidents.models import (
    ChecklistStepTemplate,
    EvidenceItem,
    Incident,
    IncidentCategory,
    IncidentPerson,
    IncidentSettings,
    SanctionRow,
)
from incidents.services import ChosenAction, Involved

DATETIME_LOCAL = "%Y-%m-%dT%H:%M"
DATE_ISO = "%Y-%m-%d"


class DateTimeLocalInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, **kwargs):
        super().__init__(format=DATETIME_LOCAL, **kwargs)


class DatePickerInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs):
        super().__init__(format=DATE_ISO, **kwargs)


class IncidentLogForm(forms.Form):
    """The form a member of staff fills in, on a phone or a classroom PC, in under a minute."""

    occurred_at = forms.DateTimeField(
        label="When did it happen?", widget=DateTimeLocalInput(), input_formats=[DATETIME_LOCAL, "%d/%m/%Y %H:%M"]
    )
    location = forms.ChoiceField(label="Where?", choices=Incident.Location.choices, widget=forms.RadioSelect)
    location_detail = forms.CharField(label="Where exactly (optional)", required=False, max_length=200)
    category = forms.ModelChoiceField(
        label="What kind of incident?", queryset=IncidentCategory.objects.none(), empty_label="Choose the kind of incident"
    )
    description = forms.CharField(
        label="What happened?",
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text="The facts as they were told to you or as you saw them, in the words used. Do not add opinions.",
    )
    immediate_action = forms.CharField(
        label="What did you do straight away? (optional)", required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    severity = forms.ChoiceField(
        # No answer ticked in advance: a default would nudge every reporter to it.
        label="How serious is it?",
        choices=Incident.Severity.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Choose how serious it is."},
    )
    told_dsl_in_person = forms.BooleanField(label="I have told a DSL in person", required=False)

    def __init__(self, *args, school, **kwargs):
        super().__init__(*args, **kwargs)
        self.school = school
        self.fields["category"].queryset = IncidentCategory.objects.for_school(school).active()
        self.people: list[Involved] = []
        self.people_rows: list[dict] = []  # what to show again in the people list after an error

    def clean_occurred_at(self):
        value = self.cleaned_data["occurred_at"]
        if value > timezone.now() + timezone.timedelta(minutes=5):
            raise forms.ValidationError("This is in the future. Give the date and time it happened.")
        return value

    def clean(self):
        cleaned = super().clean()
        self.people, self.people_rows = parse_people(self.data, self.school)
        if not self.people:
            self.add_error(None, "Add at least one person involved: a pupil, a member of staff or someone outside the school.")
        if any("\x00" in key for key in self.data.getlist("person")):
            # Not typed by anyone, but pasted text can carry it: the rows shown again are without it.
            self.add_error(None, "A name of someone involved had a character that is not allowed (NUL): check the people listed.")
        return cleaned


class PeopleSearchForm(forms.Form):
    """What was typed into the log form's search for pupils and staff."""

    q = forms.CharField(required=False, max_length=SEARCH_MAX_LENGTH)


PART_CHOICES = IncidentPerson.Part.choices


def parse_people(data, school) -> tuple[list[Involved], list[dict]]:
    """
    The people rows of the log form: parallel lists `person` ("pupil:<id>",
    "staff:<id>" or "outsider:<name>") and `part`. Only the school's own
    pupils and staff are accepted; anything else is dropped.
    """
    keys, parts = data.getlist("person"), data.getlist("part")
    pupil_ids = [k.split(":", 1)[1] for k in keys if k.startswith("pupil:")]
    staff_ids = [k.split(":", 1)[1] for k in keys if k.startswith("staff:")]
    pupils = {str(p.pk): p for p in Pupil.objects.for_school(school).filter(pk__in=_uuids(pupil_ids)).select_related("form")}
    staff = {str(s.pk): s for s in StaffMember.objects.for_school(school).filter(pk__in=_uuids(staff_ids))}
    valid_parts = {value for value, _ in PART_CHOICES}
    people, rows = [], []
    for key, part in zip(keys, parts, strict=False):
        kind, _, ident = key.partition(":")
        part = part if part in valid_parts else IncidentPerson.Part.AFFECTED
        if kind == "pupil" and ident in pupils:
            people.append(Involved(part, pupil=pupils[ident]))
            rows.append(person_row(key, str(pupils[ident]), part, "Pupil"))
        elif kind == "staff" and ident in staff:
            people.append(Involved(part, staff=staff[ident]))
            rows.append(person_row(key, staff[ident].full_name, part, "Staff"))
        elif kind == "outsider" and ident.replace("\x00", "").strip():
            name = ident.replace("\x00", "").strip()[:200]  # NUL: the log form says it was taken out
            people.append(Involved(part, outsider=name))
            rows.append(person_row(f"outsider:{name}", name, part, "Outside the school"))
    return people, rows


def person_row(key: str, label: str, part: str, kind: str) -> dict:
    return {"key": key, "label": label, "part": part, "kind": kind, "parts": PART_CHOICES}


def _uuids(values):
    import uuid

    out = []
    for value in values:
        try:
            out.append(uuid.UUID(value))
        except ValueError:
            continue
    return out


class TriageForm(forms.Form):
    severity = forms.ChoiceField(label="Severity", choices=Incident.Severity.choices)
    category = forms.ModelChoiceField(label="Category", queryset=IncidentCategory.objects.none())
    matrix_row = forms.ModelChoiceField(
        label="Kind of incident (sanction matrix)", queryset=SanctionRow.objects.none(), required=False
    )
    reason = forms.CharField(label="Reason for the change (optional)", required=False, max_length=500)

    def __init__(self, *args, incident, **kwargs):
        kwargs.setdefault(
            "initial",
            {"severity": incident.severity, "category": incident.category_id, "matrix_row": incident.matrix_row_id},
        )
        super().__init__(*args, **kwargs)
        self.fields["category"].queryset = IncidentCategory.objects.for_school(incident.school)
        self.fields["matrix_row"].queryset = SanctionRow.objects.for_school(incident.school).filter(matrix=incident.matrix)


class AssignForm(forms.Form):
    assignee = forms.ModelChoiceField(label="Handled by", queryset=None)

    def __init__(self, *args, handlers, **kwargs):
        super().__init__(*args, **kwargs)
        from esafety.models import User

        self.fields["assignee"].queryset = User.objects.filter(pk__in=[u.pk for u in handlers]).order_by("full_name")


class NoteForm(forms.Form):
    text = forms.CharField(label="Note", widget=forms.Textarea(attrs={"rows": 2}))


class AgencyForm(forms.Form):
    agency = forms.CharField(
        label="Outside agency", max_length=200, required=False, help_text="e.g. children's social care, police"
    )
    agency_reference = forms.CharField(label="Their reference", max_length=100, required=False)
    waiting = forms.BooleanField(label="We are waiting on them", required=False)


class CloseForm(forms.Form):
    outcome = forms.CharField(label="Outcome", widget=forms.Textarea(attrs={"rows": 3}))
    lessons_learnt = forms.CharField(label="Lessons learnt (optional)", required=False, widget=forms.Textarea(attrs={"rows": 2}))


class ReopenForm(forms.Form):
    reason = forms.CharField(label="Why reopen it?", max_length=500)


class _ActionRowForm(forms.Form):
    """What every chosen action needs: an owner (someone who may see the incident) and a due date."""

    owner = forms.ChoiceField(label="Owner", required=False, widget=forms.Select(attrs={"class": "form-select form-select-sm"}))
    due_on = forms.DateField(
        label="Due by",
        required=False,
        input_formats=[DATE_ISO, "%d/%m/%Y"],
        widget=DatePickerInput(attrs={"class": "form-control form-control-sm"}),
    )

    def __init__(self, *args, owners, **kwargs):
        super().__init__(*args, **kwargs)
        self.owners = {str(user.pk): user for user in owners}
        self.fields["owner"].choices = [(pk, str(user)) for pk, user in self.owners.items()]

    def clean_owner(self):
        return self.owners.get(self.cleaned_data["owner"])

    def _require_owner_and_due(self, title: str) -> None:
        if not (self.cleaned_data.get("owner") and self.cleaned_data.get("due_on")):
            raise ValidationError(f"“{title}”: choose an owner and a due date (dd/mm/yyyy).")


class ProposedActionForm(_ActionRowForm):
    """One action the sanction matrix proposes: ticked or not, with its owner and due date."""

    sanction_action = forms.CharField(required=False, widget=forms.HiddenInput)
    take = forms.BooleanField(required=False, widget=forms.CheckboxInput(attrs={"class": "form-check-input"}))

    def __init__(self, *args, proposals: dict, **kwargs):
        super().__init__(*args, **kwargs)
        # The row's action as the page offered it; None when it is no longer proposed (chosen meanwhile, re-triaged).
        self.proposal = proposals.get(str(self["sanction_action"].value()))
        name = self.proposal.action.name if self.proposal else "An action no longer proposed"
        self.fields["take"].label = name
        self.fields["owner"].label = f"Owner of {name}"
        self.fields["due_on"].label = f"Due date of {name}"
        if self.proposal:
            key = self.proposal.action.pk
            for field, id_ in (("take", f"propose-{key}"), ("owner", f"owner-{key}"), ("due_on", f"due-{key}")):
                self.fields[field].widget.attrs["id"] = id_

    def clean(self):
        data = super().clean()
        if data.get("take"):
            if self.proposal is None:
                raise ValidationError("This action is no longer proposed (it may have been added meanwhile): untick it.")
            self._require_owner_and_due(self.proposal.action.name)
        return data

    def chosen(self) -> ChosenAction:
        data, action = self.cleaned_data, self.proposal.action
        return ChosenAction(title=action.name, owner=data["owner"], due_on=data["due_on"], sanction_action=action)


class OtherActionForm(_ActionRowForm):
    """An action of the handler's own, beside the matrix's proposals (optional)."""

    prefix = "other"
    field_order = ["title", "owner", "due_on"]

    title = forms.CharField(
        label="Action", max_length=200, required=False, widget=forms.TextInput(attrs={"class": "form-control form-control-sm"})
    )

    def clean(self):
        data = super().clean()
        if data.get("title"):
            self._require_owner_and_due(data["title"])
        return data

    def chosen(self) -> ChosenAction:
        data = self.cleaned_data
        return ChosenAction(title=data["title"], owner=data["owner"], due_on=data["due_on"])


class BaseChosenActionsFormSet(forms.BaseFormSet):
    """
    The actions card of a case: a row for each action the sanction matrix proposes, and `other`, an action
    of the handler's own. Valid when every row is and at least one action is chosen.
    """

    def __init__(self, data=None, *, proposals, owners, actor):
        super().__init__(
            data,
            prefix="actions",
            initial=[
                {"sanction_action": p.action.pk, "take": True, "owner": getattr(p.owner, "pk", None), "due_on": p.due_on}
                for p in proposals
            ],
            form_kwargs={"proposals": {str(p.action.pk): p for p in proposals}, "owners": owners},
        )
        self.other = OtherActionForm(data, owners=owners, initial={"owner": actor.pk})

    def is_valid(self) -> bool:
        return super().is_valid() and self.other.is_valid()

    def clean(self):
        if any(self.errors) or not self.other.is_valid():
            return  # each row says what is wrong with it
        if not self.chosen():
            raise ValidationError("Tick at least one action, or describe another one.")

    def chosen(self) -> list[ChosenAction]:
        """The ticked proposals, then the other action if one was described."""
        chosen = [form.chosen() for form in self.forms if form.cleaned_data.get("take")]
        if self.other.cleaned_data.get("title"):
            chosen.append(self.other.chosen())
        return chosen


# A matrix row proposes nine actions at most, and a repeat adds a second row: a longer list is no page's.
ChosenActionsFormSet = forms.formset_factory(
    ProposedActionForm, formset=BaseChosenActionsFormSet, extra=0, max_num=50, absolute_max=50
)


class DoneForm(forms.Form):
    note = forms.CharField(label="Note (optional)", required=False, max_length=2000)


class EvidenceForm(forms.ModelForm):
    class Meta:
        model = EvidenceItem
        fields = ["description", "location", "held_by", "secured_at"]
        widgets = {"secured_at": DateTimeLocalInput()}
        help_texts = {
            "description": "e.g. a phone held for the police, screenshots kept by the DSL. Never upload the images themselves.",
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["secured_at"].input_formats = [DATETIME_LOCAL, "%d/%m/%Y %H:%M"]

    def clean_secured_at(self):
        value = self.cleaned_data["secured_at"]
        if value and value > timezone.now() + timezone.timedelta(minutes=5):
            raise forms.ValidationError("This is in the future. Give the date and time it was secured.")
        return value


class IncidentSettingsForm(forms.ModelForm):
    class Meta:
        model = IncidentSettings
        fields = ["repeat_window_days", "repeat_threshold"]


class CategoryForm(forms.ModelForm):
    checklist = forms.CharField(
        label="Response checklist",
        required=False,
        widget=forms.Textarea(attrs={"rows": 8}),
        help_text="One step a line. Incidents logged from now on get these steps; earlier incidents keep theirs.",
    )

    class Meta:
        model = IncidentCategory
        fields = [
            "name",
            "order",
            "is_active",
            "child_protection",
            "involves_images",
            "illegal_material",
            "about_staff",
            "pupil_row",
            "staff_row",
        ]

    def __init__(self, *args, school, **kwargs):
        super().__init__(*args, **kwargs)
        self.instance.school = school
        self.fields["pupil_row"].queryset = SanctionRow.objects.for_school(school).filter(matrix="pupils")
        self.fields["staff_row"].queryset = SanctionRow.objects.for_school(school).filter(matrix="staff")
        if self.instance.pk and not self.is_bound:
            self.initial["checklist"] = "\n".join(self.instance.checklist.order_by("order", "pk").values_list("text", flat=True))

    def clean_name(self):
        name = self.cleaned_data["name"].strip()
        others = IncidentCategory.objects.for_school(self.instance.school).filter(name__iexact=name).exclude(pk=self.instance.pk)
        if others.exists():
            raise forms.ValidationError("Your school already has a category with this name.")
        return name

    def clean_checklist(self):
        text = self.cleaned_data["checklist"]
        longest = ChecklistStepTemplate._meta.get_field("text").max_length
        for number, step in enumerate((s.strip() for s in text.splitlines() if s.strip()), start=1):
            if len(step) > longest:
                raise forms.ValidationError(f"Step {number} has {len(step):,} characters; a step can have at most {longest}.")
        return text

    def steps(self) -> list[str]:
        return self.cleaned_data.get("checklist", "").splitlines()


class MatrixForm(forms.Form):
    """The ticks of a sanction matrix: which actions each row proposes, one box per row and action."""

    tick = forms.MultipleChoiceField(
        required=False,
        error_messages={"invalid_choice": "A box on this page no longer matches the matrix: reload the page and tick again."},
    )

    def __init__(self, *args, rows, actions, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["tick"].choices = [(f"{row.pk}-{action.pk}", "") for row in rows for action in actions]

    def ticked(self) -> set[tuple[int, int]]:
        """(row id, action id) for each ticked box."""
        return {(int(row), int(action)) for row, action in (value.split("-") for value in self.cleaned_data["tick"])}
