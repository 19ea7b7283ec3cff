"""The school's policy and training settings: how often policies are reviewed, the induction period, refreshers."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render

from esafety.access import capability_required
from esafety.history import history_for
from esafety.roles import Capability
from policies.forms.training import PolicySettingsForm
from policies.selectors.training import training_settings
from policies.services.training import SETTINGS_FIELDS, policy_settings_save


@capability_required(Capability.MANAGE_POLICIES, Capability.MANAGE_TRAINING)
def policy_settings(request):
    school = request.access.school
    settings = training_settings(school)
    if request.method == "POST":
        form = PolicySettingsForm(request.POST)
        if form.is_valid():
            try:
                changed = policy_settings_save(school=school, actor=request.user, **form.cleaned_data)
            except ValidationError as error:
                for name, problems in error.message_dict.items():
                    form.add_error(name if name in form.fields else None, problems)
            else:
                if changed:
                    messages.success(request, "The policy and training settings have been saved.")
                else:
                    messages.info(request, "Nothing was changed.")
                return redirect("policies:settings")
        status = 400
    else:
        form, status = PolicySettingsForm(initial={name: getattr(settings, name) for name in SETTINGS_FIELDS}), 200
    history = history_for(settings) if settings.pk else []
    return render(request, "policies/settings.html", {"form": form, "history": history}, status=status)
