"""Incidents in a pupil's chronology: only those the viewer may see, with the pupil's part in each."""

from django.db.models import Prefetch
from django.urls import reverse

from esafety.timeline import TimelineEntry, timeline_source
from incidents.models import IncidentPerson
from incidents.selectors import incidents_for


@timeline_source
def incidents_of_pupil(access, pupil):
    parts = IncidentPerson.objects.filter(pupil=pupil)
    incidents = (
        incidents_for(access, access.user)
        .involving_pupil(pupil)
        .select_related("category")
        .prefetch_related(Prefetch("people", queryset=parts, to_attr="pupil_parts"))
    )
    for incident in incidents:
        part_names = ", ".join(p.get_part_display().lower() for p in incident.pupil_parts)
        yield TimelineEntry(
            when=incident.occurred_at,
            kind="Incident",
            title=f"{incident.reference}: {incident.category.name}",
            detail=f"Part: {part_names}. Status: {incident.get_status_display().lower()}.",
            url=reverse("incidents:incident_detail", args=[incident.pk]),
            icon="exclamation-diamond",
            restricted=incident.is_restricted,
            record=incident,
        )
