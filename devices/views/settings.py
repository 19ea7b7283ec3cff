"""The school's device settings: the forms on the phone register, the end of the day, and the limits of the other areas."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render

from devices.forms.phones import DeviceSettingsForm
from devices.selectors import device_settings_for
from devices.services.phones import device_settings_save
from esafety.access import capability_required
from esafety.history import history_for
from esafety.roles import Capability

FIELDS = ("collection_time", "confiscation_limit_days", "images_deadline_hours", "access_review_months")


@capability_required(Capability.SET_UP_DEVICES)
def device_settings(request):
    school = request.access.school
    settings = device_settings_for(school)
    if request.method == "POST":
        form = DeviceSettingsForm(request.POST, school=school)
        if form.is_valid():
            data = form.cleaned_data
            try:
                changed = device_settings_save(
                    school=school,
                    actor=request.user,
                    register_year_groups=list(data["register_year_groups"]),
                    register_forms=list(data["register_forms"]),
                    **{name: data[name] for name in FIELDS},
                )
            except ValidationError as error:
                for name, problems in error.message_dict.items():
                    form.add_error(name if name in form.fields else None, problems)
            else:
                if changed:
                    messages.success(request, "The device settings have been saved.")
                else:
                    messages.info(request, "Nothing was changed.")
                return redirect("devices:settings")
        status = 400
    else:
        initial = {name: getattr(settings, name) for name in FIELDS}
        initial["register_year_groups"] = list(settings.register_year_groups.values_list("pk", flat=True))
        initial["register_forms"] = list(settings.register_forms.values_list("pk", flat=True))
        form, status = DeviceSettingsForm(initial=initial, school=school), 200
    return render(request, "devices/settings.html", {"form": form, "history": history_for(settings)}, status=status)
