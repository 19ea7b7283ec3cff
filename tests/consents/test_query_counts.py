"""
The consents pages run a fixed number of queries, however many pupils,
forms and answers the school has: measured on the cast, then again after
adding forms, pupils, parents and answers.
"""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from consents import services
from consents.models import ConsentAnswer, ConsentSlip, ConsentType, PhotoCheckLookup
from tests import factories as f
from tests.esafety.test_query_counts import count_queries

Kind = ConsentType.Kind


def grow(cast, n, start=0):
    school, office = cast.a.school, cast.a.users["office"]
    types = list(cast.a.round.consent_types.all())
    for i in range(start, start + n):
        form = f.make_form(school, f"G{i}", cast.a.year7)
        cast.a.round.forms.add(form)
        for j, target in enumerate((form, cast.a.form)):
            pupil = f.make_pupil(school, f"Grown{i}", f"Pupil{j}", form=target, mis_id=f"g{i}-{j}")
            parent = f.make_parent(pupil, "Grown", f"Parent{i}{j}", mis_id=f"GP{i}-{j}")
            services.round_slips_ensure(consent_round=cast.a.round, pupil_ids=[pupil.pk])
            if j:
                services.slip_record(
                    slip=ConsentSlip.objects.get(round=cast.a.round, pupil=pupil),
                    answers={t: bool(i % 2) for t in types[: 1 + i % len(types)]},
                    given_by=parent,
                    method="paper",
                    signed_on=timezone.localdate(),
                    actor=office,
                )


PAGES = [
    ("teacher", lambda c: reverse("consents:photo_check") + f"?form={c.a.form.pk}", 7 + 6),
    ("teacher", lambda c: reverse("consents:photo_check") + f"?year_group={c.a.year7.pk}", 7 + 6),
    ("office", lambda c: reverse("consents:round_chasing", args=[c.a.round.pk]), 7 + 9),
    ("office", lambda c: reverse("consents:round_detail", args=[c.a.round.pk]), 7 + 10),
    ("office", lambda c: reverse("consents:return_entry") + f"?code={c.a.slip.code}", 7 + 9),
    ("office", lambda c: reverse("consents:round_form_grid", args=[c.a.round.pk, c.a.form.pk]), 7 + 10),
]


@pytest.mark.parametrize("role,url,budget", PAGES, ids=["photo-form", "photo-year", "chasing", "round", "return", "grid"])
def test_the_consents_page_runs_a_fixed_number_of_queries(cast, client, role, url, budget):
    client.force_login(cast.a.users[role])
    grow(cast, 1)
    address = url(cast)
    count_queries(client, address)  # warm: the staff agreement check, content types
    # The photo check notes who was looked up once a day: each count starts with no one noted yet, so that
    # both note everyone they show (the most the page does).
    PhotoCheckLookup.objects.all().delete()
    small = count_queries(client, address)
    grow(cast, 12, start=1)
    PhotoCheckLookup.objects.all().delete()
    large = count_queries(client, address)
    assert small == large, f"{address} ran {small} queries with a small school and {large} with a larger one"
    assert large <= budget, f"{address} ran {large} queries, over its budget of {budget}"


def form_to_record(cast, name, size):
    """
    A form of `size` pupils of the round, each with a parent, an answer to photos in print given by phone, one to
    photos on the website from their slip (not yet marked returned), and none to internet access.
    """
    school, office, today = cast.a.school, cast.a.users["office"], timezone.localdate()
    form = f.make_form(school, name, cast.a.year7)
    cast.a.round.forms.add(form)
    for i in range(size):
        pupil = f.make_pupil(school, f"{name}{i}", "Pupil", form=form, mis_id=f"{name}-{i}")
        parent = f.make_parent(pupil, "Parent", f"{name}{i}", mis_id=f"P{name}-{i}")
        services.round_slips_ensure(consent_round=cast.a.round, pupil_ids=[pupil.pk])
        slip = ConsentSlip.objects.get(round=cast.a.round, pupil=pupil)
        for kind, from_slip in ((Kind.PHOTO_PRINT, None), (Kind.PHOTO_WEB, slip)):
            services.answer_record(
                pupil=pupil,
                consent_type=cast.a.consent_types[kind],
                agreed=True,
                given_by=parent,
                method="phone" if from_slip is None else "paper",
                signed_on=today,
                actor=office,
                slip=from_slip,
            )
    return form


def record_grid(client, cast, form) -> int:
    """Every pupil of the form: no to all three consents, signed by their parent. Returns the queries it ran."""
    kinds = (Kind.PHOTO_PRINT, Kind.PHOTO_WEB, Kind.INTERNET)
    data = {"method": "paper", "signed_on": timezone.localdate().strftime("%d/%m/%Y")}
    for pupil in form.pupils.all():
        data[f"p{pupil.pk}_by"] = str(pupil.contact_links.get().contact_id)
        data.update({f"p{pupil.pk}_t{cast.a.consent_types[kind].pk}": "no" for kind in kinds})
    with CaptureQueriesContext(connection) as queries:
        response = client.post(reverse("consents:round_form_grid", args=[cast.a.round.pk, form.pk]), data)
    assert response.status_code == 302, response.content.decode()[:2000]
    return len(queries)


