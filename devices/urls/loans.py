"""The school's own devices lent to staff (under /devices/school-devices/)."""

from django.urls import path

from devices.views import loans

urlpatterns: list = [
    path("", loans.device_list, name="device_list"),
    path("new/", loans.device_new, name="device_new"),
    path("mine/", loans.my_devices, name="my_devices"),
    path("return/", loans.device_bulk_return, name="device_bulk_return"),
    path("import/", loans.device_import, name="device_import"),
    path("import/confirm/", loans.device_import_confirm, name="device_import_confirm"),
    path("import/template.csv", loans.device_import_template, name="device_import_template"),
    path("losses/<int:loss_id>/", loans.loss_detail, name="loss_detail"),
    path("losses/<int:loss_id>/assess/", loans.loss_assess, name="loss_assess"),
    path("<uuid:device_id>/", loans.device_detail, name="device_detail"),
    path("<uuid:device_id>/edit/", loans.device_edit, name="device_edit"),
    path("<uuid:device_id>/lend/", loans.device_lend, name="device_lend"),
    path("<uuid:device_id>/return/", loans.device_return, name="device_return"),
    path("<uuid:device_id>/report-loss/", loans.device_report_loss, name="device_report_loss"),
]
