"""The case page and the log form run a fixed number of queries, however long the case and however big the school."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from incidents import services
from incidents.models import IncidentPerson
from tests import factories as f

pytestmark = pytest.mark.django_db


def count(client, url):
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


def grow(cast, n):
    incident, dsl = cast.a.restricted, cast.a.users["dsl"]
    for i in range(n):
        pupil = f.make_pupil(cast.a.school, f"Grown{i}", "Pupil", form=cast.a.form, mis_id=f"grow{i}")
        IncidentPerson.objects.create(incident=incident, pupil=pupil, part=IncidentPerson.Part.ALLEGED)
        services.incident_add_note(incident=incident, actor=dsl, text=f"Note {i}")
        services.incident_actions_add(
            incident=incident,
            actor=dsl,
            chosen=[services.ChosenAction(f"Task {i}", dsl, timezone.localdate() + timedelta(days=i))],
        )
        step = incident.checklist.filter(done_at=None).first()
        if step:
            services.checklist_step_complete(step=step, actor=dsl, note=f"Step note {i}")
        services.evidence_register(
            incident=incident, actor=dsl, description=f"Item {i}", location="Safe", held_by="DSL", secured_at=timezone.now()
        )


@pytest.mark.parametrize(
    ("role", "name", "budget"),
    [
        # 7 for the page shell, then: the incident with its people; checklist, actions, evidence, events;
        # history; the matrix proposals (settings, earlier incidents counted once for the page, repeat row,
        # actions, owners);
        # the handlers and owners lists; the access-log write and the "who has looked" list; the devices
        # confiscated in the incident.
        ("dsl", "incident_detail", 7 + 22),
        ("teacher", "incident_log", 7 + 4),  # settings, draft, categories (for the list, and for the image warning)
    ],
)
def test_the_page_runs_a_fixed_number_of_queries(cast, login, role, name, budget):
    client = login(cast.a.users[role])
    # Someone alleged from the start, so that the repeat check runs in both counts.
    IncidentPerson.objects.create(incident=cast.a.restricted, pupil=cast.a.leaver, part=IncidentPerson.Part.ALLEGED)
    url = reverse(f"incidents:{name}", args=[cast.a.restricted.pk] if name == "incident_detail" else [])
    count(client, url)  # warm caches (content types)
    small = count(client, url)
    grow(cast, 12)
    assert count(client, url) == small
    assert small <= budget, small
