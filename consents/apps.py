from django.apps import AppConfig


class ConsentsConfig(AppConfig):
    name = "consents"
    verbose_name = "Consents"

    def ready(self):
        # Register the tasks (in-process mode runs them by name), the home panel and the chronology source.
        from consents import home, menu, tasks, timeline  # noqa: F401
        from consents.defaults import consents_defaults_install
        from consents.demo import seed_demo_consents
        from consents.models import ConsentRound, SlipBatch
        from esafety.audit import access_log_records
        from esafety.demo import DEMO_EXTENSIONS
        from esafety.schools import school_setup

        # The demo schools' consents (manage.py seed_demo, make bench).
        if seed_demo_consents not in DEMO_EXTENSIONS:
            DEMO_EXTENSIONS.append(seed_demo_consents)

        # A new school gets the standard consent types (esafety.schools.school_create).
        school_setup(consents_defaults_install)

        # Printed slips name a round or a batch in the access log; neither is restricted, so every reader
        # of the school's log sees those entries.
        access_log_records(ConsentRound, lambda access, user: ConsentRound.objects.for_school(access.school))
        access_log_records(SlipBatch, lambda access, user: SlipBatch.objects.filter(round__school=access.school))
