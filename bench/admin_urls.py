"""
The app's URLs with an admin site that also lists incidents and pupils, for `bench.admin_compare`.

The app's admin site is for set-up (esafety/admin.py): daily work happens in the app, so it registers
neither model. To time Django's admin changelist beside the app's lists, the bench serves this copy of
the site at the same address, /admin/, for superusers only like the app's: every model the app registers,
with the app's own ModelAdmin, and Incident and Pupil with the ModelAdmins below (or the app's own, should
it ever register them). Only the bench uses it, through `override_settings(ROOT_URLCONF="bench.admin_urls")`.
"""

from django.contrib import admin
from django.urls import path

from esafety.models import Pupil
from esafety.urls import urlpatterns as app_urlpatterns
from incidents.models import Incident


class IncidentListAdmin(admin.ModelAdmin):
    """The columns of the app's incident list that are fields of the incident (not the people involved)."""

    list_display = ["__str__", "occurred_at", "category", "location", "severity", "status", "assigned_to"]
    list_select_related = ["category", "assigned_to"]


class PupilListAdmin(admin.ModelAdmin):
    """The columns of the app's pupil list."""

    list_display = ["__str__", "year_group", "form", "date_of_birth", "mis_id"]
    list_select_related = ["year_group", "form"]


site = admin.AdminSite(name="admin")
site.site_header, site.site_title = admin.site.site_header, admin.site.site_title
site.has_permission = admin.site.has_permission
for model, model_admin in admin.site._registry.items():
    site.register(model, type(model_admin))
# Whether the app registers them: said in the report.
APP_REGISTERS = {model: site.is_registered(model) for model in (Incident, Pupil)}
for model, model_admin in ((Incident, IncidentListAdmin), (Pupil, PupilListAdmin)):
    if not site.is_registered(model):
        site.register(model, model_admin)

urlpatterns = [pattern for pattern in app_urlpatterns if str(pattern.pattern) != "admin/"]
urlpatterns.append(path("admin/", site.urls))
