"""The admin site is for set-up: schools, users and their roles, look-up lists. Daily work happens in the app."""

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice
from simple_history.admin import SimpleHistoryAdmin

from esafety.models import AccessLogEntry, FormGroup, Membership, School, Trust, User, YearGroup
from esafety.schools import school_set_up
from esafety.second_factor import user_sessions_end


@admin.register(Trust)
class TrustAdmin(SimpleHistoryAdmin):
    search_fields = ["name"]


@admin.register(School)
class SchoolAdmin(SimpleHistoryAdmin):
    list_display = ["name", "urn", "phase", "trust"]
    list_filter = ["phase", "trust"]
    search_fields = ["name", "urn"]

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        if not change:
            # A new school gets each app's starting set-up (consent types, incident categories…).
            school_set_up(obj)


@admin.register(YearGroup)
class YearGroupAdmin(SimpleHistoryAdmin):
    list_display = ["__str__", "school", "ncy", "key_stage"]
    list_filter = ["school"]


@admin.register(FormGroup)
class FormGroupAdmin(SimpleHistoryAdmin):
    list_display = ["name", "school", "year_group", "tutor", "is_active"]
    list_filter = ["school", "is_active"]
    search_fields = ["name"]
    raw_id_fields = ["tutor"]


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 1


@admin.register(User)
class UserAdmin(SimpleHistoryAdmin, BaseUserAdmin):
    ordering = ["email"]
    list_display = ["email", "full_name", "is_active", "is_staff", "last_login"]
    search_fields = ["email", "full_name"]
    list_filter = ["is_active", "is_staff", "memberships__role"]
    inlines = [MembershipInline]
    fieldsets = (
        (None, {"fields": ("email", "full_name", "password")}),
        ("Access", {"fields": ("is_active", "is_staff", "is_superuser")}),
        ("Dates", {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = ((None, {"classes": ("wide",), "fields": ("email", "full_name", "password1", "password2")}),)
    readonly_fields = ["last_login", "date_joined"]
    filter_horizontal = ()

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        if not obj.is_active:
            # Switched off: signed out everywhere now, not at their next request or if switched on again.
            user_sessions_end(user=obj)


@admin.register(AccessLogEntry)
class AccessLogEntryAdmin(admin.ModelAdmin):
    """Read-only: the access log can be read here, never changed."""

    list_display = ["at", "actor", "school", "kind", "summary"]
    list_filter = ["kind", "school"]
    search_fields = ["summary", "actor__email"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


# Second factors are reset in the app, where the access log records it and the person is told
# (esafety.signin.second_factor_reset); the admin's device pages would show backup codes and skip both.
for device_model in (TOTPDevice, StaticDevice):
    if admin.site.is_registered(device_model):
        admin.site.unregister(device_model)
