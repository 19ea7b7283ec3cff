"""The register of policies: finding a policy, adding and changing one, a new version, its approval, retiring a policy."""

import django_filters
from django import forms
from django.core.validators import FileExtensionValidator
from django.db.models import F, Q
from django.utils import timezone

from esafety.filters import SearchFilter
from incidents.forms import DATE_ISO, DatePickerInput
from policies.models import Policy, PolicyVersion

DATE_FORMATS = [DATE_ISO, "%d/%m/%Y"]
Kind = Policy.Kind
Status = PolicyVersion.Status
# The documents a school writes its policies in; 10 MB is far more than any of them needs.
DOCUMENT_EXTENSIONS = ["pdf", "docx", "doc", "odt", "rtf", "txt"]
DOCUMENT_MAX_BYTES = 10 * 1024 * 1024


class NullsLastOrderingFilter(django_filters.OrderingFilter):
    """Sorting that puts the empty values last, either way (a policy not yet approved has no review date)."""

    def get_ordering_value(self, param):
        value = super().get_ordering_value(param)
        if value.startswith("-"):
            return F(value[1:]).desc(nulls_last=True)
        return F(value).asc(nulls_last=True)


class PolicyFilter(django_filters.FilterSet):
    """The register's search, filters and sort order. Those who only read policies see the ones in force: no status."""

    IN_FORCE, WAITING, NOT_APPROVED, RETIRED, ALL = "in_force", "waiting", "not_approved", "retired", "all"

    q = SearchFilter(label="Search", method="search", help_text="Title or owner")
    kind = django_filters.ChoiceFilter(label="Kind of document", choices=Kind.choices, empty_label="Any")
    status = django_filters.ChoiceFilter(
        label="Status",
        method="in_status",
        empty_label="In use",
        choices=[
            (IN_FORCE, "A version in force"),
            (WAITING, "A draft waiting for approval"),
            (NOT_APPROVED, "Never approved yet"),
            (RETIRED, "Retired"),
            (ALL, "All, retired ones too"),
        ],
    )
    overdue = django_filters.BooleanFilter(label="Review overdue only", method="only_overdue", widget=forms.CheckboxInput)
    sort = NullsLastOrderingFilter(
        label="Sort by",
        fields=(("title", "title"), ("kind", "kind"), ("owner__last_name", "owner"), ("next_review_on", "review")),
        empty_label="Title",
    )

    class Meta:
        model = Policy
        fields = ["q", "kind", "status", "overdue"]

    def __init__(self, data=None, *args, manages: bool, **kwargs):
        super().__init__(data, *args, **kwargs)
        if not manages:
            del self.filters["status"]
            del self.filters["overdue"]

    @property
    def qs(self):
        queryset = super().qs
        if "status" in self.filters and not getattr(self.form, "cleaned_data", {}).get("status"):
            queryset = queryset.in_use()
        return queryset.order_by(*queryset.query.order_by, "title", "pk")

    def search(self, queryset, name, value):
        q = Q()
        for word in value.split():
            q &= Q(title__icontains=word) | Q(owner__first_name__icontains=word) | Q(owner__last_name__icontains=word)
        return queryset.filter(q)

    def in_status(self, queryset, name, value):
        if value == self.IN_FORCE:
            return queryset.in_use().filter(current_version__isnull=False)
        if value == self.WAITING:
            return queryset.in_use().filter(has_draft=True)
        if value == self.NOT_APPROVED:
            return queryset.in_use().filter(current_version__isnull=True)
        if value == self.RETIRED:
            return queryset.filter(retired_on__isnull=False)
        return queryset

    def only_overdue(self, queryset, name, value):
        return queryset.review_overdue(timezone.localdate()) if value else queryset


class OwnerChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, member):
        return f"{member.last_name}, {member.first_name}" + (f" ({member.job_title})" if member.job_title else "")


