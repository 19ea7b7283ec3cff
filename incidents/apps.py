from django.apps import AppConfig


class IncidentsConfig(AppConfig):
    name = "incidents"
    verbose_name = "Incidents"

    def ready(self):
        # Contributions to the shared pages: the menus, the pupil's chronology and the home page's panels.
        from esafety.audit import access_log_records
        from esafety.demo import DEMO_EXTENSIONS
        from esafety.schools import school_setup
        from incidents import home, menu, selectors, tasks, timeline  # noqa: F401
        from incidents.defaults import incident_defaults_install
        from incidents.demo import seed_demo_incidents
        from incidents.models import Incident

        # The access log shows an entry about an incident only to those who may see the incident now.
        access_log_records(Incident, selectors.incidents_for)
        # A new school starts with the standard categories, checklists and matrices (esafety.schools.school_create).
        school_setup(incident_defaults_install)
        # The demo schools' incidents (manage.py seed_demo, make bench).
        if seed_demo_incidents not in DEMO_EXTENSIONS:
            DEMO_EXTENSIONS.append(seed_demo_incidents)
