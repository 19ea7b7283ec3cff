"""
Unsuitable-site reports: anyone on the staff reports a site that got through the filter; the DSL and the e-safety
lead decide (block it, no action, or escalate it to an incident); IT records the block. Suspected illegal material
takes the IWF and police route, and its address is never a link nor in any notification.
"""

import re
import threading
from datetime import datetime, timedelta

import pytest
import time_machine
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from esafety.models import AccessLogEntry, Notification
from esafety.roles import Role
from esafety.scoping import scope
from filtering.models import FilterChange, SiteReport
from filtering.services import reports as services
from filtering.services.changes import AlreadyDone
from incidents.models import Incident, IncidentDraft, IncidentPerson
from tests import factories as f

pytestmark = pytest.mark.django_db

Status = SiteReport.Status
NEW = reverse("filtering:report_new")
LIST = reverse("filtering:report_list")
ADDRESS = "HTTPS://WWW.Bad-Site.example.ORG/videos?id=7"


def detail(report):
    return reverse("filtering:report_detail", args=[report.pk])


def decide(report):
    return reverse("filtering:report_decide", args=[report.pk])


def referral(report):
    return reverse("filtering:report_referral", args=[report.pk])


def escalate(report):
    return reverse("filtering:report_escalate", args=[report.pk])


def blocked(report):
    return reverse("filtering:report_blocked", args=[report.pk])


def form_data(cast, **extra):
    data = {
        "url": ADDRESS,
        "what_was_seen": "Violent video clips, no age check",
        "where": "Library, laptop 12",
        "seen_at": (timezone.localtime() - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M"),
        "found_by": "Mr Jones, supply teacher",
        "pupils": [str(cast.a.pupil.pk)],
    }
    data.update(extra)
    return data


def newest(cast):
    return SiteReport.objects.filter(school=cast.a.school).order_by("-number").first()


def titles_and_bodies(user):
    return [f"{n.title} {n.body}" for n in Notification.objects.filter(recipient=user)]


def report_by(cast, user, *, illegal=False, pupils=(), status=Status.NEW, number=None, host="other.example.net"):
    """A report made straight in the database, for the lists and the decisions."""
    number = number or (SiteReport.objects.filter(school=cast.a.school).order_by("-number").first().number + 1)
    report = SiteReport.objects.create(
        school=cast.a.school,
        number=number,
        reported_by=user,
        url=f"http://{host}/page",
        host=host,
        what_was_seen="Adverts for vapes",
        where="Room 3",
        seen_at=timezone.now() - timedelta(days=1),
        suspected_illegal=illegal,
        status=status,
    )
    report.pupils.set(pupils)
    return report


# --- Reporting ------------------------------------------------------------------------


def test_a_teacher_reports_a_site_and_the_dsl_and_lead_are_told_without_the_address(
    cast, login, django_capture_on_commit_callbacks
):
    client = login(cast.a.users["teacher"])
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(NEW, form_data(cast), follow=True)
    report = newest(cast)
    assert report.number == 2 and report.reference == "SR-00002"
    assert report.url == ADDRESS  # as typed
    assert report.host == "www.bad-site.example.org"
    assert list(report.pupils.all()) == [cast.a.pupil]
    assert report.status == Status.NEW and report.reported_by == cast.a.users["teacher"]
    assert report.history.get().history_change_reason == "Reported"
    page = response.content.decode()
    assert "Thank you: report SR-00002 has been sent to the DSL and the e-safety lead." in page
    assert "Alice Aardvark" in page
    told = set(Notification.objects.filter(link=detail(report)).values_list("recipient__email", flat=True))
    assert told == {cast.a.users["dsl"].email, cast.a.users["lead"].email}
    assert sorted(m.to[0] for m in mail.outbox) == sorted(told)
    for text in titles_and_bodies(cast.a.users["dsl"]) + [m.subject + m.body for m in mail.outbox]:
        assert "bad-site" not in text.lower() and "Violent" not in text
    assert "a site was reported" in mail.outbox[0].subject


def test_the_form_offers_the_schools_current_pupils_only(cast, login):
    page = login(cast.a.users["teacher"]).get(NEW).content.decode()
    assert "Aardvark, Alice (7A)" in page
    assert "LeaverA" not in page and "Badger" not in page
    response = login(cast.a.users["teacher"]).post(NEW, form_data(cast, pupils=[str(cast.b.pupil.pk)]))
    assert response.status_code == 400
    assert "Select a valid choice" in response.content.decode()
    assert newest(cast).number == 1


def test_the_form_tells_everyone_what_to_do_about_illegal_material(cast, login):
    page = login(cast.a.users["office"]).get(NEW).content.decode()
    assert "If you suspect child sexual abuse images or terrorist content" in page
    assert "Do not visit the address again" in page
    assert "do not take screenshots" in page
    assert "Tell the DSL in person now." in page


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("https://", "The address has no site name in it"),
        ("http://bad site.example.org/x", "The address has a space in it"),
        ("http://[::1/page", "This is not a web address that can be read"),
        ("https://exa_mple.org/page", "The site name in this address is not valid"),
        ("localhost/page", "The site name in this address is not valid"),
    ],
)
def test_a_malformed_address_is_refused_with_a_clear_message(cast, login, url, message):
    response = login(cast.a.users["teacher"]).post(NEW, form_data(cast, url=url))
    page = response.content.decode()
    assert response.status_code == 400
    assert message in page
    assert "Violent video clips, no age check" in page  # what was typed is kept
    assert newest(cast).number == 1


