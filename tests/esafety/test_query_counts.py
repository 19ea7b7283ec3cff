"""
Pages run a fixed number of queries, however much data the school has.

Each page is measured with the cast's small school, then again after adding
many more pupils, parents, staff, forms, notifications, imports and
access-log entries: the count must not change, and must stay within the
budget written here.
"""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from esafety.models import AccessLogEntry, Notification
from tests import factories as f

# Every page runs 7 queries of its own shell: the session, the user, their
# memberships, the bell's unread count, and the session's new expiry
# (savepoint, update, release). The budgets below are those 7 plus:
# (the incidents panels of the home page: every member of staff's open tasks; for those who
# handle incidents, new or unassigned and immediate risk, and overdue tasks)
LOG_PANEL, TRIAGE_PANEL = 1, 2
# The office's consents panel: the open rounds with their consents (and those consents' year
# groups), forms and year groups, then one count of pupils with answers missing a round.
CONSENT_PANEL = 6
# The head's and IT's web-filter panels: one count of the requests waiting on them; when the next review of the
# filtering logs is due (the last review, the school's filtering settings, its term dates).
FILTER_PANEL = 1 + 3
# Site reports waiting for a decision (DSL, e-safety lead, head) or to be blocked (IT): one count each; the head's
# count of filter changes waiting for their agreement.
SITE_REPORTS, CHANGES_TO_AGREE = 1, 1
# Devices (devices/home/): every member of staff's own images from personal equipment still to confirm, and the head's
# requests to decide; a tutor's forms on the phone register today (their forms, the calendar in two, the day's
# counts); the office's phones not collected (the settings, a count); the DSL's and head's phone exceptions due for
# review; devices confiscated and held too long (the settings, the calendar in two, a count); IT's and the office's
# overdue loans and leavers holding devices; the DSL's and head's lost devices whose breach is to be assessed; IT's
# review of access rights (the last review, the settings, leavers' accounts ended since).
OWN_EQUIPMENT, EQUIPMENT_TO_DECIDE = 1, 1
TUTOR_PHONES, PHONES_NOT_COLLECTED, PHONE_REVIEWS = 4, 2, 1
CONFISCATIONS_HELD, LOANS_PANEL, BREACHES_TO_ASSESS, ACCESS_REVIEW_DUE = 4, 2, 1, 3
DSL_DEVICES = OWN_EQUIPMENT + PHONE_REVIEWS + CONFISCATIONS_HELD + BREACHES_TO_ASSESS
HEAD_DEVICES = DSL_DEVICES + EQUIPMENT_TO_DECIDE
# Policies and training (policies/home/): every member of staff's policies to read and their own training due; the
# head's and the e-safety lead's policy reviews overdue or due within a month; the training due or overdue across the
# staff (DSL, head, lead). One count each.
POLICIES_TO_READ, OWN_TRAINING, POLICY_REVIEWS, STAFF_TRAINING = 1, 1, 1, 1
EVERY_STAFF_MEMBER = POLICIES_TO_READ + OWN_TRAINING
# The governors' report (reports/home.py): the report published last, or, for those who write it, where last year's
# stands (governors, DSL, head, lead, trust). The trust's schools at a glance (reports/home_trust.py): the trust's
# schools, their open incidents, overdue reviews and open filter exceptions, the schools' thresholds, the latest
# trust report.
GOVERNORS_REPORT, TRUST_AT_A_GLANCE = 1, 5
PAGES = [
    (
        "teacher",
        "home",
        None,
        7 + 3 + LOG_PANEL + OWN_EQUIPMENT + TUTOR_PHONES + EVERY_STAFF_MEMBER,
    ),  # unread notifications; pupils and staff on roll
    (
        "dsl",
        "home",
        None,
        7 + 5 + LOG_PANEL + TRIAGE_PANEL + SITE_REPORTS + DSL_DEVICES + EVERY_STAFF_MEMBER + STAFF_TRAINING + GOVERNORS_REPORT,
    ),  # … and pupils with additional needs, recent access log
    (
        "head",
        "home",
        None,
        7
        + 5
        + LOG_PANEL
        + TRIAGE_PANEL
        + FILTER_PANEL
        + SITE_REPORTS
        + CHANGES_TO_AGREE
        + HEAD_DEVICES
        + EVERY_STAFF_MEMBER
        + POLICY_REVIEWS
        + STAFF_TRAINING
        + GOVERNORS_REPORT,
    ),
    # … and imports in progress
    (
        "office",
        "home",
        None,
        7
        + 4
        + LOG_PANEL
        + CONSENT_PANEL
        + OWN_EQUIPMENT
        + PHONES_NOT_COLLECTED
        + CONFISCATIONS_HELD
        + LOANS_PANEL
        + EVERY_STAFF_MEMBER,
    ),
    (
        "it",
        "home",
        None,
        7 + 3 + LOG_PANEL + FILTER_PANEL + SITE_REPORTS + OWN_EQUIPMENT + LOANS_PANEL + ACCESS_REVIEW_DUE + EVERY_STAFF_MEMBER,
    ),
    ("governor", "home", None, 7 + 1 + GOVERNORS_REPORT),  # unread notifications
    (
        "lead",
        "home",
        None,
        7
        + 3
        + LOG_PANEL
        + SITE_REPORTS
        + OWN_EQUIPMENT
        + EVERY_STAFF_MEMBER
        + POLICY_REVIEWS
        + STAFF_TRAINING
        + GOVERNORS_REPORT,
    ),
    ("trust", "home", None, 7 + 6 + GOVERNORS_REPORT + TRUST_AT_A_GLANCE),  # … and the trust's schools (one more query)
    ("teacher", "pupil_list", None, 7 + 4),  # year groups and forms for the filters, count, page
    # pupil, contacts, history; the phone register's last days (two), devices confiscated from them (one)
    ("dsl", "pupil_detail", lambda c: {"pupil_id": c.a.pupil.pk}, 7 + 3 + 2 + 1),
    ("teacher", "form_list", None, 7 + 1),
    ("teacher", "form_detail", lambda c: {"form_id": c.a.form.pk}, 7 + 3),  # form, pupils, history
    ("teacher", "staff_list", None, 7 + 2),  # count, page
    ("teacher", "staff_detail", lambda c: {"staff_id": c.a.staff_member.pk}, 7 + 2),  # member, history
    ("office", "import_list", None, 7 + 2),
    ("office", "import_detail", lambda c: {"job_id": c.a.import_job.pk}, 7 + 2),  # job, history
    ("office", "notification_list", None, 7 + 2),
    ("head", "access_log", None, 7 + 2),
    # count, page, the page's sites and groups; the filter form's groups and requesters
    ("head", "filtering:request_list", None, 7 + 6),
    # count, page, the page's open loans; the filter form's sets
    ("it", "devices:device_list", None, 7 + 4),
]


