"""The services of policies and training, one module per area (policies, training)."""
