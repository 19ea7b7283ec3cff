"""
Scoping fails closed (esafety.scoping): a query of a school-owned model outside a school's scope raises,
inside one it sees that school alone, and requests and tasks open their own scope.
"""

import pytest
from celery import shared_task

from esafety.models import FormGroup, Pupil
from esafety.scoping import ScopeError, no_scope, scope, scopes_disabled
from incidents.models import Incident, IncidentEvent

pytestmark = pytest.mark.django_db


def test_a_query_outside_any_school_scope_raises():
    with pytest.raises(ScopeError):
        list(Incident.objects.all())
    with pytest.raises(ScopeError):
        Pupil.objects.current().count()  # the model's own queryset methods refuse too
    with pytest.raises(ScopeError):
        IncidentEvent.objects.exists()  # a row owned through its incident


def test_inside_a_school_scope_another_schools_rows_are_not_there(cast):
    with scope(school=cast.a.school):
        assert list(Pupil.objects.values_list("last_name", flat=True).order_by("last_name")) == ["Aardvark", "LeaverA"]
        assert not Pupil.objects.filter(pk=cast.b.pupil.pk).exists()
        assert cast.b.incident.pk not in set(Incident.objects.values_list("pk", flat=True))
    with scope(school=cast.b.school):
        assert Pupil.objects.filter(pk=cast.b.pupil.pk).exists()


def test_a_subquery_outside_a_scope_raises_rather_than_reading_every_school(cast):
    from esafety.models import User

    with no_scope(), pytest.raises(ScopeError):
        list(User.objects.filter(pk__in=Incident.objects.values("reported_by")))


@shared_task
def _count_pupils():
    return Pupil.objects.count()


def test_a_task_never_borrows_the_scope_of_the_code_that_ran_it(cast):
    with scope(school=cast.a.school), pytest.raises(ScopeError):
        _count_pupils.apply(throw=True)


def test_a_school_task_runs_in_its_own_schools_scope(cast):
    from incidents.tasks import overdue_actions_remind

    with scope(school=cast.a.school):
        # Run for school B from inside A's scope: it works on B's actions, not A's.
        assert overdue_actions_remind.apply(args=[cast.b.school.pk], throw=True).result == 0


def test_the_admin_lists_every_schools_rows_for_a_superuser(cast, client):
    from tests import factories as f

    admin = f.make_user("root@example.org", "Root")
    admin.is_staff = admin.is_superuser = True
    admin.save()
    client.force_login(admin)

    page = client.get("/admin/esafety/formgroup/").content.decode()

    assert "7A" in page and "7B" in page
    with scopes_disabled():
        assert FormGroup.objects.count() == 2


def test_the_admin_is_for_superusers_alone_since_it_sees_every_school(cast, client):
    office = cast.a.users["office"]
    office.is_staff = True
    office.save()
    client.force_login(office)

    response = client.get("/admin/esafety/formgroup/")

    assert response.status_code == 302 and response["Location"].startswith("/admin/login/")
