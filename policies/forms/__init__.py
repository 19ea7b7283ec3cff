"""The forms of policies and training, one module per area (policies, training)."""
