"""The devices panels of the home page (`esafety.home`) and sections of the pupil's page, one module per area."""

from devices.home import accounts, custody, equipment, loans, phones  # noqa: F401
