from django.apps import AppConfig


class DevicesConfig(AppConfig):
    name = "devices"
    verbose_name = "Devices"

    def ready(self):
        # Contributions to the shared pages: the menus, the home page's panels and the pupil's page; the jobs.
        from devices import home, menu, tasks  # noqa: F401
        from devices.defaults import devices_defaults_install
        from devices.demo import seed_demo_devices
        from devices.models import Confiscation, EquipmentPermission
        from devices.selectors.custody import confiscations_for
        from devices.selectors.equipment import equipment_for
        from esafety.audit import access_log_records
        from esafety.demo import DEMO_EXTENSIONS
        from esafety.schools import school_setup

        # The access log shows an entry about a confiscated device, or a request to use personal equipment, only
        # to those who may see it now.
        access_log_records(Confiscation, confiscations_for)
        access_log_records(EquipmentPermission, equipment_for)

        school_setup(devices_defaults_install)
        # The demo schools' devices (manage.py seed_demo, make bench).
        if seed_demo_devices not in DEMO_EXTENSIONS:
            DEMO_EXTENSIONS.append(seed_demo_devices)
