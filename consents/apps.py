from django.apps import AppConfig


class ConsentsConfig(AppConfig):
    name = "consents"
    verbose_name = "Consents"

    def ready(self):
        # Register the tasks (in-process mode runs them by name), the home panel and the chronology source.
        from consents import home, tasks, timeline  # noqa: F401
        from consents.demo import seed_demo_consents
        from consents.services import consents_for_new_school
        from esafety.demo import DEMO_EXTENSIONS
        from esafety.schools import school_setup

        # The demo schools' consents (manage.py seed_demo, make bench).
        if seed_demo_consents not in DEMO_EXTENSIONS:
            DEMO_EXTENSIONS.append(seed_demo_consents)

        # A new school gets the standard consent types (esafety.schools.school_create).
        school_setup(consents_for_new_school)
