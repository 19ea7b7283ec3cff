"""The training paths of the `policies` namespace (under /policies/training/), and the settings page."""

from django.urls import path

from policies.views import settings, training

urlpatterns: list = [
    path("", training.training_list, name="training_list"),
    path("new/", training.training_new, name="training_new"),
    path("due/", training.training_due, name="training_due"),
    path("mine/", training.my_training, name="my_training"),
    path("import/", training.training_import_upload, name="training_import"),
    path("import/confirm/", training.training_import_confirm, name="training_import_confirm"),
    path("import/template.csv", training.training_import_template, name="training_import_template"),
    path("settings/", settings.policy_settings, name="settings"),
    path("<uuid:record_id>/", training.training_detail, name="training_detail"),
    path("<uuid:record_id>/edit/", training.training_edit, name="training_edit"),
    path("<uuid:record_id>/certificate/", training.training_certificate, name="training_certificate"),
]
