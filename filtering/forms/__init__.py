"""The filtering forms, one module per area: they validate and convert, nothing more."""