class PolicyForm(forms.Form):
    """A policy's details. The review date is changed here only once a version is in force (approval sets it)."""

    title = forms.CharField(
        label="Title",
        max_length=200,
        help_text="As the school calls it, e.g. Online-safety policy.",
        error_messages={"required": "Give the policy's title."},
    )
    kind = forms.ChoiceField(label="Kind of document", choices=Kind.choices, initial=Kind.OTHER)
    owner = OwnerChoiceField(
        label="Owner",
        queryset=None,
        required=False,
        empty_label="Nobody yet (the e-safety lead is reminded)",
        help_text="Who keeps this document up to date and is reminded of its reviews.",
    )
    staff_must_acknowledge = forms.BooleanField(
        label="Staff must read and acknowledge it",
        required=False,
        help_text="Each member of staff is asked, at their next login, to read each newly approved version and say so.",
    )
    next_review_on = forms.DateField(
        label="Next review due",
        required=False,
        widget=DatePickerInput(),
        input_formats=DATE_FORMATS,
        help_text="Set when a version is approved; change it here if the review moves.",
    )

    def __init__(self, *args, staff, with_review: bool, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = staff
        if with_review:
            self.fields["next_review_on"].required = True
            self.fields["next_review_on"].error_messages["required"] = "Give the date the next review is due."
        else:
            del self.fields["next_review_on"]


class VersionForm(forms.Form):
    """A new version, a draft until it is approved: the document as a file, or its text written here."""

    version = forms.CharField(
        label="Version",
        max_length=20,
        help_text="e.g. 4.0, or 2026.",
        error_messages={"required": "Give the version's number or name."},
    )
    document = forms.FileField(
        label="The document (a file)",
        required=False,
        validators=[FileExtensionValidator(DOCUMENT_EXTENSIONS, message="Upload a PDF, Word, OpenDocument, RTF or text file.")],
        help_text="A PDF, Word, OpenDocument, RTF or text file of at most 10 MB.",
    )
    text = forms.CharField(label="Or the text", required=False, widget=forms.Textarea(attrs={"rows": 12}))
    changes = forms.CharField(
        label="What changed",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="For those who approve it and the staff who read it, e.g. new section on AI tools.",
    )

    def clean_document(self):
        document = self.cleaned_data["document"]
        if document and document.size > DOCUMENT_MAX_BYTES:
            raise forms.ValidationError(
                f"This file is {document.size / 1024 / 1024:.1f} MB; the most we take is {DOCUMENT_MAX_BYTES // 1024 // 1024} MB."
            )
        return document

    def clean(self):
        cleaned = super().clean()
        if "document" not in self.errors and not cleaned.get("document") and not (cleaned.get("text") or "").strip():
            self.add_error("text", "Upload the document as a file, or write its text here.")
        return cleaned


class ApproveForm(forms.Form):
    """Who approved a version, at which meeting, when, and when its review falls due."""

    approved_by = forms.CharField(
        label="Approved by",
        max_length=200,
        help_text="e.g. the full governing body, or the head teacher.",
        error_messages={"required": "Say who approved it."},
    )
    approved_at_meeting = forms.CharField(
        label="At the meeting",
        max_length=200,
        required=False,
        help_text="e.g. the governors' meeting of 14 October 2026. Leave it empty if it was not approved at a meeting.",
    )
    approved_on = forms.DateField(
        label="Approved on",
        widget=DatePickerInput(),
        input_formats=DATE_FORMATS,
        error_messages={"required": "Give the date it was approved."},
    )
    next_review_on = forms.DateField(
        label="Next review due",
        required=False,
        widget=DatePickerInput(),
        input_formats=DATE_FORMATS,
    )

    def __init__(self, *args, review_months: int, **kwargs):
        kwargs.setdefault("initial", {"approved_on": timezone.localdate()})
        super().__init__(*args, **kwargs)
        self.fields["next_review_on"].help_text = (
            f"Leave it empty for {review_months} month{'s' if review_months != 1 else ''} after the approval, "
            "the school's review period."
        )


class RetireForm(forms.Form):
    retired_on = forms.DateField(
        label="No longer in use since",
        widget=DatePickerInput(),
        input_formats=DATE_FORMATS,
        error_messages={"required": "Give the date the policy stopped being in use."},
    )

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("initial", {"retired_on": timezone.localdate()})
        super().__init__(*args, **kwargs)
