"""The DSL handles an incident: assign, triage, actions from the matrix, checklist, evidence, close and reopen."""

import re
from datetime import timedelta

import pytest
import time_machine
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from esafety.models import Notification
from esafety.scoping import scope
from incidents import services
from incidents.models import Incident, IncidentAction, IncidentCategory, IncidentPerson, SanctionRow
from tests.incidents.incident_factory import actions_data

pytestmark = pytest.mark.django_db


def url(name, incident):
    return reverse(f"incidents:{name}", args=[incident.pk])


def reasons(obj):
    return [h.history_change_reason for h in obj.history.order_by("history_date")]


def test_the_dsl_assigns_an_incident_and_the_assignee_is_told(cast, login):
    incident, dsl, head = cast.a.incident, cast.a.users["dsl"], cast.a.users["head"]
    client = login(dsl)
    Incident.objects.filter(pk=incident.pk).update(status=Incident.Status.NEW)
    response = client.post(url("incident_assign", incident), {"assignee": dsl.pk})
    assert response.status_code == 302
    incident.refresh_from_db()
    assert incident.assigned_to == dsl and incident.status == Incident.Status.OPEN
    assert incident.history.first().history_user == dsl and "Assigned" in reasons(incident)
    assert incident.events.last().summary == f"Assigned to {dsl}"
    # Someone who may not see the incident cannot be given it.
    response = client.post(url("incident_assign", incident), {"assignee": cast.a.users["office"].pk})
    assert response.status_code == 400 and "Select a valid choice" in response.content.decode()
    client.post(url("incident_assign", cast.a.restricted), {"assignee": head.pk})
    assert Notification.objects.filter(recipient=head, title=f"{cast.a.restricted.reference} has been assigned to you").exists()


def test_a_new_child_protection_category_restricts_the_incident_and_adds_its_checklist(cast, login):
    incident = cast.a.incident
    grooming = IncidentCategory.objects.get(school=cast.a.school, name__startswith="Online sexual abuse")
    before = incident.checklist.count()
    response = login(cast.a.users["dsl"]).post(
        url("incident_triage", incident),
        {"severity": "high", "category": grooming.pk, "matrix_row": "", "reason": "Adult contact came to light"},
    )
    assert response.status_code == 302
    incident.refresh_from_db()
    assert incident.audience == Incident.Audience.SAFEGUARDING and incident.severity == "high"
    assert incident.checklist.count() == before + 8
    event = incident.events.filter(summary__startswith="Changed").last()
    assert "severity medium → high" in event.summary and event.note == "Adult contact came to light"
    # The teacher who logged it, and IT who had a task on it, no longer see it.
    assert login(cast.a.users["teacher"]).get(url("incident_detail", incident)).status_code == 404
    assert login(cast.a.users["it"]).get(url("incident_detail", incident)).status_code == 404


def test_closing_needs_an_outcome_and_keeps_what_was_typed(cast, login):
    incident = cast.a.incident
    client = login(cast.a.users["dsl"])
    response = client.post(url("incident_close", incident), {"outcome": "", "lessons_learnt": "Check group chats sooner"})
    assert response.status_code == 400
    page = response.content.decode()
    assert "This field is required" in page and "Check group chats sooner" in page
    incident.refresh_from_db()
    assert incident.status != Incident.Status.CLOSED
    client.post(url("incident_close", incident), {"outcome": "Apologies made; parents met", "lessons_learnt": "Talk earlier"})
    incident.refresh_from_db()
    assert incident.is_closed and incident.outcome == "Apologies made; parents met" and incident.closed_at
    # Reopening needs a reason.
    assert client.post(url("incident_reopen", incident), {"reason": ""}).status_code == 400
    client.post(url("incident_reopen", incident), {"reason": "It started again"})
    incident.refresh_from_db()
    assert incident.status == Incident.Status.OPEN and incident.closed_at is None
    assert reasons(incident)[-2:] == ["Closed", "Reopened"]
    assert [e.summary for e in incident.events.all()][-2:] == ["Closed", "Reopened"]


