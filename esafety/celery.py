"""The Celery app. Its settings are the CELERY_* names in `esafety.settings`."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "esafety.settings")

app = Celery("esafety")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
