"""
What a school starts with: categories, response checklists and the two
sanction matrices. The school edits all of it afterwards.

The matrices' rows and columns follow the incident-response section of a
typical school e-safety policy; which actions are ticked for which row is our
own sensible starting point (schools' own grids differ), e.g. illegal material
goes to the head teacher, the police and technical support.
"""

from django.db import transaction
from simple_history.utils import bulk_create_with_history

from esafety.models import School
from incidents.models import (
    ChecklistStepTemplate,
    IncidentCategory,
    IncidentSettings,
    Matrix,
    SanctionAction,
    SanctionRow,
)

Owner = SanctionAction.Owner

# (name, usually done by, due within days)
PUPIL_ACTIONS = [
    ("Refer to class teacher or tutor", Owner.TUTOR, 2),
    ("Refer to head of department or head of year", Owner.HANDLER, 3),
    ("Refer to head teacher", Owner.HEAD, 1),
    ("Refer to police", Owner.DSL, 1),
    ("Refer to technical support for filtering or security action", Owner.IT, 2),
    ("Inform parents/carers", Owner.DSL, 2),
    ("Remove network or internet access", Owner.IT, 1),
    ("Warning", Owner.TUTOR, 3),
    ("Further sanction (e.g. detention or exclusion)", Owner.HANDLER, 5),
]
STAFF_ACTIONS = [
    ("Refer to line manager", Owner.LINE_MANAGER, 3),
    ("Refer to head teacher", Owner.HEAD, 1),
    ("Refer to local HR", Owner.HEAD, 3),
    ("Refer to police", Owner.HEAD, 1),
    ("Refer to technical support for filtering or security action", Owner.IT, 2),
    ("Warning", Owner.HEAD, 5),
    ("Suspension", Owner.HEAD, 1),
    ("Disciplinary action", Owner.HEAD, 10),
]

TUTOR, HOY, HEAD, POLICE, TECH, PARENTS, ACCESS, WARNING, FURTHER = range(9)
PUPIL_ROWS = [
    ("Deliberately accessing or trying to access illegal material", [HEAD, POLICE, TECH, PARENTS, ACCESS, FURTHER]),
    ("Unauthorised use of non-educational sites in lessons", [TUTOR, WARNING]),
    ("Unauthorised use of a mobile phone, camera or other handheld device", [TUTOR, WARNING]),
    ("Unauthorised use of social networking, instant messaging or personal e-mail", [TUTOR, WARNING]),
    ("Unauthorised downloading or uploading of files", [TUTOR, TECH, WARNING]),
    ("Sharing a username and password so others can use the school network", [TUTOR, TECH, WARNING]),
    ("Using another pupil's account to get into the school network", [TUTOR, HOY, TECH, WARNING]),
    ("Using a member of staff's account to get into the school network", [HOY, HEAD, TECH, PARENTS, ACCESS, FURTHER]),
    ("Corrupting or destroying other users' data", [HOY, TECH, PARENTS, ACCESS, FURTHER]),
    ("Offensive, harassing or bullying e-mail, text or message", [TUTOR, HOY, PARENTS, WARNING, FURTHER]),
    ("Continued infringements after warnings or sanctions", [HOY, HEAD, PARENTS, ACCESS, FURTHER]),
    ("Actions that could bring the school into disrepute", [HOY, HEAD, PARENTS, FURTHER]),
    ("Using proxy sites or other means to get round the filter", [HOY, TECH, PARENTS, ACCESS, WARNING]),
    ("Accidentally reaching offensive or pornographic material and not reporting it", [TUTOR, TECH, WARNING]),
    (
        "Deliberately accessing or trying to access offensive or pornographic material",
        [HOY, HEAD, TECH, PARENTS, ACCESS, FURTHER],
    ),
    ("Breaching copyright or data protection", [HOY, TECH, PARENTS, WARNING]),
]
REPEAT_PUPIL_ROW = "Continued infringements after warnings or sanctions"

LINE, S_HEAD, HR, S_POLICE, S_TECH, S_WARNING, SUSPEND, DISCIPLINE = range(8)
STAFF_ROWS = [
    ("Deliberately accessing or trying to access illegal material", [S_HEAD, HR, S_POLICE, S_TECH, SUSPEND]),
    ("Excessive or inappropriate personal use of the internet, social networking or personal e-mail", [LINE, S_WARNING]),
    ("Unauthorised downloading or uploading of files", [LINE, S_TECH, S_WARNING]),
    ("Sharing a password or using another person's account", [LINE, S_TECH, S_WARNING]),
    ("Careless use of personal data (e.g. holding or moving it insecurely)", [LINE, S_HEAD, S_WARNING]),
    ("Deliberately breaching data protection or network security rules", [S_HEAD, HR, S_TECH, DISCIPLINE]),
    ("Corrupting or destroying data, or deliberately damaging hardware or software", [S_HEAD, HR, S_TECH, DISCIPLINE]),
    ("Offensive, harassing or bullying e-mail, text or message", [S_HEAD, HR, DISCIPLINE]),
    ("Personal e-mail, social networking or messaging used to contact pupils", [S_HEAD, HR, S_WARNING, DISCIPLINE]),
    ("Actions that could compromise the member of staff's professional standing", [LINE, S_HEAD, S_WARNING]),
    ("Actions that could bring the school into disrepute", [S_HEAD, HR, DISCIPLINE]),
    ("Using proxy sites or other means to get round the filter", [LINE, S_TECH, S_WARNING]),
    ("Accidentally reaching offensive or pornographic material and not reporting it", [LINE, S_TECH, S_WARNING]),
    ("Deliberately accessing or trying to access offensive or pornographic material", [S_HEAD, HR, S_TECH, DISCIPLINE]),
    ("Breaching copyright or licensing rules", [LINE, S_TECH, S_WARNING]),
    ("Continued infringements after warnings or sanctions", [S_HEAD, HR, SUSPEND, DISCIPLINE]),
]
REPEAT_STAFF_ROW = "Continued infringements after warnings or sanctions"

