"""The filtering views, one module per area; each view reads access → form → service → message → redirect."""
