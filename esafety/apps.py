from django.apps import AppConfig


class EsafetyConfig(AppConfig):
    name = "esafety"
    verbose_name = "Schools and people"

    def ready(self):
        from django.db.models.signals import post_migrate

        # Register the tasks now, so that in-process mode (no broker) can run them by name, and the
        # core's home panels (the term dates' among them).
        from esafety import home, tasks  # noqa: F401
        from esafety.schools import schools_set_up_all
        from esafety.terms import home as terms_home  # noqa: F401

        # An app added to a running installation gives every existing school its starting rows when
        # `migrate` runs; a new school gets them when it is created (esafety.schools).
        post_migrate.connect(schools_set_up_all, sender=self)
