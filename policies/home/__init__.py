"""The home-page panels of policies and training, one module per area."""

from policies.home import policies, training  # noqa: F401
