from django.apps import AppConfig


class PoliciesConfig(AppConfig):
    name = "policies"
    verbose_name = "Policies and training"

    def ready(self):
        # Contributions to the shared pages: the menus and the home page's panels; the jobs.
        from esafety.audit import access_log_records
        from esafety.demo import DEMO_EXTENSIONS
        from esafety.schools import school_setup
        from policies import home, menu, tasks  # noqa: F401
        from policies.defaults import policies_defaults_install
        from policies.demo import seed_demo_policies
        from policies.models import TrainingRecord
        from policies.selectors.training import training_records_for

        # The access log shows an entry about a training record (a certificate downloaded) only to those who may
        # see the record now.
        access_log_records(TrainingRecord, training_records_for)

        school_setup(policies_defaults_install)
        # The demo schools' policies and training (manage.py seed_demo, make bench).
        if seed_demo_policies not in DEMO_EXTENSIONS:
            DEMO_EXTENSIONS.append(seed_demo_policies)
