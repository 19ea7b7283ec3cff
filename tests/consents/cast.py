"""The consents records of each school's cast (tests/conftest.py)."""

from consents import services
from consents.models import ConsentAnswer, ConsentRound, ConsentSlip, ConsentType, SlipBatch
from esafety.models import AcademicYear

Kind = ConsentType.Kind


def extend(cast, letter):
    """
    Each school has the standard consent types (given to every new school), and an open round
    asking form 7A/7B for the three photo uses, publication of work and internet access, with a slip
    for the pupil (not for the leaver). The pupil's parent has said yes to photos on the website on
    that slip. A whole-round slip batch waits to be built.
    """
    school = cast.school
    office = cast.users["office"]
    cast.consent_types = {t.kind: t for t in ConsentType.objects.for_school(school)}
    asked = [cast.consent_types[k] for k in (*Kind.image_uses(), Kind.INTERNET)]
    cast.round = services.round_create(
        school=school,
        academic_year=AcademicYear.objects.current(),
        title=f"Consents {letter.upper()}",
        consent_types=asked,
        forms=[cast.form],
        year_groups=[],
        actor=office,
    )
    services.round_open(consent_round=cast.round, actor=office)
    cast.round.refresh_from_db()
    cast.slip = ConsentSlip.objects.get(round=cast.round, pupil=cast.pupil)
    services.slip_record(
        slip=cast.slip,
        answers={cast.consent_types[Kind.PHOTO_WEB]: True},
        given_by=cast.parent,
        method=ConsentAnswer.Method.PAPER,
        signed_on=cast.round.created_at.date(),
        actor=office,
    )
    cast.answer = ConsentAnswer.objects.get(slip=cast.slip)
    cast.batch = SlipBatch.objects.create(round=cast.round, created_by=office)
    assert cast.round.status == ConsentRound.Status.OPEN