def test_an_address_by_ip_number_is_kept_with_the_number_as_its_domain(cast, login):
    login(cast.a.users["teacher"]).post(NEW, form_data(cast, url="http://203.0.113.9/proxy"))
    assert newest(cast).host == "203.0.113.9"


def test_a_time_in_the_future_and_missing_answers_are_refused(cast, login):
    future = (timezone.localtime() + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")
    response = login(cast.a.users["teacher"]).post(NEW, form_data(cast, seen_at=future, what_was_seen="", where=""))
    page = response.content.decode()
    assert response.status_code == 400
    assert "This is in the future. Give the date and time the site was seen." in page
    assert page.count("This field is required.") == 2
    assert "Library, laptop 12" not in page  # it was left empty
    assert "Mr Jones, supply teacher" in page
    assert newest(cast).number == 1


def test_a_uk_date_and_time_is_understood(cast, login):
    login(cast.a.users["teacher"]).post(NEW, form_data(cast, seen_at="03/02/2025 14:30"))
    assert timezone.localtime(newest(cast).seen_at).strftime("%d %m %Y %H:%M") == "03 02 2025 14:30"


def test_reports_are_numbered_per_school(cast, login):
    login(cast.a.users["teacher"]).post(NEW, form_data(cast))
    login(cast.a.users["office"]).post(NEW, form_data(cast))
    assert list(SiteReport.objects.order_by("number").values_list("number", flat=True)) == [1, 2, 3]
    with scope(school=cast.b.school):
        assert list(SiteReport.objects.values_list("number", flat=True)) == [1]


# --- Suspected illegal material -------------------------------------------------------------


def test_suspected_illegal_material_goes_to_the_dsl_lead_and_head_at_once_without_the_address(
    cast, login, django_capture_on_commit_callbacks
):
    client = login(cast.a.users["teacher"])
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(NEW, form_data(cast, suspected_illegal="on"), follow=True)
    report = newest(cast)
    assert report.suspected_illegal
    recipients = sorted(m.to[0] for m in mail.outbox)
    assert recipients == sorted(cast.a.users[r].email for r in ("dsl", "lead", "head"))
    assert all(m.subject.endswith("Act now: SR-00002, suspected illegal material reported") for m in mail.outbox)
    for text in [m.subject + m.body for m in mail.outbox] + titles_and_bodies(cast.a.users["head"]):
        assert "bad-site" not in text.lower()
    page = response.content.decode()
    # The reporter: tell the DSL in person; no IWF route (that is for the DSL team).
    assert "Now tell the DSL in person." in page
    assert "If you have not yet done so, tell the DSL in person now." in page
    assert "report.iwf.org.uk" not in page


def test_the_handlers_page_shows_the_iwf_and_police_route_and_the_address_is_never_a_link(cast, login):
    report = report_by(cast, cast.a.users["teacher"], illegal=True, host="illegal.example.org")
    for role in ("dsl", "it", "teacher"):
        page = login(cast.a.users[role]).get(detail(report)).content.decode()
        assert "http://illegal.example.org/page" in page
        assert not re.search(r"href=\"[^\"]*illegal\.example", page), role
        assert "(do not visit)" in page
    page = login(cast.a.users["lead"]).get(detail(report)).content.decode()
    assert "Report the address to the Internet Watch Foundation at" in page
    assert 'href="https://report.iwf.org.uk/"' in page
    assert "999 in an emergency, 101 otherwise" in page
    list_page = login(cast.a.users["dsl"]).get(LIST).content.decode()
    assert "illegal.example.org" in list_page and not re.search(r"href=\"[^\"]*illegal\.example", list_page)


def test_the_referral_to_the_iwf_or_police_is_recorded_with_its_reference(cast, login):
    report = report_by(cast, cast.a.users["teacher"], illegal=True)
    client = login(cast.a.users["dsl"])
    response = client.post(referral(report), {"reported_to_iwf_police": "IWF, report 123456"}, follow=True)
    report.refresh_from_db()
    assert report.reported_to_iwf_police == "IWF, report 123456"
    assert report.status == Status.NEW  # still waiting for the decision
    page = response.content.decode()
    assert "the referral has been recorded" in page
    assert "(Reported to the IWF or police)" in page and "– → IWF, report 123456" in page  # the history panel
    # The reporter does not see the referral's reference.
    assert "123456" not in login(cast.a.users["teacher"]).get(detail(report)).content.decode()
    empty = login(cast.a.users["dsl"]).post(referral(report), {"reported_to_iwf_police": ""})
    assert empty.status_code == 400 and "This field is required." in empty.content.decode()


def test_an_ordinary_report_has_no_referral(cast, login):
    response = login(cast.a.users["dsl"]).post(referral(cast.a.site_report), {"reported_to_iwf_police": "IWF"}, follow=True)
    assert (
        "Nothing was recorded: only a report of suspected illegal material goes to the IWF or the police."
        in response.content.decode()
    )
    cast.a.site_report.refresh_from_db()
    assert cast.a.site_report.reported_to_iwf_police == ""


# --- Who sees what ------------------------------------------------------------------------


def test_a_teacher_sees_their_own_reports_and_the_handlers_see_new_ones_first(cast, login):
    office = cast.a.users["office"]
    old_new = report_by(cast, office, host="first-new.example.org")
    SiteReport.objects.filter(pk=old_new.pk).update(reported_at=timezone.now() - timedelta(days=30))
    report_by(cast, office, status=Status.NO_ACTION, host="decided.example.org")
    report_by(cast, office, status=Status.TO_BLOCK, host="to-block.example.org")

    mine = login(cast.a.users["teacher"]).get(LIST).content.decode()
    assert "casino-a.example.com" in mine and "decided.example.org" not in mine and "casino-b" not in mine
    assert "1 in all." in mine

    dsl = login(cast.a.users["dsl"]).get(LIST).content.decode()
    order = [
        dsl.index(h) for h in ("casino-a.example.com", "first-new.example.org", "to-block.example.org", "decided.example.org")
    ]
    assert order == sorted(order)
    # IT sees what waits to be blocked first.
    it = login(cast.a.users["it"]).get(LIST).content.decode()
    assert it.index("to-block.example.org") < it.index("casino-a.example.com")
    # Names of pupils are on the report's own page only.
    assert "Aardvark" not in dsl and "Tutor TeacherA" not in dsl


def test_the_list_filters_by_status_and_searches_by_domain_or_reference(cast, login):
    report_by(cast, cast.a.users["office"], status=Status.BLOCKED, host="xn--bcher-kva.example.de")
    client = login(cast.a.users["head"])
    blocked_only = client.get(LIST, {"status": "blocked"}).content.decode()
    assert "xn--bcher-kva.example.de" in blocked_only and "casino-a" not in blocked_only
    assert "casino-a" in client.get(LIST, {"q": "CASINO"}).content.decode()
    found = client.get(LIST, {"q": "https://Bücher.example.de/x"}).content.decode()
    assert "xn--bcher-kva.example.de" in found and "casino-a" not in found
    by_reference = client.get(LIST, {"q": "SR-00001"}).content.decode()
    assert "casino-a" in by_reference and "xn--bcher" not in by_reference
    assert "No reports match these filters." in client.get(LIST, {"q": "nowhere.example"}).content.decode()
    refused = client.get(LIST, {"q": "x" * 201})
    assert refused.status_code == 400 and "casino-a" in refused.content.decode()


def test_a_colleague_who_did_not_report_it_gets_a_404_and_never_the_pupils_names(cast, login):
    response = login(cast.a.users["office"]).get(detail(cast.a.site_report))
    assert response.status_code == 404
    assert "Aardvark" not in response.content.decode()
    assert "casino-a" not in login(cast.a.users["office"]).get(LIST).content.decode()


def test_another_schools_report_is_a_404(cast, login):
    for role in ("dsl", "it", "head"):
        assert login(cast.a.users[role]).get(detail(cast.b.site_report)).status_code == 404
    assert login(cast.a.users["dsl"]).post(decide(cast.b.site_report), {"decision": "block"}).status_code == 404
    with scope(school=cast.b.school):
        cast.b.site_report.refresh_from_db()
        assert cast.b.site_report.status == Status.NEW


def test_reading_a_report_that_names_pupils_is_in_the_access_log(cast, login):
    login(cast.a.users["it"]).get(detail(cast.a.site_report))
    entry = AccessLogEntry.objects.get()
    assert entry.actor == cast.a.users["it"] and entry.object_id in (str(cast.a.site_report.pk), cast.a.site_report.pk.hex)
    assert entry.summary == "Viewed site report SR-00001, which names pupils"
    nobody_named = report_by(cast, cast.a.users["teacher"])
    login(cast.a.users["dsl"]).get(detail(nobody_named))
    assert AccessLogEntry.objects.count() == 1


# --- Deciding ---------------------------------------------------------------------------


def test_the_dsl_decides_to_block_it_and_it_and_the_reporter_are_told(cast, login):
    report = cast.a.site_report
    response = login(cast.a.users["dsl"]).post(
        decide(report), {"decision": "block", "note": "Gambling: Alice is in Year 7"}, follow=True
    )
    report.refresh_from_db()
    assert report.status == Status.TO_BLOCK
    assert report.decided_by == cast.a.users["dsl"] and report.decision_note == "Gambling: Alice is in Year 7"
    assert report.history.first().history_change_reason == "Decided: block it"
    assert "SR-00001: to be blocked by IT." in response.content.decode()
    assert Notification.objects.filter(
        recipient=cast.a.users["it"], title="Site report SR-00001: a site is to be blocked"
    ).exists()
    told = Notification.objects.get(recipient=cast.a.users["teacher"])
    assert told.title == "Your site report SR-00001 has been decided: to be blocked by IT"
    assert "Alice" not in told.title + told.body
    # The reporter's page says what was decided, not the note.
    page = login(cast.a.users["teacher"]).get(detail(report)).content.decode()
    assert "To be blocked by IT: decided by Dsl A" in page
    assert "Alice is in Year 7" not in page


def test_no_action_needs_a_note(cast, login):
    client = login(cast.a.users["lead"])
    response = client.post(decide(cast.a.site_report), {"decision": "no_action", "note": ""})
    assert response.status_code == 400
    assert "Say why no action is needed." in response.content.decode()
    cast.a.site_report.refresh_from_db()
    assert cast.a.site_report.status == Status.NEW
    client.post(decide(cast.a.site_report), {"decision": "no_action", "note": "An educational site"})
    cast.a.site_report.refresh_from_db()
    assert cast.a.site_report.status == Status.NO_ACTION and cast.a.site_report.decided_by == cast.a.users["lead"]


def test_a_decision_needs_a_choice_and_escalating_is_its_own_button(cast, login):
    client = login(cast.a.users["head"])
    for decision in ("", "escalate", "blocked"):
        response = client.post(decide(cast.a.site_report), {"decision": decision, "note": "x"})
        assert response.status_code == 400
    cast.a.site_report.refresh_from_db()
    assert cast.a.site_report.status == Status.NEW


@pytest.mark.parametrize("role", ["teacher", "it", "office", "governor"])
def test_only_the_dsl_lead_and_head_decide(cast, login, role):
    response = login(cast.a.users[role]).post(decide(cast.a.site_report), {"decision": "block"})
    assert response.status_code == 403
    assert login(cast.a.users[role]).post(escalate(cast.a.site_report)).status_code == 403
    cast.a.site_report.refresh_from_db()
    assert cast.a.site_report.status == Status.NEW


def test_the_second_of_two_deciders_sees_what_the_first_decided(cast, login):
    """Two pages open at once: the second press, on a form now out of date, changes nothing and says who was first."""
    report = cast.a.site_report
    with time_machine.travel(datetime(2026, 3, 10, 9, 41, tzinfo=timezone.get_current_timezone()), tick=False):
        login(cast.a.users["dsl"]).post(decide(report), {"decision": "block", "note": ""})
        response = login(cast.a.users["lead"]).post(decide(report), {"decision": "no_action", "note": "Harmless"}, follow=True)
        assert "Already decided by Dsl A at 09:41: To be blocked by IT." in response.content.decode()
        escalated = login(cast.a.users["head"]).post(escalate(report), follow=True)
        assert "Already decided by Dsl A at 09:41: To be blocked by IT." in escalated.content.decode()
    report.refresh_from_db()
    assert report.status == Status.TO_BLOCK and report.decided_by == cast.a.users["dsl"] and report.incident is None
    assert report.history.count() == 2  # reported, decided: nothing from the second
    with time_machine.travel(datetime(2026, 3, 11, 8, 0, tzinfo=timezone.get_current_timezone()), tick=False):
        with pytest.raises(AlreadyDone, match=r"Already decided by Dsl A at 09:41 on 10 Mar 2026: To be blocked by IT\."):
            services.site_report_decide(report=report, actor=cast.a.users["head"], decision="block")


def test_two_deciding_at_the_same_moment_one_wins_and_the_other_is_told(transactional_db, cast):
    report = cast.a.site_report
    deciders = [(cast.a.users["dsl"], "block", ""), (cast.a.users["lead"], "no_action", "Harmless")]
    outcomes = []
    if connection.vendor == "postgresql":
        # Two connections at once: the row lock makes the second wait for the first, then read its decision.
        start = threading.Barrier(2)

        def run(user, decision, note):
            try:
                with scope(school=cast.a.school):
                    start.wait()
                    services.site_report_decide(report=report, actor=user, decision=decision, note=note)
                outcomes.append(("decided", user))
            except AlreadyDone as error:
                outcomes.append(("told", error.messages[0]))
            finally:
                connection.close()

        threads = [threading.Thread(target=run, args=args) for args in deciders]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=30)
    else:
        # SQLite takes one writer at a time: the second comes after, with the report as it read it before.
        stale = SiteReport.objects.get(pk=report.pk)
        for user, decision, note in deciders:
            try:
                services.site_report_decide(report=stale, actor=user, decision=decision, note=note)
                outcomes.append(("decided", user))
            except AlreadyDone as error:
                outcomes.append(("told", error.messages[0]))
    assert sorted(kind for kind, _ in outcomes) == ["decided", "told"]
    winner = next(who for kind, who in outcomes if kind == "decided")
    told = next(words for kind, words in outcomes if kind == "told")
    report.refresh_from_db()
    assert report.decided_by == winner
    assert told.startswith(f"Already decided by {winner} at ")
    assert told.endswith(f": {report.get_status_display()}.")
    assert report.history.count() == 2


