"""
What every school starts with in consents: its settings, and the standard consent types. Schools edit
the wording to fit their own policy; an edit makes a new version, so nothing here is final.
`consents_defaults_install` runs when a school is set up (esafety.schools), never when a setting is read.
"""

from dataclasses import dataclass

from django.db import transaction

from consents.models import ConsentSettings, ConsentType
from consents.services import consent_wording_add
from esafety.history import save_with_history
from esafety.models import School, User

K, A, D = ConsentType.Kind, ConsentType.Answerer, ConsentType.Duration


@dataclass(frozen=True)
class DefaultType:
    kind: str
    title: str
    answered_by: str
    duration: str
    text: str
    missing_means_no: bool = True
    is_active: bool = True


DEFAULT_TYPES = [
    DefaultType(
        K.INTERNET,
        "Internet access and e-safety rules",
        A.PARENT,
        D.UNTIL_LEAVING,
        "Your child will use the internet at school for learning, always with an adult in charge and through the "
        "school's filtered connection. We teach pupils how to stay safe online and ask them to follow our e-safety "
        "rules. No filter catches everything, so if your child sees something that upsets them we will deal with it "
        "and let you know. Do you agree to your child using the internet at school?",
    ),
    DefaultType(
        K.WORK_PUBLICATION,
        "Publication of work on the website",
        A.PARENT,
        D.ACADEMIC_YEAR,
        "We like to celebrate pupils' work by putting some of it on the school website. We show a first name at "
        "most, never a full name, and never anything that tells people where your child lives. Do you agree to "
        "your child's work appearing on the school website?",
    ),
    DefaultType(
        K.PHOTO_IN_SCHOOL,
        "Photos and names on displays and in newsletters",
        A.PARENT,
        D.ACADEMIC_YEAR,
        "We take photos of school life for wall displays, class books and the newsletter that goes to families. "
        "These stay inside the school community. Photos are taken on school devices only and are deleted within "
        "three years of your child leaving. Do you agree to photos of your child, with their name, being used in "
        "this way?",
    ),
    DefaultType(
        K.PHOTO_PRINT,
        "Photos in printed publicity and the press",
        A.PARENT,
        D.ACADEMIC_YEAR,
        "Now and then we use photos in the prospectus and leaflets, or a local newspaper visits for a special "
        "event. Newspapers may print a child's name with a photo. Do you agree to your child appearing in printed "
        "publicity and in the local press?",
    ),
    DefaultType(
        K.PHOTO_WEB,
        "Photos on the website and social media",
        A.PARENT,
        D.ACADEMIC_YEAR,
        "We share some photos of school events on our website and on the school's social media accounts. We never "
        "put a pupil's full name next to their photo online. Once a photo is online we cannot fully control who "
        "copies it. Do you agree to photos of your child appearing on the website and social media?",
    ),
    DefaultType(
        K.WEBCAM,
        "Webcam and video calls",
        A.PARENT,
        D.ACADEMIC_YEAR,
        "Some lessons include video calls, for example with another school or a visiting expert. Calls are set up "
        "by staff, supervised by an adult and never recorded without telling you first. Do you agree to your child "
        "taking part in webcam and video calls at school?",
    ),
    DefaultType(
        K.PUPIL_AUP,
        "Pupil acceptable-use agreement",
        A.PARENT_AND_PUPIL,
        D.ACADEMIC_YEAR,
        "Your child agrees to use school computers and the internet sensibly: to keep their password secret, to be "
        "kind online, to tell an adult about anything that worries them, and not to share personal details or "
        "photos. Please read the agreement with your child. Your child signs to say they will keep it, and you "
        "sign to say you support it.",
    ),
    DefaultType(
        K.STAFF_AUP,
        "Staff acceptable-use agreement",
        A.STAFF,
        D.ACADEMIC_YEAR,
        "I will use school systems and devices for school work, keep my passwords private and lock my screen when I "
        "step away. I will take photos of pupils only on school devices, unless the head teacher has agreed "
        "otherwise, and delete them once they are stored safely. I will keep pupils' personal data secure, report "
        "any worry about a child's safety online to the Designated Safeguarding Lead, and keep my contact with "
        "pupils and parents professional and through school channels.",
        missing_means_no=False,
        # A school switches this on once it has checked the wording against its own policy:
        # from then on, staff are asked to accept it when they log in.
        is_active=False,
    ),
]


@transaction.atomic
def consents_defaults_install(school: School) -> None:
    """Give a school its consent settings and the standard types it does not have yet. Safe to run again."""
    ConsentSettings.objects.get_or_create(school=school)
    consent_types_seed_defaults(school=school)


@transaction.atomic
def consent_types_seed_defaults(*, school: School, actor: User | None = None) -> list[ConsentType]:
    """Give a school the standard consent types it does not have yet (by kind). Safe to run again."""
    have = set(ConsentType.objects.for_school(school).values_list("kind", flat=True))
    created = []
    for order, default in enumerate(DEFAULT_TYPES, start=1):
        if default.kind in have:
            continue
        consent_type = ConsentType(
            school=school,
            kind=default.kind,
            title=default.title,
            answered_by=default.answered_by,
            duration=default.duration,
            missing_means_no=default.missing_means_no,
            is_active=default.is_active,
            order=order * 10,
        )
        save_with_history(consent_type, actor=actor, reason="Standard consent")
        consent_wording_add(consent_type=consent_type, text=default.text, actor=actor)
        created.append(consent_type)
    return created
