"""
The incident list (filters, search, sorting, paging), its CSV export and the
PDF of one incident: each shows only what `incidents_for` allows, and each
export is in the access log.
"""

import csv
import io
import uuid
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader

from esafety.models import AccessLogEntry
from incidents import services
from incidents.models import Incident
from tests import factories as f
from tests.incidents.incident_factory import Part, category, log_incident

LIST = reverse("incidents:incident_list")
EXPORT = reverse("incidents:incident_export")
Severity, Status, Location = Incident.Severity, Incident.Status, Incident.Location
LONDON = ZoneInfo("Europe/London")


def listed(response) -> list[str]:
    return [incident.reference for incident in response.context["page"]]


def exported(response) -> list[dict]:
    assert response["Content-Type"].startswith("text/csv")
    text = response.content.decode("utf-8-sig")
    return list(csv.DictReader(io.StringIO(text)))


def pdf_text(response) -> str:
    assert response["Content-Type"] == "application/pdf"
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(response.content)).pages)


# --- Restricted incidents stay hidden --------------------------------------------------


@pytest.mark.parametrize(
    "who,sees,hidden",
    [
        ("dsl", ["incident", "restricted"], ["staff_incident", "head_incident"]),
        ("head", ["incident", "restricted", "staff_incident"], ["head_incident"]),
        ("chair", ["head_incident"], ["incident", "restricted", "staff_incident"]),
    ],
)
def test_the_list_search_and_count_show_only_the_incidents_a_handler_may_see(cast, login, who, sees, hidden):
    client = login(cast.a.users[who])
    references = {name: getattr(cast.a, name).reference for name in sees + hidden}

    response = client.get(LIST)
    assert sorted(listed(response)) == sorted(references[n] for n in sees)
    assert f"{len(sees)} in all." in response.content.decode()
    for name in hidden:
        # Not by reference, not by a name of someone involved, not by a word of what happened.
        assert listed(client.get(LIST, {"q": references[name]})) == []
        assert references[name] not in client.get(LIST).content.decode()
    # "TeacherA": the tutor (the staff incident) and the head (the allegation about the head).
    about_staff = {"dsl": [], "head": [references["staff_incident"]], "chair": [references["head_incident"]]}[who]
    assert listed(client.get(LIST, {"q": "TeacherA"})) == about_staff
    assert listed(client.get(LIST, {"q": "Tutor"})) == ([references["staff_incident"]] if who == "head" else [])


def test_the_export_holds_only_the_incidents_the_user_may_see(cast, login):
    a = cast.a
    dsl_csv = login(a.users["dsl"]).get(EXPORT)
    head_csv = login(a.users["head"]).get(EXPORT)

    assert sorted(row["Reference"] for row in exported(dsl_csv)) == sorted([a.incident.reference, a.restricted.reference])
    for leaked in (a.staff_incident.reference, a.head_incident.reference, b"TeacherA", b"Head TeacherA"):
        assert (leaked if isinstance(leaked, bytes) else leaked.encode()) not in dsl_csv.content
    assert a.staff_incident.reference.encode() in head_csv.content
    assert a.head_incident.reference.encode() not in head_csv.content
    # Those who may not export at all: the teacher (even for the incident they logged) and the chair.
    assert login(a.users["teacher"]).get(EXPORT).status_code == 403
    assert login(a.users["chair"]).get(EXPORT).status_code == 403
    # School B's DSL gets school B's incidents only.
    b_rows = exported(login(cast.b.users["dsl"]).get(EXPORT))
    assert {row["Reference"] for row in b_rows} == {cast.b.incident.reference, cast.b.restricted.reference}
    assert b"Aardvark" not in login(cast.b.users["dsl"]).get(EXPORT).content


def test_the_pdf_is_a_404_for_anyone_who_does_not_handle_the_incident(cast, login):
    a = cast.a
    pdf = lambda incident: reverse("incidents:incident_pdf", args=[incident.pk])  # noqa: E731
    assert login(a.users["dsl"]).get(pdf(a.staff_incident)).status_code == 404
    assert login(a.users["dsl"]).get(pdf(a.head_incident)).status_code == 404
    assert login(a.users["head"]).get(pdf(a.head_incident)).status_code == 404
    assert login(a.users["dsl"]).get(reverse("incidents:incident_pdf", args=[uuid.uuid4()])).status_code == 404
    assert login(cast.b.users["dsl"]).get(pdf(a.incident)).status_code == 404
    # Without the export capability the page is refused whatever the incident (the teacher logged this one).
    assert login(a.users["teacher"]).get(pdf(a.restricted)).status_code == 403
    assert login(a.users["chair"]).get(pdf(a.head_incident)).status_code == 403
    assert not AccessLogEntry.objects.filter(kind=AccessLogEntry.Kind.EXPORT).exists()


# --- The PDF ------------------------------------------------------------------------------