# --- Escalating -----------------------------------------------------------------------------


def test_one_click_escalates_to_an_incident_with_the_details_and_the_pupils(cast, login):
    report = cast.a.site_report
    IncidentDraft.objects.create(user=cast.a.users["dsl"], school=cast.a.school, data={"description": ["Half-typed"]})
    response = login(cast.a.users["dsl"]).post(escalate(report), {"note": "Third gambling site this term"})
    report.refresh_from_db()
    incident = report.incident
    assert response.status_code == 302 and response["Location"] == reverse("incidents:incident_detail", args=[incident.pk])
    assert report.status == Status.ESCALATED and report.decided_by == cast.a.users["dsl"]
    assert report.history.first().history_change_reason == "Escalated to an incident"
    assert incident.category.name == "Inappropriate or harmful content accessed"
    assert incident.severity == Incident.Severity.MEDIUM and incident.audience == Incident.Audience.GENERAL
    assert incident.occurred_at == report.seen_at
    assert incident.location == Incident.Location.IN_SCHOOL and incident.location_detail == "ICT suite, PC 4"
    assert incident.reported_by == cast.a.users["dsl"]
    for text in (
        "Escalated from site report SR-00001, reported by Teacher A",
        "What was seen: A gambling site offering free spins",
        "Address of the site (do not visit it): https://casino-a.example.com/free-spins",
        "Where: ICT suite, PC 4",
        "Found by: Tutor TeacherA",
        "Note from Dsl A: Third gambling site this term",
    ):
        assert text in incident.description
    assert [(p.pupil, p.part) for p in incident.people.all()] == [(cast.a.pupil, IncidentPerson.Part.AFFECTED)]
    # The escalator's own half-typed incident is kept.
    assert IncidentDraft.objects.get(user=cast.a.users["dsl"]).data == {"description": ["Half-typed"]}
    # The report links to the incident for those who may see it; the teacher who reported it may not.
    dsl_page = login(cast.a.users["dsl"]).get(detail(report)).content.decode()
    assert f'href="{reverse("incidents:incident_detail", args=[incident.pk])}"' in dsl_page
    teacher_page = login(cast.a.users["teacher"]).get(detail(report)).content.decode()
    assert "Escalated to an incident, which only those who handle it can open." in teacher_page
    assert incident.reference not in teacher_page
    assert Notification.objects.filter(
        recipient=cast.a.users["teacher"], title="Your site report SR-00001 has been escalated to an incident"
    ).exists()


