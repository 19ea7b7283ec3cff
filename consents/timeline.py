"""A pupil's consent answers and withdrawals in their chronology."""

from django.urls import reverse

from consents.models import ConsentAnswer
from esafety.roles import Capability
from esafety.timeline import TimelineEntry, timeline_source


@timeline_source
def consent_entries(access, pupil):
    answers = ConsentAnswer.objects.for_school(access.school).filter(pupil=pupil).select_related("consent_type", "given_by")
    may_open = access.can(Capability.RECORD_CONSENT)
    entries = []
    for answer in answers:
        url = reverse("consents:answer_detail", args=[answer.pk]) if may_open else ""
        by = f" by {answer.given_by}" if answer.given_by else ""
        entries.append(
            TimelineEntry(
                when=answer.signed_on,
                kind="Consent",
                title=f"{answer.consent_type}: {'yes' if answer.agreed else 'no'}",
                detail=f"{answer.get_method_display()}{by}",
                url=url,
                icon="check2-square" if answer.agreed else "x-square",
            )
        )
        if answer.withdrawn_on:
            entries.append(
                TimelineEntry(
                    when=answer.withdrawn_on,
                    kind="Consent",
                    title=f"{answer.consent_type}: withdrawn",
                    detail=answer.withdrawal_note,
                    url=url,
                    icon="slash-circle",
                )
            )
    return entries
