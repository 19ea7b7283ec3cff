"""
Importing pupils, parents/carers, forms and staff from an MIS export (CSV).

The flow an office sees: upload → the file is checked in the background
(every row, with errors in plain words) → a preview of what will be created,
updated and marked as left → confirm (all rows, or only the rows without
errors) → the import runs in the background in one transaction, so nothing
is ever half-imported → a notification when it is done.

Rows are matched on the MIS id, so importing the same file twice changes
nothing, and a later export updates what changed. Leavers are marked, never
deleted. Column names follow SIMS and Arbor exports; each column accepts the
usual variants (see `docs/mis-import.md` and the downloadable templates).

The modules, each reading only those above it:

- `parsing.py`: reading a CSV file and matching its headers to the columns of a kind of file;
- `rows.py`: the form that validates and converts one row of each kind;
- `kinds.py`: one class per kind of file (`PupilsFile`, `ContactsFile`, `StaffFile`, `FormsFile`):
  its columns, and how its rows are checked, compared with the school's records and applied;
  `MIS_FILES` maps an `ImportJob.Kind` to its class;
- `services.py`: an import's life (start, check, confirm, cancel, apply, purge), the only writer;
- `forms.py`, `views.py`: the office's pages.
"""
