import gc
import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "esafety.settings")

application = get_wsgi_application()

# WeasyPrint's import and fonts, once, before anyone's first PDF (about half a second otherwise).
from esafety.pdf import pdf_warm_up  # noqa: E402 - needs Django set up

pdf_warm_up()

# What start-up loaded (modules, settings, URL patterns) lives as long as the worker: moved out of the garbage
# collector's reach, so that its full passes, every few requests, no longer walk it (they took 65-75 ms on
# the larger pages of a large school).
gc.freeze()
