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
    # Allegations about the head teacher go to the chair of governors, who sees those alone.
    CHAIR = "chair", "Chair of governors"


class Capability(models.TextChoices):
    VIEW_PUPILS = "view_pupils", "See pupils, forms and parents/carers"
    VIEW_STAFF = "view_staff", "See the staff list"
    FLAG_VULNERABLE = "flag_vulnerable", "See and set a pupil's additional needs / vulnerable flag"
    EXPORT_PEOPLE = "export_people", "Export pupils' personal data (CSV)"
    IMPORT_MIS = "import_mis", "Import pupils, parents/carers, forms and staff from the MIS"
    VIEW_ACCESS_LOG = "view_access_log", "Read the access log"
    RESET_SECOND_FACTOR = "reset_second_factor", "Reset a colleague's two-factor sign-in when their phone is lost"
    MANAGE_TERM_DATES = "manage_term_dates", "Enter the school's term dates, half-terms, INSET days and closures"
    # Incidents
    LOG_INCIDENT = "log_incident", "Log an incident and see the incidents they reported"
    TRIAGE_INCIDENTS = "triage_incidents", "Triage and handle pupil incidents, including child-protection ones"
    HANDLE_STAFF_INCIDENTS = "handle_staff_incidents", "See and handle incidents and allegations about staff"
    HANDLE_HEAD_ALLEGATIONS = "handle_head_allegations", "See and handle allegations about the head teacher"
    EXPORT_INCIDENTS = "export_incidents", "Export incidents (CSV) and print a case for referral (PDF)"
    SET_UP_INCIDENTS = "set_up_incidents", "Edit incident categories, response checklists and sanction matrices"
    # Consents
    CHECK_CONSENT = "check_consent", "Check who may be photographed or published"
    RECORD_CONSENT = "record_consent", "Print consent slips, record returns and withdrawals, chase missing answers"
    SET_UP_CONSENT = "set_up_consent", "Edit consent types and their wording"
    VIEW_CONSENT_COVERAGE = "view_consent_coverage", "See consent coverage and who has accepted the staff agreement"
    # Web filtering
    REQUEST_FILTER_EXCEPTION = (
        "request_filter_exception",
        "Ask for blocked sites to be opened for a lesson, and follow their requests",
    )
    DECIDE_FILTER_EXCEPTION = (
        "decide_filter_exception",
        "See every filter exception request and export the register",
    )
    SIGN_OFF_FILTER_EXCEPTION = (
        "sign_off_filter_exception",
        "Sign off or decline requests to open sites, revoke them, agree changes to the filter (head teacher)",
    )
    RUN_WEB_FILTER = (
        "run_web_filter",
        "Have the final say on requests, apply and remove them, log filter changes, run the allowlist feed (IT)",
    )
    REPORT_UNSUITABLE_SITE = "report_unsuitable_site", "Report a site that should have been blocked"
    HANDLE_SITE_REPORTS = "handle_site_reports", "Decide on reports of unsuitable sites and escalate them to incidents"
    REVIEW_FILTERING = (
        "review_filtering",
        "Read the filter change log, review the logs and write the yearly filtering and monitoring review",
    )
    READ_FILTERING_REVIEW = "read_filtering_review", "Read the yearly filtering and monitoring review"
    # Devices
    RECORD_PHONES = "record_phones", "Record the phones a form hands in each morning and collects at the end of the day"
    MANAGE_PHONE_EXCEPTIONS = (
        "manage_phone_exceptions",
        "Agree and review which pupils may keep their phone (young carers, medical needs)",
    )
    SET_UP_DEVICES = (
        "set_up_devices",
        "Choose the forms on the phone register, the end of the day and how long confiscated devices may be held",
    )
    CONFISCATE_DEVICE = "confiscate_device", "Record a device taken from a pupil or found, and follow those they took"
    HOLD_CONFISCATIONS = (
        "hold_confiscations",
        "See every confiscated device, record where it is kept and return it to the pupil or a parent/carer",
    )
    SEARCH_DEVICES = (
        "search_devices",
        "Record a search of a confiscated device, hand it to the police, and flag or unflag it as evidence (DSL)",
    )
    LIFT_EVIDENCE_FLAG = (
        "lift_evidence_flag",
        "Lift the evidence flag of a confiscated device, so that it may be returned or disposed of (DSL)",
    )
    LEND_DEVICES = "lend_devices", "Keep the register of school devices, import it, lend devices and take them back"
    ASK_PERSONAL_EQUIPMENT = (
        "ask_personal_equipment",
        "Ask to use personal equipment with pupils, see their school devices, report one lost or stolen",
    )
    DECIDE_PERSONAL_EQUIPMENT = "decide_personal_equipment", "Approve or decline the use of personal equipment"
    ASSESS_DATA_BREACH = "assess_data_breach", "Hear of lost devices that may be a personal-data breach and record the assessment"
    KEEP_ACCESS_REGISTER = (
        "keep_access_register",
        "Keep the register of internet accounts and sign off the yearly review of access rights",
    )
    READ_ACCESS_REGISTER = "read_access_register", "Read the register of internet accounts and its reviews"
    # Policies and training
    READ_POLICIES = "read_policies", "Read the school's policies in force and acknowledge those they are asked to read"
    MANAGE_POLICIES = (
        "manage_policies",
        "Keep the register of policies: new versions, approval, review dates, and who has acknowledged them",
    )
    VIEW_OWN_TRAINING = "view_own_training", "See their own training records and the training they have due"
    MANAGE_TRAINING = "manage_training", "Record and import staff training, and see who is due or overdue"
    # The governors' report
    READ_GOVERNORS_REPORT = "read_governors_report", "Read the published governors' e-safety report (no names in it)"
    WRITE_GOVERNORS_REPORT = (
        "write_governors_report",
        "Build the governors' report, write its summary, publish it and compare years",
    )
    READ_TRUST_REPORT = "read_trust_report", "Read and build the trust's report: every school side by side"


