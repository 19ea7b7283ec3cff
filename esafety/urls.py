from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from esafety import signin, views
from esafety.forms import EmailAuthenticationForm
from esafety.mis_import import views as mis_import_views

admin.site.site_header = "E-safety: set-up"
admin.site.site_title = "E-safety set-up"
# The set-up site sees every school's rows: for superusers only, not for staff given model permissions.
admin.site.has_permission = lambda request: request.user.is_active and request.user.is_superuser

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz/", views.healthz, name="healthz"),
    path("school/switch/", views.school_switch, name="school_switch"),
    # People
    path("pupils/", views.pupil_list, name="pupil_list"),
    path("pupils/export.csv", views.pupil_export, name="pupil_export"),
    path("pupils/<uuid:pupil_id>/", views.pupil_detail, name="pupil_detail"),
    path("pupils/<uuid:pupil_id>/chronology/", views.pupil_chronology, name="pupil_chronology"),
    path("pupils/<uuid:pupil_id>/flag/", views.pupil_flag, name="pupil_flag"),
    path("forms/", views.form_list, name="form_list"),
    path("forms/<int:form_id>/", views.form_detail, name="form_detail"),
    path("staff/", views.staff_list, name="staff_list"),
    path("staff/<uuid:staff_id>/", views.staff_detail, name="staff_detail"),
    # MIS import
    path("imports/", mis_import_views.import_list, name="import_list"),
    path("imports/template/<slug:kind>.csv", mis_import_views.import_template, name="import_template"),
    path("imports/<uuid:job_id>/", mis_import_views.import_detail, name="import_detail"),
    path("imports/<uuid:job_id>/progress/", mis_import_views.import_progress, name="import_progress"),
    path("imports/<uuid:job_id>/confirm/", mis_import_views.import_confirm, name="import_confirm"),
    path("imports/<uuid:job_id>/cancel/", mis_import_views.import_cancel, name="import_cancel"),
    # Notifications and audit
    path("notifications/", views.notification_list, name="notification_list"),
    path("notifications/<int:notification_id>/open/", views.notification_open, name="notification_open"),
    path("notifications/read-all/", views.notifications_read_all, name="notifications_read_all"),
    path("access-log/", views.access_log, name="access_log"),
    path("consents/", include("consents.urls")),
    path("filtering/", include("filtering.urls")),
    path("devices/", include("devices.urls")),
    path("policies/", include("policies.urls")),
    path("governors-report/", include("reports.urls")),
    path("incidents/", include("incidents.urls")),
    path("terms/", include("esafety.terms.urls")),
    # Accounts
    path("accounts/login/", auth_views.LoginView.as_view(authentication_form=EmailAuthenticationForm), name="login"),
    path("accounts/two-factor/", signin.second_factor_verify, name="second_factor_verify"),
    path("accounts/two-factor/set-up/", signin.second_factor_setup, name="second_factor_setup"),
    path("accounts/two-factor/backup-codes/", signin.backup_codes_renew, name="backup_codes_renew"),
    path("accounts/security/", signin.account_security, name="account_security"),
    path("accounts/security/sessions/<str:ref>/end/", signin.session_end, name="session_end"),
    path("accounts/security/sessions/end-others/", signin.sessions_end_others, name="sessions_end_others"),
    path("accounts/two-factor/people/", signin.second_factor_people, name="second_factor_people"),
    path("accounts/two-factor/people/<int:user_id>/reset/", signin.second_factor_reset, name="second_factor_reset"),
    path("accounts/", include("django.contrib.auth.urls")),
    path("admin/", admin.site.urls),
]
