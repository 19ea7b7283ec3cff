from django.apps import AppConfig


class EsafetyConfig(AppConfig):
    name = "esafety"
    verbose_name = "Schools and people"

    def ready(self):
        # Register the tasks now, so that in-process mode (no broker) can run them by name.
        from esafety import tasks  # noqa: F401
