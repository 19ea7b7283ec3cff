"""
The consents pages run a fixed number of queries, however many pupils,
forms and answers the school has: measured on the cast, then again after
adding forms, pupils, parents and answers.
"""

import pytest
from django.urls import reverse
from django.utils import timezone

from consents import services
from consents.models import ConsentSlip, ConsentType
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
    ("teacher", lambda c: reverse("photo_check") + f"?form={c.a.form.pk}", 7 + 6),
    ("teacher", lambda c: reverse("photo_check") + f"?year_group={c.a.year7.pk}", 7 + 6),
    ("office", lambda c: reverse("round_chasing", args=[c.a.round.pk]), 7 + 9),
    ("office", lambda c: reverse("round_detail", args=[c.a.round.pk]), 7 + 10),
    ("office", lambda c: reverse("return_entry") + f"?code={c.a.slip.code}", 7 + 9),
    ("office", lambda c: reverse("round_form_grid", args=[c.a.round.pk, c.a.form.pk]), 7 + 10),
]


@pytest.mark.parametrize("role,url,budget", PAGES, ids=["photo-form", "photo-year", "chasing", "round", "return", "grid"])
def test_the_consents_page_runs_a_fixed_number_of_queries(cast, client, role, url, budget):
    client.force_login(cast.a.users[role])
    grow(cast, 1)
    address = url(cast)
    count_queries(client, address)  # warm: the staff agreement check, content types
    small = count_queries(client, address)
    grow(cast, 12, start=1)
    large = count_queries(client, address)
    assert small == large, f"{address} ran {small} queries with a small school and {large} with a larger one"
    assert large <= budget, f"{address} ran {large} queries, over its budget of {budget}"