def test_the_matrix_proposes_actions_with_owners_and_each_becomes_a_task(cast, login):
    incident = cast.a.incident  # cyberbullying → "Offensive, harassing or bullying …"
    client = login(cast.a.users["dsl"])
    page = client.get(url("incident_detail", incident)).content.decode()
    for name in ("Refer to class teacher or tutor", "Inform parents/carers", "Further sanction"):
        assert name in page
    assert "Refer to police" not in page  # not ticked for this row
    row = incident.matrix_row
    tutor = row.actions.get(name="Refer to class teacher or tutor")
    parents = row.actions.get(name="Inform parents/carers")
    due = (timezone.localdate() + timedelta(days=2)).isoformat()
    # The tutor's task goes to the pupil's form tutor (the cast's teacher) unless changed.
    assert (
        f'<option value="{cast.a.users["teacher"].pk}" selected>' in page.split(f'id="owner-{tutor.pk}"')[1].split("</select>")[0]
    )
    response = client.post(
        url("incident_actions_add", incident),
        actions_data([(tutor, cast.a.users["teacher"], due), (parents, cast.a.users["dsl"], due)]),
    )
    assert response.status_code == 302
    task = IncidentAction.objects.get(incident=incident, sanction_action=tutor)
    assert task.owner == cast.a.users["teacher"] and task.due_on.isoformat() == due
    assert task.history.first().history_change_reason == "Action chosen"
    assert Notification.objects.filter(recipient=cast.a.users["teacher"], title__contains="You have an action").exists()
    # Chosen actions are not proposed again.
    page = client.get(url("incident_detail", incident)).content.decode()
    assert f'id="propose-{tutor.pk}"' not in page


