from django.apps import AppConfig


class EsafetyConfig(AppConfig):
    name = "esafety"
    verbose_name = "Schools and people"
