"""The Celery app. Its settings are the CELERY_* names in `esafety.settings`."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "esafety.settings")

# Every task starts with no school in scope (esafety.scoping).
app = Celery("esafety", task_cls="esafety.scoping:SchoolScopedTask")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
