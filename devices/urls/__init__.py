"""
The devices pages, one module of paths per area; they share the `devices` namespace (`devices:phone_forms`).
"""

from django.urls import include, path

from devices.views import settings

app_name = "devices"

urlpatterns = [
    path("phones/", include("devices.urls.phones")),
    path("confiscations/", include("devices.urls.custody")),
    path("school-devices/", include("devices.urls.loans")),
    path("personal-equipment/", include("devices.urls.equipment")),
    path("accounts/", include("devices.urls.accounts")),
    path("settings/", settings.device_settings, name="settings"),
]