def test_an_action_without_a_due_date_is_refused_and_nothing_is_added(cast, login):
    incident = cast.a.incident
    action = incident.matrix_row.actions.first()
    response = login(cast.a.users["dsl"]).post(
        url("incident_actions_add", incident), actions_data([(action, cast.a.users["dsl"], "")])
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert f"“{action.name}”: choose an owner and a due date (dd/mm/yyyy)." in page
    # The row is shown again as it was sent: still ticked, with the owner chosen.
    assert re.search(rf'<input type="checkbox" name="actions-0-take" [^>]*id="propose-{action.pk}" checked>', page)
    owner_select = page.split(f'id="owner-{action.pk}"')[1].split("</select>")[0]
    assert f'<option value="{cast.a.users["dsl"].pk}" selected>' in owner_select
    assert not IncidentAction.objects.filter(incident=incident, sanction_action=action).exists()


def test_an_action_titled_with_a_nul_character_is_refused_and_nothing_is_added(cast, login):
    incident = cast.a.incident
    before = incident.actions.count()
    due = (timezone.localdate() + timedelta(days=2)).isoformat()
    response = login(cast.a.users["dsl"]).post(
        url("incident_actions_add", incident), actions_data(other=("Call\x00 home", cast.a.users["dsl"], due))
    )
    assert response.status_code == 400  # PostgreSQL refused it, and gave a 500
    assert "Null characters are not allowed." in response.content.decode()
    assert incident.actions.count() == before


def test_an_action_chosen_meanwhile_or_no_action_at_all_is_refused_and_nothing_is_added(cast, login):
    incident = cast.a.incident
    tutor = incident.matrix_row.actions.get(name="Refer to class teacher or tutor")
    client = login(cast.a.users["dsl"])
    due = (timezone.localdate() + timedelta(days=2)).isoformat()
    client.post(url("incident_actions_add", incident), actions_data([(tutor, cast.a.users["teacher"], due)]))
    before = incident.actions.count()
    # The same row again, from a page opened before it was chosen.
    response = client.post(url("incident_actions_add", incident), actions_data([(tutor, cast.a.users["teacher"], due)]))
    assert response.status_code == 400
    assert "This action is no longer proposed (it may have been added meanwhile): untick it." in response.content.decode()
    response = client.post(url("incident_actions_add", incident), actions_data())
    assert response.status_code == 400
    assert "Tick at least one action, or describe another one." in response.content.decode()
    assert incident.actions.count() == before


def test_continued_infringements_is_proposed_for_a_repeat_within_the_window(cast, login):
    first = cast.a.incident  # Alice alleged, yesterday
    category = IncidentCategory.objects.get(school=cast.a.school, name__startswith="Use of a phone")
    repeat = services.incident_log(
        school=cast.a.school,
        actor=cast.a.users["teacher"],
        occurred_at=first.occurred_at + timedelta(days=1),
        location=Incident.Location.IN_SCHOOL,
        category=category,
        description="Phone out in the lesson again.",
        people=[services.Involved(IncidentPerson.Part.ALLEGED, pupil=cast.a.pupil)],
    )
    client = login(cast.a.users["dsl"])
    page = client.get(url("incident_detail", repeat)).content.decode()
    assert "Alice Aardvark has 1 earlier incident" in page
    assert "from “Continued infringements after warnings or sanctions”" in page
    assert "Refer to head teacher" in page  # ticked for continued infringements, not for a first phone use
    # With a shorter look-back, the earlier incident no longer counts.
    client.post(reverse("incidents:setup"), {"repeat_window_days": 0, "repeat_threshold": 3})
    page = client.get(url("incident_detail", repeat)).content.decode()
    assert "has 1 earlier incident" not in page and "from “Continued infringements" not in page


def test_the_checklist_is_worked_through_with_who_when_and_a_note(cast, login):
    step = cast.a.restricted.checklist.get(order=4)  # the referral step
    client = login(cast.a.users["dsl"])
    response = client.post(reverse("incidents:checklist_done", args=[step.pk]), {"note": "MASH ref 12345"})
    assert response.status_code == 302
    step.refresh_from_db()
    assert step.done_by == cast.a.users["dsl"] and step.note == "MASH ref 12345" and step.done_at
    page = client.get(url("incident_detail", cast.a.restricted)).content.decode()
    assert "MASH ref 12345" in page
    assert step.history.first().history_user == cast.a.users["dsl"]


def test_the_checklist_is_copied_from_the_category_and_later_edits_do_not_change_it(cast, login):
    category = cast.a.incident.category
    steps = list(cast.a.incident.checklist.values_list("text", flat=True))
    assert steps == list(category.checklist.values_list("text", flat=True))
    login(cast.a.users["lead"]).post(
        reverse("incidents:category_edit", args=[category.pk]),
        {"name": category.name, "order": 0, "is_active": "on", "pupil_row": category.pupil_row_id, "checklist": "Only one step"},
    )
    assert list(category.checklist.values_list("text", flat=True)) == ["Only one step"]
    assert list(cast.a.incident.checklist.values_list("text", flat=True)) == steps


def test_a_checklist_step_too_long_is_refused_with_its_number_and_nothing_changes(cast, login):
    category = cast.a.incident.category
    steps = list(category.checklist.values_list("text", flat=True))
    response = login(cast.a.users["lead"]).post(
        reverse("incidents:category_edit", args=[category.pk]),
        {"name": category.name, "order": 0, "is_active": "on", "checklist": "Tell the DSL\n" + "x" * 301},
    )
    assert response.status_code == 400  # it was a 500: the step failed the model's check inside the service
    assert "Step 2 has 301 characters; a step can have at most 300." in response.content.decode()
    assert list(category.checklist.values_list("text", flat=True)) == steps


def test_the_task_owner_ticks_off_their_action(cast, login):
    action = cast.a.action  # IT's task
    client = login(cast.a.users["it"])
    assert cast.a.incident.reference in client.get(reverse("incidents:my_reports")).content.decode()
    client.post(reverse("incidents:action_done", args=[action.pk]), {"note": "Spoke to both pupils"})
    action.refresh_from_db()
    assert action.done_by == cast.a.users["it"] and action.note == "Spoke to both pupils"
    assert "Done: Talk to the pupils involved" in [e.summary for e in cast.a.incident.events.all()]


def test_evidence_is_registered_never_uploaded(cast, login):
    client = login(cast.a.users["dsl"])
    page = client.get(url("incident_detail", cast.a.restricted)).content.decode()
    assert 'type="file"' not in page
    response = client.post(
        url("evidence_add", cast.a.restricted),
        {
            "description": "Pupil's phone, switched off",
            "location": "Safe in the head's office",
            "held_by": "Dsl A",
            "secured_at": "",
        },
    )
    assert response.status_code == 400 and "Pupil&#x27;s phone, switched off" in response.content.decode()
    tomorrow = client.post(
        url("evidence_add", cast.a.restricted),
        {
            "description": "Pupil's phone, switched off",
            "location": "Safe in the head's office",
            "held_by": "Dsl A",
            "secured_at": (timezone.localtime() + timezone.timedelta(days=1)).strftime("%Y-%m-%dT%H:%M"),
        },
    )
    assert tomorrow.status_code == 400
    assert "This is in the future. Give the date and time it was secured." in tomorrow.content.decode()
    assert not cast.a.restricted.evidence.exists()
    client.post(
        url("evidence_add", cast.a.restricted),
        {
            "description": "Pupil's phone, switched off",
            "location": "Safe in the head's office",
            "held_by": "Dsl A",
            "secured_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
        },
    )
    item = cast.a.restricted.evidence.get()
    assert item.held_by == "Dsl A" and item.history.count() == 1


def test_a_school_edits_its_matrix_on_one_screen_with_history(cast, login):
    client = login(cast.a.users["head"])
    matrix_url = reverse("incidents:matrix_edit", args=["pupils"])
    with scope(school=cast.b.school):
        ticks_at_b = sorted(
            SanctionRow.actions.through.objects.filter(sanctionrow__school=cast.b.school).values_list("pk", flat=True)
        )
    page = client.get(matrix_url).content.decode()
    rows = SanctionRow.objects.filter(school=cast.a.school, matrix="pupils")
    ticked_before = sum(r.actions.count() for r in rows)
    assert page.count('name="tick"') == rows.count() * 9 and page.count(" checked>") == ticked_before
    phone = rows.get(name__startswith="Unauthorised use of a mobile phone")
    police = phone.school.sanction_actions.get(matrix="pupils", name="Refer to police")
    ticks = [f"{r.pk}-{a.pk}" for r in rows for a in r.actions.all()] + [f"{phone.pk}-{police.pk}"]
    response = client.post(matrix_url, {"tick": ticks})
    assert response.status_code == 302
    assert police in phone.actions.all()
    assert SanctionRow.objects.get(pk=phone.pk).actions.count() == 3
    record = phone.history.order_by("-history_date").first()
    assert record.history_user == cast.a.users["head"] and record.history_change_reason == "Matrix edited"
    # Another school's grid is untouched.
    with scope(school=cast.b.school):
        assert (
            sorted(SanctionRow.actions.through.objects.filter(sanctionrow__school=cast.b.school).values_list("pk", flat=True))
            == ticks_at_b
        )


def test_a_box_that_no_longer_matches_the_matrix_saves_nothing_and_keeps_the_ticks(cast, login):
    client = login(cast.a.users["head"])
    matrix_url = reverse("incidents:matrix_edit", args=["pupils"])
    row = SanctionRow.objects.filter(school=cast.a.school, matrix="pupils").first()
    action = cast.a.school.sanction_actions.filter(matrix="pupils").exclude(pk__in=row.actions.all()).first()
    before = row.history.count()

    response = client.post(matrix_url, {"tick": [f"{row.pk}-{action.pk}", "999999-1"]})

    assert response.status_code == 400
    page = response.content.decode()
    assert "A box on this page no longer matches the matrix: reload the page and tick again." in page
    assert f'id="tick-{row.pk}-{action.pk}" checked>' in page  # as ticked, though not saved
    assert action not in row.actions.all() and row.history.count() == before


def test_when_a_re_triage_restricts_an_incident_its_outsiders_lose_their_tasks_and_notifications(
    cast, login, django_capture_on_commit_callbacks
):
    incident, it, dsl = cast.a.incident, cast.a.users["it"], cast.a.users["dsl"]
    link = url("incident_detail", incident)
    assert Notification.objects.filter(recipient=it, link=link).exists()  # "You have an action on INC-…"
    grooming = IncidentCategory.objects.get(school=cast.a.school, name__startswith="Online sexual abuse")
    login(dsl).post(
        url("incident_triage", incident), {"severity": "high", "category": grooming.pk, "matrix_row": "", "reason": "Disclosure"}
    )
    action = IncidentAction.objects.get(pk=cast.a.action.pk)
    assert action.owner == dsl
    assert action.history.first().history_change_reason == "Its owner may no longer see the incident"
    assert not Notification.objects.filter(recipient=it, link=link).exists()
    # Nothing on IT's home page or under their bell names it (in IT's own browser); the days after, no reminder either.
    it_browser = Client()
    it_browser.force_login(it)
    home = it_browser.get(reverse("home")).content.decode()
    assert incident.reference not in home and "Alice" not in home
    assert incident.reference not in it_browser.get(reverse("notification_list")).content.decode()
    with time_machine.travel(timezone.now() + timedelta(days=10)):
        from incidents.reminders import overdue_actions_remind

        overdue_actions_remind(cast.a.school.pk)
    assert not Notification.objects.filter(recipient=it, title__contains=incident.reference).exists()
    assert Notification.objects.filter(recipient=dsl, title__startswith="Overdue", title__contains=incident.reference).exists()


def test_earlier_incidents_count_only_those_the_reader_may_see(cast, login):
    """Alice is alleged in an allegation about the head (the chair's) and in an ordinary incident: the DSL may
    see neither restricted one, so a new incident about Alice shows no repeat to the DSL from them."""
    from tests.incidents.incident_factory import log_incident

    school = cast.a
    staff_only = log_incident(school, kind="Staff", pupils=[(school.pupil, IncidentPerson.Part.ALLEGED)], reporter="lead")
    assert staff_only.audience == Incident.Audience.STAFF
    new = log_incident(school, kind="Cyberbullying", when=timezone.now() - timedelta(minutes=5))
    dsl_page = login(cast.a.users["dsl"]).get(url("incident_detail", new)).content.decode()
    head_page = login(cast.a.users["head"]).get(url("incident_detail", new)).content.decode()
    # The cast's ordinary cyberbullying incident about Alice counts for both; the staff allegation for the head alone.
    assert "has 1 earlier incident" in dsl_page and "has 2 earlier" not in dsl_page
    assert "has 2 earlier incidents" in head_page


def test_a_case_with_nothing_proposed_offers_to_add_the_action_typed_in(cast, login):
    from tests import factories as f
    from tests.incidents.incident_factory import log_incident

    # A category with no matrix row, about a pupil with no earlier incidents: nothing is proposed.
    newcomer = f.make_pupil(cast.a.school, "Nia", "New", form=cast.a.form, mis_id="a040")
    other = log_incident(cast.a, kind="Other", pupils=[(newcomer, IncidentPerson.Part.AFFECTED)])
    page = login(cast.a.users["dsl"]).get(url("incident_detail", other)).content.decode()
    assert "Add this action" in page and "Add the ticked actions" not in page
    assert "Add the ticked actions" in login(cast.a.users["dsl"]).get(url("incident_detail", cast.a.incident)).content.decode()
