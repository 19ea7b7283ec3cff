"""
The bench's copies of a school (bench/trust_clone.py), which make a trust of twenty large schools for the trust
report's measurements: a copy has the school's incidents and pupils as its own, in the same trust, and every
foreign key of the copied rows points at a row that exists. PostgreSQL only, as the copying is (as CI runs it).
"""

from django.db import connection

from bench.trust_clone import clone_plan, schools_clone
from esafety.models import Pupil, School
from esafety.scoping import scope
from incidents.models import Incident, IncidentPerson
from tests.markers import postgres_only


def counts(school):
    with scope(school=school):
        return {
            "incidents": Incident.objects.count(),
            "people in incidents": IncidentPerson.objects.filter(incident__school=school).count(),
            "pupils": Pupil.objects.count(),
            "pupils on roll": Pupil.objects.current().count(),
        }


@postgres_only
def test_a_copy_of_a_school_has_its_incidents_and_pupils_as_its_own(cast):
    school = cast.a.school
    before = counts(school)

    (copy,), rows = schools_clone(school, range(1, 2), plan=clone_plan())

    assert rows > 0
    assert copy.trust_id == school.trust_id
    assert before["incidents"] > 0 and before["pupils"] > 0
    assert counts(copy) == before
    assert counts(school) == before
    with scope(school=copy):
        # The copy's incidents name the copy's pupils, not the school's.
        named = set(
            IncidentPerson.objects.filter(incident__school=copy, pupil__isnull=False).values_list("pupil__school", flat=True)
        )
    assert named <= {copy.pk}
    # Every foreign key of the copied rows points at a row that exists (checked now, not at the end of the test).
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    assert School.objects.filter(trust=school.trust).count() == 2