def grow(cast, n=40, start=0):
    school = cast.a.school
    for i in range(start, start + n):
        year = f.make_year_group(school, 7 + i % 5)
        form = f.make_form(school, f"X{i}", year, tutor=f.make_staff(school, f"T{i}", "Tutor", mis_id=f"X{i}"))
        pupil = f.make_pupil(school, f"Grown{i}", "Pupil", form=form if i % 2 else cast.a.form, mis_id=f"g{i}")
        f.make_parent(pupil, "Grown", f"Parent{i}", mis_id=f"GP{i}")
        f.make_parent(cast.a.pupil, "Extra", f"Carer{i}", mis_id=f"EC{i}", relationship="carer")
        for user in cast.a.users.values():
            Notification.objects.create(school=school, recipient=user, title=f"Note {i}")
            AccessLogEntry.objects.create(actor=user, school=school, kind="view", summary=f"Looked {i}")
        f.make_import_job(school, cast.a.users["office"])
        pupil.first_name = f"Renamed{i}"
        pupil.save()
        cast.a.pupil.last_name = f"Aardvark{i}"
        cast.a.pupil.save()


def count_queries(client, url) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(queries)


@pytest.mark.parametrize("role,name,kwargs,budget", PAGES, ids=[f"{p[0]}-{p[1]}" for p in PAGES])
def test_the_page_runs_a_fixed_number_of_queries(cast, client, role, name, kwargs, budget):
    url = reverse(name, kwargs=kwargs(cast) if kwargs else None)
    client.force_login(cast.a.users[role])
    grow(cast, n=1)  # one of everything, so that no list is empty
    count_queries(client, url)  # warm: content types and the like are cached after the first request
    small = count_queries(client, url)
    grow(cast, n=40, start=1)
    large = count_queries(client, url)
    assert small == large, f"{name} ran {small} queries with a small school and {large} with a larger one"
    assert large <= budget, f"{name} ran {large} queries, over its budget of {budget}"