def test_suspected_illegal_material_escalates_as_illegal_and_an_immediate_risk(cast, login):
    report = report_by(cast, cast.a.users["office"], illegal=True)
    SiteReport.objects.filter(pk=report.pk).update(reported_to_iwf_police="IWF, report 555")
    response = login(cast.a.users["lead"]).post(escalate(report))
    report.refresh_from_db()
    incident = report.incident
    assert incident.category.illegal_material
    assert incident.severity == Incident.Severity.IMMEDIATE and incident.is_restricted
    assert incident.immediate_action == "Reported to the IWF or police: IWF, report 555"
    # The lead may not open a restricted incident: they get its receipt, and the report does not link it.
    assert response["Location"] == reverse("incidents:incident_logged", args=[incident.pk])
    client = login(cast.a.users["lead"])
    assert f"{incident.reference} has been logged" in client.get(response["Location"]).content.decode()
    page = client.get(detail(report)).content.decode()
    assert "Escalated to an incident, which only those who handle it can open." in page
    assert incident.reference not in page
    # Nobody named: the reporter's staff record, or else someone not known.
    assert [(p.outsider, p.part) for p in incident.people.all()] == [("Not known", IncidentPerson.Part.AFFECTED)]


def test_with_no_pupils_named_the_reporter_is_in_the_incident(cast, login):
    report = report_by(cast, cast.a.users["teacher"])
    login(cast.a.users["head"]).post(escalate(report))
    report.refresh_from_db()
    assert [(p.staff, p.part) for p in report.incident.people.all()] == [(cast.a.staff_member, IncidentPerson.Part.REPORTER)]


