from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from consents.models import ConsentPurge, ConsentRenewal, ConsentSettings, ConsentType, ConsentWording


@admin.register(ConsentType)
class ConsentTypeAdmin(SimpleHistoryAdmin):
    list_display = ["title", "school", "kind", "answered_by", "duration", "is_active"]
    list_filter = ["school", "kind", "is_active"]
    search_fields = ["title"]
    raw_id_fields = ["current_wording"]


@admin.register(ConsentWording)
class ConsentWordingAdmin(SimpleHistoryAdmin):
    list_display = ["consent_type", "version", "created_at"]
    list_filter = ["consent_type__school"]
    # Answers point at a version: wording is changed through the app, which makes a new version.
    readonly_fields = ["consent_type", "version", "text", "created_at", "created_by"]


@admin.register(ConsentSettings)
class ConsentSettingsAdmin(SimpleHistoryAdmin):
    list_display = ["school", "renewal_day", "renewal_month", "leaver_retention_years"]


@admin.register(ConsentRenewal)
class ConsentRenewalAdmin(admin.ModelAdmin):
    list_display = ["school", "academic_year", "ran_at", "answers_expired", "agreements_expired"]
    list_filter = ["school"]


@admin.register(ConsentPurge)
class ConsentPurgeAdmin(admin.ModelAdmin):
    list_display = ["school", "ran_at", "left_before", "pupils", "answers", "slips"]
    list_filter = ["school"]
