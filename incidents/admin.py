"""Set-up of the incident log for superusers. Schools edit their categories and matrices in the app itself."""

from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from incidents.models import IncidentCategory, IncidentSettings, SanctionAction, SanctionRow


@admin.register(IncidentSettings)
class IncidentSettingsAdmin(SimpleHistoryAdmin):
    list_display = ["school", "repeat_window_days", "repeat_threshold"]


@admin.register(IncidentCategory)
class IncidentCategoryAdmin(SimpleHistoryAdmin):
    list_display = ["name", "school", "child_protection", "about_staff", "is_active"]
    list_filter = ["school", "child_protection"]


@admin.register(SanctionAction)
class SanctionActionAdmin(SimpleHistoryAdmin):
    list_display = ["name", "school", "matrix", "default_owner"]
    list_filter = ["school", "matrix"]


@admin.register(SanctionRow)
class SanctionRowAdmin(SimpleHistoryAdmin):
    list_display = ["name", "school", "matrix", "is_repeat"]
    list_filter = ["school", "matrix"]
    filter_horizontal = ["actions"]
