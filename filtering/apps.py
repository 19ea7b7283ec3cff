from django.apps import AppConfig


class FilteringConfig(AppConfig):
    name = "filtering"
    verbose_name = "Web filtering"

    def ready(self):
        # Contributions to the shared pages: the menus and the home page's panels.
        from filtering import home, menu  # noqa: F401
