"""
Restricted incidents do not exist for those outside their audience: a 404 by
real id and by guessed id, nothing in the chronology, no notification. The
dashboard, list, search, counts, CSV and PDF are checked in their own tests.
"""

import uuid

import pytest
from django.urls import reverse

from esafety.models import AccessLogEntry, Notification

pytestmark = pytest.mark.django_db

# Who sees each of the cast's incidents in full (school A); everyone else gets 404 (or 403 without any incident role).
AUDIENCE = {
    "incident": {"teacher", "dsl", "head", "it"},  # the reporter, the DSL team, the head, IT (owns a task)
    "restricted": {"dsl", "head"},
    "staff_incident": {"head"},
    "head_incident": {"chair"},
}
NO_INCIDENT_ROLE = {"governor", "trust"}


@pytest.mark.parametrize("which", sorted(AUDIENCE))
def test_an_incident_is_seen_by_its_audience_alone(cast, client, which):
    incident = getattr(cast.a, which)
    url = reverse("incidents:incident_detail", args=[incident.pk])
    for label, user in cast.everyone():
        role = label.split(".")[1]
        client.force_login(user)
        status = client.get(url).status_code
        if role in NO_INCIDENT_ROLE:
            expected = 403
        elif label.startswith("a.") and role in AUDIENCE[which]:
            expected = 200
        else:
            expected = 404
        assert status == expected, f"{label} got {status} for {which}"


def test_a_guessed_id_is_a_404_for_everyone(cast, client):
    url = reverse("incidents:incident_detail", args=[uuid.uuid4()])
    for label, user in cast.everyone():
        if label.split(".")[1] in NO_INCIDENT_ROLE:
            continue
        client.force_login(user)
        assert client.get(url).status_code == 404, label


def test_every_view_of_a_restricted_incident_is_in_the_access_log_and_shown_to_the_dsl(cast, login):
    head = cast.a.users["head"]
    login(head).get(reverse("incidents:incident_detail", args=[cast.a.restricted.pk]))
    entry = AccessLogEntry.objects.get(actor=head, object_id=str(cast.a.restricted.pk))
    assert entry.kind == AccessLogEntry.Kind.VIEW
    page = login(cast.a.users["dsl"]).get(reverse("incidents:incident_detail", args=[cast.a.restricted.pk])).content.decode()
    assert "Who has looked at it" in page and "Head A" in page
    # An ordinary incident is not logged.
    login(head).get(reverse("incidents:incident_detail", args=[cast.a.incident.pk]))
    assert not AccessLogEntry.objects.filter(object_id=str(cast.a.incident.pk)).exists()


def test_the_chronology_shows_only_the_incidents_the_viewer_may_see(cast, login):
    url = reverse("pupil_chronology", args=[cast.a.pupil.pk])
    teacher_page = login(cast.a.users["teacher"]).get(url).content.decode()
    assert cast.a.incident.reference in teacher_page
    assert cast.a.restricted.reference not in teacher_page
    office_page = login(cast.a.users["office"]).get(url).content.decode()
    assert cast.a.incident.reference not in office_page and cast.a.restricted.reference not in office_page
    dsl = cast.a.users["dsl"]
    dsl_page = login(dsl).get(url).content.decode()
    assert cast.a.incident.reference in dsl_page and cast.a.restricted.reference in dsl_page
    assert "Part: affected" in dsl_page and "Part: alleged to have caused it" in dsl_page
    # Seeing a restricted incident in the chronology is a view like any other.
    assert AccessLogEntry.objects.filter(actor=dsl, object_id=str(cast.a.restricted.pk)).count() == 1
    # The newest first, in date order.
    assert dsl_page.index(cast.a.restricted.reference) < dsl_page.index(cast.a.incident.reference)


def test_notifications_of_a_restricted_incident_go_to_its_audience_alone(cast):
    for which, audience in (("restricted", {"dsl", "head"}), ("staff_incident", {"head"}), ("head_incident", {"chair"})):
        incident = getattr(cast.a, which)
        told = {
            label
            for label, user in cast.everyone()
            if Notification.objects.filter(recipient=user, link__contains=str(incident.pk)).exists()
        }
        assert told == {f"a.{role}" for role in audience}, which


def test_my_reports_lists_receipts_without_the_case(cast, login):
    page = login(cast.a.users["lead"]).get(reverse("incidents:my_reports")).content.decode()
    # The lead logged the two staff allegations: receipts only, no link to the case.
    assert cast.a.staff_incident.reference in page
    assert f'href="{reverse("incidents:incident_detail", args=[cast.a.staff_incident.pk])}"' not in page