# The response steps for child-protection concerns (and, shortened, for bullying).
SAFEGUARDING_STEPS = [
    "Tell the DSL at once, in person",
    "Secure the device (do not view, copy or forward any images)",
    "Carry out a risk assessment for the children involved",
    "Consider the vulnerabilities of those involved, with checks with other agencies",
    "Refer to children's social care and/or the police as needed (note the reference numbers)",
    "Inform parents/carers, unless that would put the child at risk",
    "Put support in place for those involved",
    "Review how the incident was handled and update procedures if needed",
]
BULLYING_STEPS = [
    "Keep the evidence (screenshots held by the DSL, not forwarded)",
    "Talk to the pupil affected and agree support",
    "Talk to the pupil(s) alleged to be responsible",
    "Inform parents/carers of those involved",
    "Ask for the content to be removed (platform or sender)",
    "Review the situation after two weeks",
]

# (name, child protection, involves images, illegal material, about staff, pupils' row, staff row, checklist)
CATEGORIES = [
    ("Cyberbullying", False, False, False, False, 9, 7, BULLYING_STEPS),
    ("Sharing nudes or semi-nudes (self-generated images)", True, True, False, False, None, None, SAFEGUARDING_STEPS),
    ("Online sexual abuse or grooming", True, True, False, False, None, None, SAFEGUARDING_STEPS),
    ("Indecent images of children", True, True, True, False, 0, 0, SAFEGUARDING_STEPS),
    ("Radicalisation or extremist content", True, False, False, False, None, None, SAFEGUARDING_STEPS),
    ("Inappropriate or harmful content accessed", False, False, False, False, 14, 13, []),
    ("Misuse of school systems or accounts (shared passwords, another's login)", False, False, False, False, 6, 3, []),
    ("Use of a phone, camera or other device against the rules", False, False, False, False, 2, 1, []),
    ("Unauthorised downloading or uploading", False, False, False, False, 4, 2, []),
    ("Getting round the filter (proxies, VPNs)", False, False, False, False, 12, 11, []),
    ("Data protection breach", False, False, False, False, 15, 4, []),
    ("Copyright", False, False, False, False, 15, 14, []),
    ("Staff online conduct", False, False, False, True, None, 9, []),
    ("Other", False, False, False, False, None, None, []),
]


@transaction.atomic
def incident_defaults_install(school: School) -> None:
    """Give a school the starting categories, checklists and matrices; does nothing if it has them."""
    IncidentSettings.objects.get_or_create(school=school)
    if SanctionRow.objects.filter(school=school).exists():
        return
    # Bulk inserts, each with its "created" history rows: a new school gets some 200 rows at once.
    rows: dict[str, list[SanctionRow]] = {}
    ticks = []
    for matrix, action_specs, row_specs, repeat_name in (
        (Matrix.PUPILS, PUPIL_ACTIONS, PUPIL_ROWS, REPEAT_PUPIL_ROW),
        (Matrix.STAFF, STAFF_ACTIONS, STAFF_ROWS, REPEAT_STAFF_ROW),
    ):
        actions = bulk_create_with_history(
            [
                SanctionAction(school=school, matrix=matrix, name=name, order=i, default_owner=owner, due_in_days=days)
                for i, (name, owner, days) in enumerate(action_specs)
            ],
            SanctionAction,
        )
        rows[matrix] = bulk_create_with_history(
            [
                SanctionRow(school=school, matrix=matrix, name=name, order=i, is_repeat=name == repeat_name)
                for i, (name, _) in enumerate(row_specs)
            ],
            SanctionRow,
        )
        for row, (_, ticked) in zip(rows[matrix], row_specs, strict=True):
            ticks += [SanctionRow.actions.through(sanctionrow=row, sanctionaction=actions[t]) for t in ticked]
    SanctionRow.actions.through.objects.bulk_create(ticks)
    categories = bulk_create_with_history(
        [
            IncidentCategory(
                school=school,
                name=name,
                order=i,
                child_protection=protection,
                involves_images=images,
                illegal_material=illegal,
                about_staff=staff,
                pupil_row=rows[Matrix.PUPILS][pupil_row] if pupil_row is not None else None,
                staff_row=rows[Matrix.STAFF][staff_row] if staff_row is not None else None,
            )
            for i, (name, protection, images, illegal, staff, pupil_row, staff_row, _) in enumerate(CATEGORIES)
        ],
        IncidentCategory,
    )
    bulk_create_with_history(
        [
            ChecklistStepTemplate(category=category, order=j, text=text)
            for category, spec in zip(categories, CATEGORIES, strict=True)
            for j, text in enumerate(spec[-1])
        ],
        ChecklistStepTemplate,
    )
