"""Every write of web filtering, one module per area (docs/adding-an-app.md, step 3)."""
