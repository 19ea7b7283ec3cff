from django.urls import path

from devices.views import equipment

urlpatterns = [
    path("", equipment.equipment_list, name="equipment_list"),
    path("new/", equipment.equipment_new, name="equipment_new"),
    path("<uuid:permission_id>/", equipment.equipment_detail, name="equipment_detail"),
    path("<uuid:permission_id>/decide/", equipment.equipment_decide, name="equipment_decide"),
    path("<uuid:permission_id>/withdraw/", equipment.equipment_withdraw, name="equipment_withdraw"),
    path("<uuid:permission_id>/confirm/", equipment.equipment_confirm, name="equipment_confirm"),
]