def test_escalating_needs_the_right_to_log_incidents(cast, login, monkeypatch):
    # Every real role that handles reports may log incidents: a role mix where one may not, to show the check.
    from esafety import access

    roles_capabilities = access.capabilities_for

    def handler_without_logging(roles):
        capabilities = set(roles_capabilities(roles))
        if Role.GOVERNOR in roles:
            capabilities = (capabilities | {"handle_site_reports", "report_unsuitable_site"}) - {"log_incident"}
        return frozenset(capabilities)

    monkeypatch.setattr(access, "capabilities_for", handler_without_logging)
    client = login(cast.a.users["governor"])
    page = client.get(detail(cast.a.site_report)).content.decode()
    assert "Save the decision" in page and "Escalate to an incident" not in page
    assert client.post(escalate(cast.a.site_report)).status_code == 403
    cast.a.site_report.refresh_from_db()
    assert cast.a.site_report.status == Status.NEW and cast.a.site_report.incident is None


# --- Blocking -------------------------------------------------------------------------------


def test_it_records_the_block_and_logs_it_in_the_change_log(cast, login):
    report = report_by(cast, cast.a.users["teacher"], status=Status.TO_BLOCK, host="vapes.example.org")
    response = login(cast.a.users["it"]).post(
        blocked(report),
        {
            "log_change": "on",
            "reason": "Reported as unsuitable and decided: block it.",
            "risk_assessment": "One shop's site: nothing a lesson needs.",
            "agreement": "before",
        },
        follow=True,
    )
    report.refresh_from_db()
    assert report.status == Status.BLOCKED and report.blocked_by == cast.a.users["it"] and report.blocked_at
    assert report.history.first().history_change_reason == "Blocked on the filter"
    change = FilterChange.objects.get(site_report=report)
    assert change.kind == FilterChange.Kind.SITE_BLOCKED and change.applies_to == "vapes.example.org"
    assert change.made_by == cast.a.users["it"] and change.agreed_at is None
    assert change.description == f"Blocked the site reported in {report.reference}."
    page = response.content.decode()
    assert "is recorded as blocked, and the block is in the change log." in page
    assert reverse("filtering:change_detail", args=[change.pk]) in page
    assert Notification.objects.filter(
        recipient=cast.a.users["head"], link=reverse("filtering:change_detail", args=[change.pk])
    ).exists()
    assert Notification.objects.filter(
        recipient=cast.a.users["teacher"], title=f"The site of your report {report.reference} has been blocked"
    ).exists()


