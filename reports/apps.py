from django.apps import AppConfig


class ReportsConfig(AppConfig):
    name = "reports"
    verbose_name = "Governors' report"

    def ready(self):
        # Every part's sections of the report; the menus, the home page's panels and the jobs.
        from esafety.demo import DEMO_EXTENSIONS
        from esafety.schools import school_setup
        from reports import home, home_trust, menu, tasks, trust_tasks  # noqa: F401
        from reports.defaults import reports_defaults_install
        from reports.demo import seed_demo_reports
        from reports.figures import consents, devices, filtering, incidents, policies  # noqa: F401

        school_setup(reports_defaults_install)
        # Last year's report of the demo schools, published (manage.py seed_demo); after every other app's demo records.
        if seed_demo_reports not in DEMO_EXTENSIONS:
            DEMO_EXTENSIONS.append(seed_demo_reports)
