"""
The policy and training settings (how often policies are reviewed, the induction period, the refresher period), kept
by those who keep the policies or the training, each change in the settings' history; and the demo's training.
"""

import random
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from esafety.demo import SMALL, build_school
from esafety.history import history_for
from esafety.scoping import scope
from policies.models import PolicySettings, TrainingRecord
from policies.selectors.training import staff_training_due
from policies.training_demo import seed_demo_training

pytestmark = pytest.mark.django_db

SETTINGS = reverse("policies:settings")


def page(response):
    return response.content.decode()


def test_the_settings_start_with_the_defaults(cast, login):
    form = login(cast.a.users["lead"]).get(SETTINGS).context["form"]
    assert form.initial == {"review_months": 12, "induction_days": 30, "refresher_months": 12}


def test_a_change_is_saved_with_its_history(cast, login):
    client = login(cast.a.users["dsl"])
    response = client.post(SETTINGS, {"review_months": 24, "induction_days": 20, "refresher_months": 12}, follow=True)
    assert "The policy and training settings have been saved." in page(response)
    settings = PolicySettings.objects.get(school=cast.a.school)
    assert (settings.review_months, settings.induction_days, settings.refresher_months) == (24, 20, 12)
    entry = history_for(settings)[0]
    assert entry.who == str(cast.a.users["dsl"]) and entry.reason == "Settings changed"
    assert {(c.label, c.old, c.new) for c in entry.changes} == {
        ("Review policies every (months)", "12", "24"),
        ("Induction training within (days of starting)", "30", "20"),
    }
    assert "Induction training within (days of starting): 30 → 20" in page(response)


def test_saving_without_a_change_saves_nothing(cast, login):
    response = login(cast.a.users["head"]).post(
        SETTINGS, {"review_months": 12, "induction_days": 30, "refresher_months": 12}, follow=True
    )
    assert "Nothing was changed." in page(response)
    assert len(history_for(PolicySettings.objects.get(school=cast.a.school))) == 1


@pytest.mark.parametrize(
    "data,field,message",
    [
        ({"induction_days": 0}, "induction_days", "Give at least 1."),
        ({"refresher_months": 61}, "refresher_months", "Give at most 60."),
        ({"review_months": "often"}, "review_months", "Give a whole number."),
        ({"review_months": ""}, "review_months", "Give a number."),
    ],
)
def test_bad_numbers_are_refused_beside_their_box(cast, login, data, field, message):
    values = {"review_months": 11, "induction_days": 45, "refresher_months": 13, **data}
    response = login(cast.a.users["lead"]).post(SETTINGS, values)
    assert response.status_code == 400 and message in response.context["form"].errors[field]
    # What was typed in the other boxes is kept.
    assert all(f'value="{value}"' in page(response) for name, value in values.items() if name != field)
    assert PolicySettings.objects.get(school=cast.a.school).induction_days == 30


def test_the_settings_of_school_b_are_its_own(cast, login):
    login(cast.b.users["lead"]).post(SETTINGS, {"review_months": 6, "induction_days": 10, "refresher_months": 6})
    assert PolicySettings.objects.get(school=cast.a.school).review_months == 12
    with scope(school=cast.b.school):
        assert PolicySettings.objects.get(school=cast.b.school).review_months == 6


# --- The demo -----------------------------------------------------------------------------------------------------


def test_the_demo_school_has_training_some_due_and_some_overdue_and_seeding_again_adds_nothing(db):
    school, logins = build_school(SMALL, trust=None)
    with scope(school=school):
        seed_demo_training(school=school, logins=logins, rng=random.Random(2026), size="normal")
        count = TrainingRecord.objects.count()
        seed_demo_training(school=school, logins=logins, rng=random.Random(2026), size="normal")
        assert TrainingRecord.objects.count() == count > 20
        today = timezone.localdate()
        found = staff_training_due(school, today)
        assert any(d.overdue for d in found) and any(not d.overdue for d in found)
        assert {d.what for d in found} >= {"induction", "refresher"}
        assert not TrainingRecord.objects.filter(completed_on__gt=today).exists()
        assert TrainingRecord.objects.exclude(certificate="").exists() is False
        record = TrainingRecord.objects.first()
        assert record.recorded_by is not None and record.history.count() == 1
        assert TrainingRecord.objects.filter(completed_on__gte=today - timedelta(days=365)).exists()
