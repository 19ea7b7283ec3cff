"""
The incidents of each school's cast (tests/conftest.py), logged through the service as a teacher would:

    cast.a.incident      cyberbullying, Alice alleged; logged by the teacher; IT owns its action
    cast.a.action        that action ("Talk to the pupils involved", owner IT)
    cast.a.step          the first step of its response checklist
    cast.a.restricted    sharing nudes, Alice affected; logged by the teacher; DSL team and head only
    cast.a.staff_incident  staff online conduct about the tutor (the teacher's staff record); logged by the lead; head only
    cast.a.head_incident   an allegation about the head teacher; logged by the lead; chair of governors only
"""

from datetime import timedelta

from django.utils import timezone


def extend(cast, letter):
    from incidents import selectors, services
    from incidents.models import Incident, IncidentCategory, IncidentPerson
    from tests import factories as f

    Part = IncidentPerson.Part
    school, users = cast.school, cast.users
    selectors.settings_for(school)
    category = {c.name.split(" ")[0]: c for c in IncidentCategory.objects.for_school(school)}
    when = timezone.now() - timedelta(days=1)

    def log(name, people, reporter="teacher", hours_later=0, **extra):
        return services.incident_log(
            school=school,
            actor=users[reporter],
            occurred_at=when + timedelta(hours=hours_later),
            location=Incident.Location.ONLINE,
            category=category[name],
            description=f"Reported by a pupil of school {letter.upper()}.",
            people=people,
            **extra,
        )

    cast.incident = log("Cyberbullying", [services.Involved(Part.ALLEGED, pupil=cast.pupil)])
    cast.action = services.incident_actions_add(
        incident=cast.incident,
        actor=users["dsl"],
        chosen=[services.ChosenAction("Talk to the pupils involved", users["it"], timezone.localdate() + timedelta(days=3))],
    )[0]
    cast.step = cast.incident.checklist.first()
    cast.restricted = log(
        "Sharing", [services.Involved(Part.AFFECTED, pupil=cast.pupil)], hours_later=1, severity=Incident.Severity.HIGH
    )
    cast.staff_incident = log("Staff", [services.Involved(Part.ALLEGED, staff=cast.staff_member)], reporter="lead")
    head_member = f.make_staff(school, "Head", f"Teacher{letter.upper()}", mis_id=f"H{letter.upper()}", user=users["head"])
    cast.head_incident = log("Staff", [services.Involved(Part.ALLEGED, staff=head_member)], reporter="lead")
