from django.apps import AppConfig


class FilteringConfig(AppConfig):
    name = "filtering"
    verbose_name = "Web filtering"

    def ready(self):
        # Contributions to the shared pages: the menus and the home page's panels; the scheduled jobs.
        from esafety.audit import access_log_records
        from esafety.demo import DEMO_EXTENSIONS
        from esafety.schools import school_setup
        from filtering import home, menu, selectors, tasks  # noqa: F401
        from filtering.defaults import filtering_defaults_install
        from filtering.demo import seed_demo_filtering
        from filtering.models import SiteReport

        # The access log shows an entry about a site report only to those who may see the report now.
        access_log_records(SiteReport, selectors.site_reports_for)
        school_setup(filtering_defaults_install)
        # The demo schools' web filtering (manage.py seed_demo, make bench).
        if seed_demo_filtering not in DEMO_EXTENSIONS:
            DEMO_EXTENSIONS.append(seed_demo_filtering)
