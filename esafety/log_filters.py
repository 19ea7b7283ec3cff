"""Filters of the app's log (settings.LOGGING)."""

import logging


class NoTracebackForRefusals(logging.Filter):
    """
    A refused request (403, 404, 400: a user reaching for what they may not, or a bad link) is one line in the
    log, not a traceback: it is the app doing its job. Server errors keep theirs.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        refused = record.name == "django.request" and getattr(record, "status_code", 500) < 500
        # SuspiciousOperation (a forged Host header, a tampered session): answered with a 400.
        if refused or record.name.startswith("django.security."):
            record.exc_info = None
            record.exc_text = None
        return True
