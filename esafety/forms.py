from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import ValidationError
from django.db import models

from esafety.models import Pupil


class RecordsField(forms.ModelMultipleChoiceField):
    """
    Records ticked by id (year groups, forms). An id too large for a database integer is refused like any
    unknown one: SQLite cannot compare it with its ids and would raise instead of finding nothing.
    """

    def _check_values(self, value):
        if isinstance(self.queryset.model._meta.pk, models.IntegerField):
            for pk in value:
                try:
                    number = int(pk)
                except (TypeError, ValueError):
                    continue  # refused by Django's own check
                if not -(2**63) <= number < 2**63:
                    raise ValidationError(self.error_messages["invalid_pk_value"], code="invalid_pk_value", params={"pk": pk})
        return super()._check_values(value)


class AdditionalNeedsForm(forms.ModelForm):
    class Meta:
        model = Pupil
        fields = ["additional_needs", "additional_needs_note"]
        widgets = {"additional_needs_note": forms.Textarea(attrs={"rows": 3})}


class EmailAuthenticationForm(AuthenticationForm):
    username = forms.EmailField(
        label="E-mail address", widget=forms.EmailInput(attrs={"autofocus": True, "autocomplete": "email"})
    )
    error_messages = {
        **AuthenticationForm.error_messages,
        "invalid_login": "That e-mail address and password do not match an account. Check them and try again: after several wrong tries, signing in pauses for a while.",
        "inactive": "This account has been switched off. Ask your school's office or IT manager.",
    }