def test_it_may_record_the_block_without_a_change_log_entry(cast, login):
    report = report_by(cast, cast.a.users["teacher"], status=Status.TO_BLOCK)
    login(cast.a.users["it"]).post(blocked(report), {})
    report.refresh_from_db()
    assert report.status == Status.BLOCKED
    assert not FilterChange.objects.filter(site_report=report).exists()


def test_a_block_logged_as_an_emergency_needs_its_reason(cast, login):
    report = report_by(cast, cast.a.users["teacher"], status=Status.TO_BLOCK)
    response = login(cast.a.users["it"]).post(
        blocked(report), {"log_change": "on", "reason": "Unsuitable", "risk_assessment": "", "agreement": "emergency"}
    )
    page = response.content.decode()
    assert response.status_code == 400
    assert "Write the risk assessment of the change." in page
    assert "Say why the change could not wait for the head teacher&#x27;s agreement." in page
    report.refresh_from_db()
    assert report.status == Status.TO_BLOCK


def test_only_a_report_to_be_blocked_is_recorded_as_blocked_and_only_once(cast, login):
    client = login(cast.a.users["it"])
    response = client.post(blocked(cast.a.site_report), {}, follow=True)
    assert (
        "Only a report decided “block it” is recorded as blocked; this one is: waiting for a decision."
        in response.content.decode()
    )
    cast.a.site_report.refresh_from_db()
    assert cast.a.site_report.status == Status.NEW
    report = report_by(cast, cast.a.users["teacher"], status=Status.TO_BLOCK)
    with time_machine.travel(datetime(2026, 3, 10, 14, 5, tzinfo=timezone.get_current_timezone()), tick=False):
        client.post(blocked(report), {})
        again = client.post(blocked(report), {}, follow=True)
    assert "Already recorded as blocked by It A at 14:05." in again.content.decode()
    assert report.history.count() == 2
    assert login(cast.a.users["dsl"]).post(blocked(report), {}).status_code == 403


