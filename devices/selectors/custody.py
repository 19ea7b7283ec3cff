"""
Confiscated devices: who sees which. Those who hold confiscations (the office, the DSL, the head teacher) see every
device of the school; anyone else on the staff the devices they took themselves. Another school's device, or one a
colleague took, is a 404.
"""

import uuid
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.db.models import QuerySet
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils import timezone

from devices.models import Confiscation, CustodyEntry
from devices.selectors import device_settings_for
from esafety.access import SchoolAccess
from esafety.calendar import academic_year_start
from esafety.models import Pupil, PupilContact, School
from esafety.roles import Capability
from esafety.terms.selectors import school_calendar
from incidents.models import Incident, IncidentPerson
from incidents.selectors import incidents_for

C = Capability
# About 190 school days a year: how many academic years back a limit of this many school days may reach.
SCHOOL_DAYS_A_YEAR = 150


def confiscations_for(access: SchoolAccess, user=None) -> QuerySet[Confiscation]:
    """Every device of the school for those who hold confiscations; the devices they took for the rest of the staff."""
    if access.school is None:
        return Confiscation.objects.none()
    confiscations = Confiscation.objects.for_school(access.school).select_related("pupil__form", "taken_by")
    if access.can(C.HOLD_CONFISCATIONS):
        return confiscations
    if access.can(C.CONFISCATE_DEVICE):
        return confiscations.filter(taken_by=user or access.user)
    return Confiscation.objects.none()


def get_confiscation_or_404(access: SchoolAccess, confiscation_id) -> Confiscation:
    return get_object_or_404(confiscations_for(access).select_related("incident"), pk=confiscation_id)


def custody_chain(confiscation: Confiscation) -> list[CustodyEntry]:
    """Every movement of the device, in the order it happened, with the people each names."""
    return list(
        CustodyEntry.objects.filter(confiscation=confiscation)
        .select_related("recorded_by", "searched_by", "witnessed_by", "contact")
        .order_by("at", "pk")
    )


def contacts_of(pupil: Pupil | None) -> QuerySet[PupilContact]:
    """The pupil's parents and carers, the first to contact first: those a device may be handed back to."""
    if pupil is None:
        return PupilContact.objects.none()
    return PupilContact.objects.filter(pupil=pupil).select_related("contact").order_by("priority", "contact__last_name", "pk")


def confiscations_of_incident(access: SchoolAccess, incident: Incident) -> list[Confiscation] | None:
    """For the incident's page: the devices recorded from it that this reader may open; None for those who take none."""
    if not access.can(C.CONFISCATE_DEVICE):
        return None
    return list(confiscations_for(access).filter(incident=incident).select_related(None).order_by("taken_at", "number"))


def visible_incident(access: SchoolAccess, user, confiscation: Confiscation) -> Incident | None:
    """The incident the device was taken in, if this reader may see it; for anyone else it is not there."""
    if confiscation.incident_id is None:
        return None
    return incidents_for(access, user).filter(pk=confiscation.incident_id).first()


def get_incident_for_confiscation_or_404(access: SchoolAccess, user, incident_id: str) -> Incident:
    """The incident a device is recorded from (`?incident=`): one the user may see, or a 404."""
    try:
        key = uuid.UUID(str(incident_id))
    except ValueError:
        raise Http404("No such incident.") from None
    return get_object_or_404(incidents_for(access, user).select_related("category"), pk=key)


def incident_pupil(incident: Incident) -> Pupil | None:
    """The pupil a device from this incident was most likely taken from: the first alleged to have caused it, else
    the first pupil in it; only a pupil still on roll."""
    people = IncidentPerson.objects.filter(incident=incident, pupil__isnull=False).select_related("pupil").order_by("pk")
    today = timezone.localdate()
    pupils = [p for p in people if p.pupil.leaving_date is None or p.pupil.leaving_date > today]
    alleged = [p for p in pupils if p.part == IncidentPerson.Part.ALLEGED]
    chosen = (alleged or pupils or [None])[0]
    return chosen.pupil if chosen else None


# --- Held too long ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class HoldLimit:
    """The school's limit in school days, and the moment before which a device still held has been held longer."""

    days: int
    taken_before: datetime


def hold_limit(school: School, today: date | None = None) -> HoldLimit:
    """
    A device taken on day D has been held longer than the limit when more than `limit` school days have passed
    since D (D itself not counted): taken on a Friday with a limit of one, it is not too long on Monday, and is on
    Tuesday. Three queries: the school's settings, its terms, its closures.
    """
    today = today or timezone.localdate()
    days = device_settings_for(school).confiscation_limit_days
    this_year = academic_year_start(today)
    calendar = school_calendar(school, this_year - 1 - days // SCHOOL_DAYS_A_YEAR, this_year)
    # Count back the school days up to today: a device taken before the (days + 1)-th has been held too long.
    day, found, first = today, 0, calendar.first_day
    while day >= first:
        if calendar.is_school_day(day):
            found += 1
            if found == days + 1:
                break
        day -= timedelta(days=1)
    else:
        day = first
    return HoldLimit(days=days, taken_before=timezone.make_aware(datetime.combine(day, time.min)))
