"""
Roles and what each may do: the one place where that is decided.

A user holds one or more roles at a school (or the Trust role across a
trust). Views ask for a capability, never for a role, so that a change of
policy is a change to `ROLE_CAPABILITIES` alone. `docs/permissions.md` is
generated from this module (`manage.py permissions_table`) and a test keeps
the two in step.
"""

from django.db import models


class Role(models.TextChoices):
    STAFF = "staff", "Staff"
    DSL = "dsl", "Designated Safeguarding Lead (or deputy)"
    HEAD = "head", "Head teacher"
    IT = "it", "IT / network manager"
    OFFICE = "office", "Office"
    GOVERNOR = "governor", "Governor"
    LEAD = "lead", "E-safety lead"
    TRUST = "trust", "Trust central team"


class Capability(models.TextChoices):
    VIEW_PUPILS = "view_pupils", "See pupils, forms and parents/carers"
    VIEW_STAFF = "view_staff", "See the staff list"
    FLAG_VULNERABLE = "flag_vulnerable", "See and set a pupil's additional needs / vulnerable flag"
    EXPORT_PEOPLE = "export_people", "Export pupils' personal data (CSV)"
    IMPORT_MIS = "import_mis", "Import pupils, parents/carers, forms and staff from the MIS"
    VIEW_ACCESS_LOG = "view_access_log", "Read the access log"


C = Capability

ROLE_CAPABILITIES: dict[str, frozenset[str]] = {
    Role.STAFF: frozenset({C.VIEW_PUPILS, C.VIEW_STAFF}),
    Role.DSL: frozenset({C.VIEW_PUPILS, C.VIEW_STAFF, C.FLAG_VULNERABLE, C.EXPORT_PEOPLE, C.VIEW_ACCESS_LOG}),
    Role.HEAD: frozenset({C.VIEW_PUPILS, C.VIEW_STAFF, C.FLAG_VULNERABLE, C.EXPORT_PEOPLE, C.VIEW_ACCESS_LOG}),
    Role.IT: frozenset({C.VIEW_PUPILS, C.VIEW_STAFF}),
    Role.OFFICE: frozenset({C.VIEW_PUPILS, C.VIEW_STAFF, C.EXPORT_PEOPLE, C.IMPORT_MIS}),
    # Governors read anonymised reports only: no names of pupils or staff.
    Role.GOVERNOR: frozenset(),
    Role.LEAD: frozenset({C.VIEW_PUPILS, C.VIEW_STAFF}),
    Role.TRUST: frozenset({C.VIEW_PUPILS, C.VIEW_STAFF, C.VIEW_ACCESS_LOG}),
}


def capabilities_for(roles) -> frozenset[str]:
    """Everything the given roles allow, together."""
    caps: set[str] = set()
    for role in roles:
        caps |= ROLE_CAPABILITIES[role]
    return frozenset(caps)


def permissions_table_markdown() -> str:
    """The role × capability table of `docs/permissions.md`."""
    roles = list(Role)
    lines = [
        "# Roles and permissions",
        "",
        "Generated from `esafety/roles.py` by `python manage.py permissions_table > docs/permissions.md`;",
        "a test fails when this file and the code disagree. A user's capabilities at a school are",
        "those of all their roles there together. Records of another school, and records a role",
        "may not see, answer 404 (not found) rather than 403, so that their existence is not revealed.",
        "",
        "| capability | " + " | ".join(r.label for r in roles) + " |",
        "|---|" + "---|" * len(roles),
    ]
    for cap in Capability:
        cells = ["yes" if cap in ROLE_CAPABILITIES[r] else "–" for r in roles]
        lines.append(f"| {cap.label} | " + " | ".join(cells) + " |")
    lines += [
        "",
        "The Trust role holds its capabilities at every school of its trust. Django superusers use",
        "the admin site (`/admin/`) for set-up only: schools, memberships and look-up lists.",
        "",
    ]
    return "\n".join(lines)