# --- The history and the query counts ---------------------------------------------------------------


def test_the_report_page_shows_its_history(cast, login):
    report = cast.a.site_report
    services.site_report_decide(report=report, actor=cast.a.users["lead"], decision="block", note="Gambling")
    page = login(cast.a.users["it"]).get(detail(report)).content.decode()
    assert "History" in page
    assert "Status: Waiting for a decision → To be blocked by IT" in page
    assert "(Decided: block it)" in page
    assert "Decision note: – → Gambling" in page
    # The reporter's history panel leaves the note out.
    assert "Gambling" not in login(cast.a.users["teacher"]).get(detail(report)).content.decode()


def _queries(client, url) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


@pytest.mark.parametrize("role", ["dsl", "teacher", "it"])
def test_the_list_runs_the_same_queries_however_many_reports(cast, login, role, django_assert_num_queries):
    client = login(cast.a.users[role])
    _queries(client, LIST)  # content types and the like, read once
    few = _queries(client, LIST)
    for i in range(15):
        report_by(cast, cast.a.users["teacher"], pupils=[cast.a.pupil], host=f"site{i}.example.org", illegal=i % 2 == 0)
    with django_assert_num_queries(few):
        assert client.get(LIST).status_code == 200


@pytest.mark.parametrize("role", ["dsl", "teacher", "it"])
def test_the_report_page_runs_the_same_queries_however_long_its_story(cast, login, role, django_assert_num_queries):
    report = report_by(cast, cast.a.users["teacher"], illegal=True, pupils=[cast.a.pupil])
    dsl, it = cast.a.users["dsl"], cast.a.users["it"]
    services.site_report_record_referral(report=report, actor=dsl, reported_to="IWF, report 1")
    services.site_report_decide(report=report, actor=dsl, decision="block")
    agreed = {"reason": "Blocked", "risk_assessment": "None", "agreement": "before", "emergency_reason": ""}
    services.site_report_blocked(report=report, actor=it, change=agreed)
    client = login(cast.a.users[role])
    _queries(client, detail(report))
    few = _queries(client, detail(report))
    for i in range(6):
        report.pupils.add(f.make_pupil(cast.a.school, f"More{i}", "Pupil", form=cast.a.form, mis_id=f"more{i}"))
        services.site_report_record_referral(report=report, actor=dsl, reported_to=f"IWF, report {i + 2}")
    with django_assert_num_queries(few):
        page = client.get(detail(report)).content.decode()
    assert "More5 Pupil" in page