def test_the_pdf_holds_the_summary_people_timeline_checklist_actions_and_evidence(cast, login):
    dsl = cast.a.users["dsl"]
    incident = cast.a.restricted
    services.incident_assign(incident=incident, assignee=dsl, actor=dsl)
    step = incident.checklist.order_by("order").first()
    services.checklist_step_complete(step=step, actor=dsl, note="Social care ref SC-4411")
    services.incident_triage(
        incident=incident,
        actor=dsl,
        severity=Severity.IMMEDIATE,
        category=incident.category,
        matrix_row=incident.matrix_row,
        reason="The image has been shared beyond the school",
    )
    services.evidence_register(
        incident=incident,
        actor=dsl,
        description="Phone held for the police",
        location="Safe in the head's office",
        held_by="Dee Esel",
        secured_at=timezone.now() - timedelta(hours=1),
    )

    response = login(dsl).get(reverse("incidents:incident_pdf", args=[incident.pk]))

    assert response.status_code == 200
    assert response["Cache-Control"] == "private, no-store"
    text = pdf_text(response)
    for expected in (
        incident.reference,
        "Sharing nudes or semi-nudes",
        "Restricted",
        "Alice Aardvark",
        "Affected",
        "Tell the DSL at once, in person",
        "Social care ref SC-4411",
        "Assigned to Dsl A",
        "The image has been shared beyond the school",
        "Phone held for the police",
        "Reported by a pupil of school A.",
    ):
        assert expected in text, expected
    entry = AccessLogEntry.objects.get(actor=dsl, kind=AccessLogEntry.Kind.EXPORT)
    assert entry.object_id == str(incident.pk)
    assert incident.reference in entry.summary
    # One row for the export: no separate "viewed" row for printing it.
    assert AccessLogEntry.objects.filter(actor=dsl, object_id=str(incident.pk)).count() == 1


# --- The CSV export ------------------------------------------------------------------------


def test_the_export_is_formula_safe_and_written_to_the_access_log(cast, login):
    log_incident(
        cast.a,
        description='=HYPERLINK("http://evil.example","click")',
        people=[services.Involved(Part.WITNESS, outsider="+44 7700 900123 @bob")],
    )
    client = login(cast.a.users["head"])

    response = client.get(EXPORT, {"q": "HYPERLINK"})

    assert response["Content-Disposition"].startswith('attachment; filename="incidents-')
    rows = exported(response)
    assert len(rows) == 1
    assert rows[0]["What happened"] == '\'=HYPERLINK("http://evil.example","click")'
    assert "+44 7700 900123 @bob (witness)" in rows[0]["People involved"]
    assert rows[0]["People involved"].startswith("Alice Aardvark (alleged to have caused it)")
    raw = response.content.decode("utf-8-sig")
    assert "\n=" not in raw and ",=" not in raw
    entry = AccessLogEntry.objects.get(kind=AccessLogEntry.Kind.EXPORT)
    assert entry.actor == cast.a.users["head"] and entry.school == cast.a.school
    assert entry.summary == "Exported 1 incident as CSV (q: search words)"


def test_the_export_follows_the_list_filters(cast, login):
    client = login(cast.a.users["dsl"])
    log_incident(cast.a, kind="Use", severity=Severity.HIGH, location=Location.IN_SCHOOL)
    response = client.get(EXPORT, {"severity": "high"})
    assert sorted(r["Category"] for r in exported(response)) == [
        "Sharing nudes or semi-nudes (self-generated images)",
        "Use of a phone, camera or other device against the rules",
    ]
    assert (
        AccessLogEntry.objects.get(kind=AccessLogEntry.Kind.EXPORT, object_id="").summary
        == "Exported 2 incidents as CSV (severity=high)"
    )


# --- Filters, search, sorting and paging -------------------------------------------------


def test_each_filter_narrows_the_list(cast, login):
    dsl = cast.a.users["dsl"]
    year9 = f.make_pupil(cast.a.school, "Nina", "Ninth", year_group=f.make_year_group(cast.a.school, 9), mis_id="n9")
    old = log_incident(cast.a, when=datetime(2025, 1, 15, 10, tzinfo=LONDON), pupils=[(year9, Part.AFFECTED)])
    phone = log_incident(cast.a, kind="Use", severity=Severity.LOW, location=Location.TRIP)
    services.incident_assign(incident=phone, assignee=dsl, actor=dsl)
    services.incident_close(incident=phone, actor=dsl, outcome="Phone returned to parents")
    client = login(dsl)
    a = cast.a

    def only(**params):
        return sorted(listed(client.get(LIST, params)))

    every = sorted([a.incident.reference, a.restricted.reference, old.reference, phone.reference])
    assert only() == every
    assert only(since="2025-01-01", until="2025-01-31") == [old.reference]
    assert only(since="16/01/2025") == sorted([a.incident.reference, a.restricted.reference, phone.reference])
    assert only(category=category(a.school, "Use").pk) == [phone.reference]
    assert only(year_group=year9.year_group_id) == [old.reference]
    assert only(year_group=a.year7.pk) == sorted([a.incident.reference, a.restricted.reference, phone.reference])
    assert only(status="closed") == [phone.reference]
    assert only(severity="high") == [a.restricted.reference]
    assert only(location="trip") == [phone.reference]
    assert only(handler="me") == [phone.reference]
    assert only(handler="nobody") == sorted([a.incident.reference, a.restricted.reference, old.reference])
    assert only(status="closed", location="online") == []


