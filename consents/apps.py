from django.apps import AppConfig
from django.db.models.signals import post_save


class ConsentsConfig(AppConfig):
    name = "consents"
    verbose_name = "Consents"

    def ready(self):
        # Register the tasks (in-process mode runs them by name), the home panel and the chronology source.
        from consents import home, tasks, timeline  # noqa: F401
        from consents.demo import seed_demo_consents
        from esafety.demo import DEMO_EXTENSIONS
        from esafety.models import School

        # The demo schools' consents (manage.py seed_demo, make bench).
        if seed_demo_consents not in DEMO_EXTENSIONS:
            DEMO_EXTENSIONS.append(seed_demo_consents)

        # The core creates schools (admin, demo, tests) and knows nothing of consents: this is how a
        # new school gets its standard consent types. The work itself is a service.
        post_save.connect(_school_created, sender=School, dispatch_uid="consents_for_new_school")


def _school_created(sender, instance, created, raw=False, **kwargs):
    if created and not raw:
        from consents.services import consents_for_new_school

        consents_for_new_school(instance)
