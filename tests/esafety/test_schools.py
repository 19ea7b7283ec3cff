"""A new school starts with what each app gives it: incident categories and matrices, standard consent types."""

import pytest
from django.urls import reverse

from consents.models import ConsentType
from esafety.models import School
from esafety.schools import school_set_up
from esafety.scoping import scope
from incidents.models import IncidentCategory, SanctionRow
from tests import factories as f

pytestmark = pytest.mark.django_db


def test_a_school_added_in_the_admin_is_set_up_for_every_app(client, django_user_model):
    admin = django_user_model.objects.create_superuser("root@example.org", "a-long-password", full_name="Root")
    client.force_login(admin)
    response = client.post(reverse("admin:esafety_school_add"), {"name": "Hilltop Primary", "urn": "123456", "phase": "primary"})
    assert response.status_code == 302, response.content.decode()[:2000]
    school = School.objects.get(urn="123456")
    with scope(school=school):
        assert IncidentCategory.objects.filter(school=school, name="Cyberbullying").exists()
        assert SanctionRow.objects.filter(school=school, matrix="pupils", is_repeat=True).count() == 1
        assert ConsentType.objects.filter(school=school).count() >= 8


def test_setting_a_school_up_again_adds_nothing_twice(cast):
    counts = (IncidentCategory.objects.count(), SanctionRow.objects.count(), ConsentType.objects.count())
    school_set_up(cast.a.school)
    assert (IncidentCategory.objects.count(), SanctionRow.objects.count(), ConsentType.objects.count()) == counts


def test_the_trust_team_starts_at_the_trusts_first_school_and_can_switch(cast, client):
    from esafety.access import school_access_for

    trust_user = cast.a.users["trust"]
    # Set up after School A, and first in the alphabet.
    annex = f.make_school(name="Abbey Annex", urn="912399", trust=cast.a.trust)

    assert school_access_for(trust_user).school == cast.a.school
    client.force_login(trust_user)
    client.post(reverse("school_switch"), {"school": annex.pk})
    assert client.get(reverse("home")).context["access"].school == annex