def test_search_finds_by_reference_number_description_and_names(cast, login):
    a = cast.a
    tom = f.make_pupil(a.school, "Tomasz", "Kowalski", form=a.form, mis_id="tk1")
    named = log_incident(a, pupils=[(tom, Part.AFFECTED)], description="Messages sent late at night on a gaming platform.")
    client = login(a.users["dsl"])

    def found(q):
        return sorted(listed(client.get(LIST, {"q": q})))

    assert found(named.reference) == [named.reference]
    assert found(named.reference.lower()) == [named.reference]
    assert found(str(named.number)) == [named.reference]
    assert found("kowal") == [named.reference]
    assert found("Tomasz Kowalski") == [named.reference]
    assert found("gaming platform") == [named.reference]
    assert found("Aardvark") == sorted([a.incident.reference, a.restricted.reference])
    assert found("nothing like this") == []


def test_sorting_by_severity_puts_immediate_risk_first_and_the_header_says_so(cast, login):
    low = log_incident(cast.a, severity=Severity.LOW)
    immediate = log_incident(cast.a, severity=Severity.IMMEDIATE)
    client = login(cast.a.users["dsl"])

    response = client.get(LIST, {"sort": "severity"})

    assert listed(response) == [immediate.reference, cast.a.restricted.reference, cast.a.incident.reference, low.reference]
    assert 'aria-sort="ascending"' in response.content.decode()
    assert listed(client.get(LIST, {"sort": "-severity"}))[0] == low.reference
    assert listed(client.get(LIST, {"sort": "number"}))[:2] == [cast.a.incident.reference, cast.a.restricted.reference]


def test_the_list_pages_by_fifty(cast, login):
    dsl = cast.a.users["dsl"]
    Incident.objects.bulk_create(
        [
            Incident(
                school=cast.a.school,
                number=1000 + i,
                occurred_at=timezone.now() - timedelta(days=i + 2),
                location=Location.IN_SCHOOL,
                category=cast.a.incident.category,
                description=f"Older incident {i}",
                reported_by=cast.a.users["teacher"],
            )
            for i in range(55)
        ]
    )
    client = login(dsl)
    first = client.get(LIST)
    assert len(listed(first)) == 50 and "Page 1 of 2" in first.content.decode()
    second = client.get(LIST, {"page": 2, "sort": "-when"})
    assert len(listed(second)) == 7
    assert "57 in all." in second.content.decode()


# --- Bad input: refused with a reason, never a 500 -------------------------------------------


@pytest.mark.parametrize("since,until", [("", "9999-12-31"), ("", "31/12/9999"), ("0001-01-01", "")])
def test_a_date_out_of_range_is_refused_on_the_filter_form_and_the_list_still_shows(cast, login, since, until):
    response = login(cast.a.users["dsl"]).get(LIST, {"since": since, "until": until, "severity": "high"})
    assert response.status_code == 200
    assert "Give a date between 01/01/1900 and 31/12/2100." in response.content.decode()
    # The date is left out; the other filters still apply.
    assert listed(response) == [cast.a.restricted.reference]


def test_an_export_with_a_date_out_of_range_makes_no_file_and_says_why(cast, login):
    response = login(cast.a.users["dsl"]).get(EXPORT, {"until": "9999-12-31"})
    assert response.status_code == 400
    assert response["Content-Type"].startswith("text/plain")
    assert response.content.decode() == "No file was made. To: Give a date between 01/01/1900 and 31/12/2100."
    assert not AccessLogEntry.objects.filter(kind=AccessLogEntry.Kind.EXPORT).exists()


def test_the_exports_log_entry_names_only_its_filters_never_other_parameters(cast, login):
    response = login(cast.a.users["dsl"]).get(EXPORT, {"severity": "high", "ref\x00": "a\x00b", "note": "anything"})
    assert response.status_code == 200  # PostgreSQL refused the NUL in the entry, and gave a 500
    assert (
        AccessLogEntry.objects.get(kind=AccessLogEntry.Kind.EXPORT, object_id="").summary
        == "Exported 1 incident as CSV (severity=high)"
    )


@pytest.mark.parametrize(
    "q,reason",
    [
        ("x" * 100_000, "Ensure this value has at most 200 characters (it has 100000)."),  # SQLite gave a 500
        ("Alice\x00", "Null characters are not allowed."),  # PostgreSQL cannot compare NUL
    ],
)
def test_a_search_that_is_no_name_is_refused_on_the_filter_form_and_the_list_still_shows(cast, login, q, reason):
    response = login(cast.a.users["dsl"]).get(LIST, {"q": q})
    assert response.status_code == 200
    assert reason in response.content.decode()
    assert sorted(listed(response)) == sorted([cast.a.incident.reference, cast.a.restricted.reference])