C = Capability

# What every member of staff may do, whatever else their role adds.
EVERY_STAFF_MEMBER = frozenset(
    {
        C.VIEW_PUPILS,
        C.VIEW_STAFF,
        C.LOG_INCIDENT,
        C.CHECK_CONSENT,
        C.REQUEST_FILTER_EXCEPTION,
        C.REPORT_UNSUITABLE_SITE,
        # Tutors, and whoever covers a form, keep its phone register; anyone may take a phone in class.
        C.RECORD_PHONES,
        C.CONFISCATE_DEVICE,
        C.ASK_PERSONAL_EQUIPMENT,
        C.READ_POLICIES,
        C.VIEW_OWN_TRAINING,
    }
)
# Those who keep the filtering logs under review (and so read the whole register of requests), and read the yearly
# review.
FILTERING_REVIEWERS = frozenset({C.REVIEW_FILTERING, C.READ_FILTERING_REVIEW})

ROLE_CAPABILITIES: dict[str, frozenset[str]] = {
    Role.STAFF: EVERY_STAFF_MEMBER,
    Role.DSL: EVERY_STAFF_MEMBER
    | FILTERING_REVIEWERS
    | {
        C.FLAG_VULNERABLE,
        C.EXPORT_PEOPLE,
        C.VIEW_ACCESS_LOG,
        C.TRIAGE_INCIDENTS,
        C.EXPORT_INCIDENTS,
        C.SET_UP_INCIDENTS,
        C.HANDLE_SITE_REPORTS,
        C.DECIDE_FILTER_EXCEPTION,
        C.MANAGE_PHONE_EXCEPTIONS,
        C.HOLD_CONFISCATIONS,
        C.SEARCH_DEVICES,
        C.LIFT_EVIDENCE_FLAG,
        C.ASSESS_DATA_BREACH,
        C.MANAGE_TRAINING,
        C.READ_GOVERNORS_REPORT,
    },
    # Allegations about staff go to the head, not the DSL team.
    Role.HEAD: EVERY_STAFF_MEMBER
    | {
        C.FLAG_VULNERABLE,
        C.EXPORT_PEOPLE,
        C.VIEW_ACCESS_LOG,
        C.TRIAGE_INCIDENTS,
        C.HANDLE_STAFF_INCIDENTS,
        C.EXPORT_INCIDENTS,
        C.SET_UP_INCIDENTS,
        C.SET_UP_CONSENT,
        C.VIEW_CONSENT_COVERAGE,
        C.RESET_SECOND_FACTOR,
        C.MANAGE_TERM_DATES,
        C.DECIDE_FILTER_EXCEPTION,
        C.SIGN_OFF_FILTER_EXCEPTION,
        C.HANDLE_SITE_REPORTS,
        C.MANAGE_PHONE_EXCEPTIONS,
        C.SET_UP_DEVICES,
        C.HOLD_CONFISCATIONS,
        C.SEARCH_DEVICES,
        C.DECIDE_PERSONAL_EQUIPMENT,
        C.ASSESS_DATA_BREACH,
        C.READ_ACCESS_REGISTER,
        C.MANAGE_POLICIES,
        C.MANAGE_TRAINING,
        C.READ_GOVERNORS_REPORT,
        C.WRITE_GOVERNORS_REPORT,
    }
    | FILTERING_REVIEWERS,
    # The IT manager runs the accounts and the web filter.
    Role.IT: EVERY_STAFF_MEMBER
    | FILTERING_REVIEWERS
    | {
        C.RESET_SECOND_FACTOR,
        C.DECIDE_FILTER_EXCEPTION,
        C.RUN_WEB_FILTER,
        C.LEND_DEVICES,
        C.SET_UP_DEVICES,
        C.KEEP_ACCESS_REGISTER,
        C.READ_ACCESS_REGISTER,
    },
    # The office keeps the school's calendar; the head agrees it.
    # The office keeps confiscated phones until they go home, and lends the school's devices.
    Role.OFFICE: EVERY_STAFF_MEMBER
    | {
        C.EXPORT_PEOPLE,
        C.IMPORT_MIS,
        C.RECORD_CONSENT,
        C.SET_UP_CONSENT,
        C.MANAGE_TERM_DATES,
        C.SET_UP_DEVICES,
        C.HOLD_CONFISCATIONS,
        C.LEND_DEVICES,
    },
    # Governors read anonymised reports only: no names of pupils or staff.
    Role.GOVERNOR: frozenset({C.VIEW_CONSENT_COVERAGE, C.READ_FILTERING_REVIEW, C.READ_GOVERNORS_REPORT}),
    # The e-safety lead keeps the policies and the training, and writes the governors' report.
    Role.LEAD: EVERY_STAFF_MEMBER
    | FILTERING_REVIEWERS
    | {
        C.SET_UP_INCIDENTS,
        C.SET_UP_CONSENT,
        C.VIEW_CONSENT_COVERAGE,
        C.HANDLE_SITE_REPORTS,
        C.DECIDE_FILTER_EXCEPTION,
        C.MANAGE_POLICIES,
        C.MANAGE_TRAINING,
        C.READ_GOVERNORS_REPORT,
        C.WRITE_GOVERNORS_REPORT,
    },
    Role.TRUST: frozenset(
        {C.VIEW_PUPILS, C.VIEW_STAFF, C.VIEW_ACCESS_LOG, C.VIEW_CONSENT_COVERAGE, C.READ_GOVERNORS_REPORT, C.READ_TRUST_REPORT}
    ),
    Role.CHAIR: frozenset({C.HANDLE_HEAD_ALLEGATIONS}),
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
        "## What governors see",
        "",
        "Governors see reports, never records: no page open to them names a pupil or a member of staff",
        "(`tests/reports/test_governors_reach_no_record.py` walks every URL as a governor). They may open:",
        "",
        "- the home page, their notifications, and their own account: password, second factor, sessions;",
        "- the governors' report once published: `reports:report_list`, `reports:report_detail`, `reports:report_pdf`",
        "  (and `reports:report_progress`, which says it is published);",
        "- the yearly filtering and monitoring review once signed off: `filtering:annual_review_list`,",
        "  `filtering:annual_review_detail`, `filtering:annual_review_pdf`;",
        "- consent coverage and the staff agreement, as counts: `consents:coverage`, `consents:staff_agreement_list`.",
        "",
        "Every other page answers:",
        "",
        "- **403 (forbidden)** when the page is of a kind governors may not use at all: pupils, staff, parents,",
        "  incidents, consent slips and answers, filter requests and changes, devices, policies, training, the",
        "  access log, set-up pages and the trust's report. The capability is missing, and the answer is the",
        "  same for every record of that kind, whether it exists or not, so it reveals nothing.",
        "- **404 (not found)** when the page is of a kind they may use but the record is outside their reach: a",
        "  governors' report not yet published, a yearly review not yet signed off, a notification sent to",
        "  someone else, or any record of another school. They may not see it, so its existence is not revealed.",
        "",
    ]
    return "\n".join(lines)
