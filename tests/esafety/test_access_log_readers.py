"""
What each reader of the access log sees: nothing about a record outside their reach.

The log is read by the DSL, the head and the trust (and shown, five entries at a time, on their home
page). An entry about an incident shows only to those who may see that incident now; an export of many
shows only to those who may see everything in it; the words searched for are never written down.
"""

from django.urls import reverse

from esafety.models import AccessLogEntry
from incidents.models import IncidentCategory
from incidents.services import incident_triage


def log_page(login, user) -> str:
    return login(user).get(reverse("access_log")).content.decode()


def home_page(login, user) -> str:
    return login(user).get(reverse("home")).content.decode()


def open_incident(login, user, incident):
    response = login(user).get(reverse("incidents:incident_detail", args=[incident.pk]))
    assert response.status_code == 200


def test_views_of_an_allegation_about_the_head_show_to_no_reader_of_the_log_but_those_who_may_see_it(cast, login):
    open_incident(login, cast.a.users["chair"], cast.a.head_incident)
    entry = AccessLogEntry.objects.get(object_id=str(cast.a.head_incident.pk))
    assert cast.a.head_incident.reference in entry.summary
    # The head, the DSL and the trust read the log: none of them may see the allegation, so none sees the entry.
    for role in ("head", "dsl", "trust"):
        for page in (log_page(login, cast.a.users[role]), home_page(login, cast.a.users[role])):
            assert cast.a.head_incident.reference not in page, role
            assert "Chair A" not in page, role


def test_an_accused_dsl_does_not_see_that_the_head_read_an_allegation_about_staff(cast, login):
    open_incident(login, cast.a.users["head"], cast.a.staff_incident)
    assert cast.a.staff_incident.reference in log_page(login, cast.a.users["head"])
    assert cast.a.staff_incident.reference not in log_page(login, cast.a.users["dsl"])


def test_the_trust_sees_exports_of_pupils_but_nothing_of_incidents(cast, login):
    open_incident(login, cast.a.users["dsl"], cast.a.restricted)
    login(cast.a.users["dsl"]).get(reverse("pupil_chronology", args=[cast.a.pupil.pk]))
    login(cast.a.users["office"]).get(reverse("pupil_export"))
    trust = log_page(login, cast.a.users["trust"])
    assert "pupils as CSV" in trust and "Office A" in trust
    assert cast.a.restricted.reference not in trust and "Alice" not in trust and "Sharing" not in trust
    # The head, who may see the child-protection incident, sees both views of it.
    head = log_page(login, cast.a.users["head"])
    assert head.count(cast.a.restricted.reference) == 2


def test_an_entry_follows_its_incident_when_a_re_triage_restricts_it_further(cast, login):
    open_incident(login, cast.a.users["dsl"], cast.a.restricted)
    assert cast.a.restricted.reference in log_page(login, cast.a.users["dsl"])
    staff_conduct = IncidentCategory.objects.get(school=cast.a.school, name__startswith="Staff")
    incident_triage(
        incident=cast.a.restricted, actor=cast.a.users["head"], severity="high", category=staff_conduct, matrix_row=None
    )
    assert cast.a.restricted.reference not in log_page(login, cast.a.users["dsl"])
    assert cast.a.restricted.reference in log_page(login, cast.a.users["head"])


def test_an_export_that_held_allegations_about_staff_is_for_those_who_may_see_them(cast, login):
    login(cast.a.users["head"]).get(reverse("incidents:incident_export"))  # every incident the head may see
    login(cast.a.users["dsl"]).get(reverse("incidents:incident_export"), {"q": "Aardvark", "severity": "medium"})
    head_entry, dsl_entry = AccessLogEntry.objects.filter(object_id="").order_by("at", "pk")
    assert ",handle_staff_incidents," in head_entry.reader_needs
    # The words searched for are not kept: they may be the name of the accused.
    assert "Aardvark" not in dsl_entry.summary and "q: search words" in dsl_entry.summary
    assert "severity=medium" in dsl_entry.summary
    dsl_log = log_page(login, cast.a.users["dsl"])
    assert dsl_entry.summary in dsl_log and head_entry.summary not in dsl_log
    # The head's copy of the child-protection case shows to the DSL, who may see that case; of the staff one, not.
    assert cast.a.restricted.reference in dsl_log and cast.a.staff_incident.reference not in dsl_log
    head_log = log_page(login, cast.a.users["head"])
    assert dsl_entry.summary in head_log and head_entry.summary in head_log


def test_an_export_filtered_on_the_additional_needs_flag_is_for_those_who_may_see_the_flag(cast, login):
    login(cast.a.users["dsl"]).get(reverse("pupil_export"), {"additional_needs": "on"})
    assert "additional_needs=on" in log_page(login, cast.a.users["head"])
    assert "pupils as CSV" not in log_page(login, cast.a.users["trust"])