def test_a_forms_grid_is_saved_in_a_fixed_number_of_queries(cast, client):
    client.force_login(cast.a.users["office"])
    warm, small, large = form_to_record(cast, "W", 1), form_to_record(cast, "S", 1), form_to_record(cast, "L", 12)
    record_grid(client, cast, warm)  # the staff agreement check, content types
    small_count = record_grid(client, cast, small)
    large_count = record_grid(client, cast, large)
    # Each pupil's answer by phone replaced, the slip's corrected, internet access added, the slip marked returned.
    assert ConsentAnswer.objects.current().filter(pupil__form=large, agreed=False).count() == 12 * 3
    assert ConsentSlip.objects.filter(pupil__form=large, returned_at__isnull=False).count() == 12
    assert small_count == large_count, f"the grid ran {small_count} queries for one pupil and {large_count} for twelve"
    # 33: signing in (3); the page's round, form, consents and their year groups, the round's forms and year
    # groups, the pupils with what they miss, their parents (8); the service's savepoint, the round locked, its
    # consents and their year groups, its forms and year groups, the form's pupils in it, their parents (8); the
    # slips made where missing (3: savepoint, which exist, release), the slips and answers locked (2); answers
    # replaced, corrected and added, slips returned, each with its history (8); the savepoint released (1).
    assert large_count <= 33, f"the grid ran {large_count} queries, over its budget of 33"


def slip_to_record(cast, name, kinds):
    """
    An open round asking `kinds` of a new form with one pupil, who has a parent and an answer to the first
    consent given by phone; returns the pupil's slip, not yet returned.
    """
    school, office = cast.a.school, cast.a.users["office"]
    form = f.make_form(school, name, cast.a.year7)
    pupil = f.make_pupil(school, name, "Pupil", form=form, mis_id=f"{name}-1")
    f.make_parent(pupil, "Parent", name, mis_id=f"P{name}-1")
    asked = [cast.a.consent_types[kind] for kind in kinds]
    services.answer_record(
        pupil=pupil,
        consent_type=asked[0],
        agreed=False,
        given_by=None,
        method="phone",
        signed_on=timezone.localdate(),
        actor=office,
    )
    consent_round = services.round_create(
        school=school,
        academic_year=cast.a.round.academic_year,
        title=f"Consents {name}",
        consent_types=asked,
        forms=[form],
        year_groups=[],
        actor=office,
    )
    services.round_open(consent_round=consent_round, actor=office)
    return ConsentSlip.objects.select_related("pupil").get(round=consent_round)


def record_slip(client, slip) -> int:
    """Yes to everything on the slip, signed by the pupil's parent. Returns the queries it ran."""
    data = {f"answer_{t.pk}": "yes" for t in slip.round.consent_types.all()}
    data.update(
        method="paper",
        signed_on=timezone.localdate().strftime("%d/%m/%Y"),
        given_by=str(slip.pupil.contact_links.get().contact_id),
    )
    with CaptureQueriesContext(connection) as queries:
        response = client.post(reverse("consents:slip_record", args=[slip.pk]), data)
    assert response.status_code == 302, response.content.decode()[:2000]
    return len(queries)


def test_a_returned_slip_is_recorded_in_a_fixed_number_of_queries(cast, client):
    client.force_login(cast.a.users["office"])
    six = (*Kind.image_uses(), Kind.INTERNET, Kind.WEBCAM)
    warm = slip_to_record(cast, "W", six[:2])
    two, many = slip_to_record(cast, "T", six[:2]), slip_to_record(cast, "S", six)
    record_slip(client, warm)  # the staff agreement check, content types
    two_count = record_slip(client, two)
    many_count = record_slip(client, many)
    # Every answer is in force, with its history; the answer by phone was replaced; the slip is returned.
    answers = ConsentAnswer.objects.current().filter(slip=many)
    assert sorted(a.consent_type.kind for a in answers if a.agreed) == sorted(six)
    for answer in answers:
        assert [(h.history_change_reason, h.history_user) for h in answer.history.all()] == [
            ("Answer recorded", cast.a.users["office"])
        ]
    replaced = ConsentAnswer.objects.get(pupil=many.pupil, method="phone")
    assert replaced.superseded_at is not None
    assert replaced.history.first().history_change_reason == "Replaced by a newer answer"
    many.refresh_from_db()
    assert many.returned_at is not None
    assert many.history.first().history_change_reason == "Slip returned"
    assert two_count == many_count, f"a slip of 2 consents ran {two_count} queries and one of 6 ran {many_count}"
    # 18: signing in (3); the slip with its round and pupil, the round's consents and their year groups, the
    # parent chosen (4); the service's savepoint, the slip locked, the parent checked, the answers in force
    # locked (4); the answer by phone replaced, the new answers, the slip returned, each with its history (6);
    # the savepoint released (1). One answer by one saved through `answer_record` ran about 20 a consent.
    assert many_count <= 18, f"recording a slip ran {many_count} queries, over its budget of 18"
