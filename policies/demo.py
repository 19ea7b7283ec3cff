"""
The demo schools' policies and training, for a user to try every page: the register of the school's e-safety
documents with their versions (the online-safety policy on its third version, the staff and pupil acceptable-use
agreements, the mobile-phone policy with its review overdue, the images policy with a new draft waiting for the
governors, the filtering and monitoring statement not yet approved), and the staff's acknowledgements of those they
must read: everyone's but the class teacher's login and a few colleagues', so that the teacher is asked at their first
login and the lead sees who has not. Registered in `esafety.demo.DEMO_EXTENSIONS` by `PoliciesConfig.ready()`.

Made through the services, so that each change is in its history; a school that has policies already gets nothing
more when the demo is seeded again. The training is made by `policies.training_demo`.
"""

from dataclasses import dataclass
from datetime import date, timedelta

from django.db import transaction
from django.utils import timezone
from simple_history.utils import bulk_create_with_history

from esafety.models import School, StaffMember, User
from esafety.roles import Role
from policies.defaults import policies_defaults_install
from policies.models import Policy, PolicyAcknowledgement, PolicyVersion, add_months
from policies.services import policies as services

Kind = Policy.Kind
# Of the staff in post other than the demo's logins, this share has not yet acknowledged the versions in force.
NOT_YET_SHARE = 0.15

ONLINE_SAFETY_TEXT = """1. Aims
This policy sets out how the school keeps pupils and staff safe online, in school and when they learn from home.

2. Roles and responsibilities
The e-safety lead coordinates online safety and reports to the governors each year. The designated safeguarding lead
takes the lead on any concern about a child. Every member of staff reports concerns the same day.

3. Teaching online safety
Online safety is taught in computing, PSHE and RSHE in every year group, and reinforced in assemblies.

4. Filtering and monitoring
The school's internet is filtered and monitored. Requests to open a blocked site for a lesson go to the head teacher
and IT through the app; changes to the filter are logged and reviewed each term.

5. Mobile phones and personal devices
Pupils hand in their phones at the start of the day. Staff do not use personal devices to photograph pupils.

6. Responding to incidents
Incidents are logged the same day. Images of pupils are never viewed, copied or forwarded: report them to the DSL.

7. Review
The policy is reviewed every year, and sooner after a serious incident or a change in statutory guidance."""

STAFF_AUP_TEXT = """I will use the school's systems, devices and data only for school purposes.
I will keep my passwords private and lock my screen when I leave my device.
I will not take images of pupils on my own devices, or share pupils' personal data outside the school's systems.
I will communicate with pupils and parents only through the school's approved channels.
I will report any concern about a pupil's safety online to the designated safeguarding lead the same day.
I understand that the school monitors the use of its systems."""

PUPIL_AUP_TEXT = """I will only use the school's computers and tablets for my learning.
I will keep my password secret and not use anyone else's.
I will tell a teacher if I see something online that upsets me or makes me feel uncomfortable.
I will be kind online and will not share pictures of other people without asking them.
I know the school can see what I do on its computers."""

PHONES_TEXT = """Pupils who bring a mobile phone to school hand it in to their form tutor at registration and collect it at
the end of the day. A pupil may keep their phone only when the school has agreed an exception (young carers, medical
needs), reviewed each term. A phone used during the school day is confiscated and returned to the pupil or a parent
or carer at the end of the day. Searches follow the DfE guidance on searching, screening and confiscation."""

IMAGES_TEXT = """Photographs and video of pupils are taken only on school devices, and only of pupils whose parents or
carers have given consent for that use. Images are stored on the school's systems and deleted when no longer needed.
Pupils are not named beside their photographs on the website or in the press."""


@dataclass
class _Owners:
    head: StaffMember | None
    lead: StaffMember | None
    dsl: StaffMember | None
    it: StaffMember | None


def _logins_by_role(school: School, logins) -> tuple[dict[str, User], dict[int, StaffMember]]:
    users = {u.email: u for u in User.objects.filter(email__in=[login.email for login in logins])}
    by_role = {login.role: users[login.email] for login in logins if login.email in users}
    staff = {m.user_id: m for m in StaffMember.objects.filter(school=school, user__in=list(by_role.values()))}
    return by_role, staff


def _approved(label: str, text: str, on: date, changes: str = "", by: str = "Full governing body") -> dict:
    """A version approved on `on`: by the governors at their meeting that day, or by the head teacher alone."""
    meeting = f"the governors' meeting of {on.day} {on:%B %Y}" if by == "Full governing body" else ""
    return {
        "version": label,
        "text": text,
        "changes": changes,
        "approved_by": by,
        "approved_at_meeting": meeting,
        "approved_on": on,
    }


def _draft(label: str, text: str, changes: str) -> dict:
    return {"version": label, "text": text, "changes": changes}


def _add(school: School, lead: User, title: str, kind: str, owner, acknowledge: bool, versions: list[dict]) -> Policy:
    """A policy with its versions, oldest first: each approved in turn, or left a draft."""
    policy = services.policy_create(
        school=school, actor=lead, title=title, kind=kind, owner=owner, staff_must_acknowledge=acknowledge
    )
    for fields in versions:
        approval = {key: fields.pop(key) for key in ("approved_by", "approved_at_meeting", "approved_on") if key in fields}
        version = services.policy_version_create(policy=policy, actor=lead, document=None, **fields)
        if approval:
            services.policy_version_approve(version=version, actor=lead, **approval)
    return policy


def _policies(school: School, lead: User, owners: _Owners, today: date) -> None:
    def months_ago(months: int) -> date:
        return add_months(today, -months)

    _add(
        school,
        lead,
        "Online-safety policy",
        Kind.ONLINE_SAFETY,
        owners.lead,
        True,
        [
            _approved("1.0", ONLINE_SAFETY_TEXT, months_ago(26)),
            _approved("2.0", ONLINE_SAFETY_TEXT, months_ago(14), "Filtering and monitoring standards added (section 4)."),
            _approved(
                "3.0",
                ONLINE_SAFETY_TEXT,
                months_ago(2),
                "Generative AI tools, and the new procedure for requests to open blocked sites.",
            ),
        ],
    )
    # Its review falls due within the month.
    _add(
        school,
        lead,
        "Staff acceptable-use agreement",
        Kind.STAFF_AUP,
        owners.it,
        True,
        [_approved("2025", STAFF_AUP_TEXT, months_ago(11) - timedelta(days=10), by="Head teacher")],
    )
    _add(
        school,
        lead,
        "Pupil acceptable-use agreement",
        Kind.PUPIL_AUP,
        owners.lead,
        False,
        [_approved("3", PUPIL_AUP_TEXT, months_ago(8), "Simpler wording for younger pupils.")],
    )
    # Its review fell due two months ago: overdue on the head teacher's and the lead's home pages.
    _add(
        school,
        lead,
        "Mobile phones and devices policy",
        Kind.MOBILE_PHONES,
        owners.head,
        True,
        [_approved("1.1", PHONES_TEXT, months_ago(14))],
    )
    _add(
        school,
        lead,
        "Images and video policy",
        Kind.IMAGES,
        owners.dsl,
        False,
        [
            _approved("1.0", IMAGES_TEXT, months_ago(10)),
            _draft("2.0", IMAGES_TEXT, "Images on staff's own devices: never, including on trips."),
        ],
    )
    _add(
        school,
        lead,
        "Filtering and monitoring statement",
        Kind.FILTERING,
        owners.it,
        False,
        [_draft("0.1", "What the school's filter blocks, who checks its logs and how often.", "First draft.")],
    )


def _acknowledgements(school: School, rng, asked_not_yet: set[int]) -> None:
    """
    Every member of staff in post acknowledges the versions in force they are asked to read, but those in
    `asked_not_yet`, and a few of those without a login.
    """
    versions = list(
        PolicyVersion.objects.filter(
            policy__school=school, status=PolicyVersion.Status.APPROVED, policy__staff_must_acknowledge=True
        )
    )
    rows = []
    for member in StaffMember.objects.for_school(school).current():
        if member.user_id in asked_not_yet:
            continue
        without_login = member.user_id is None
        for version in versions:
            if without_login and rng.random() < NOT_YET_SHARE:
                continue
            rows.append(PolicyAcknowledgement(version=version, staff_member=member))
    bulk_create_with_history(rows, PolicyAcknowledgement, batch_size=500)


def seed_demo_policies(*, school, logins, rng, size) -> None:
    """The demo's register of policies and the staff's acknowledgements; then its training (`policies.training_demo`)."""
    policies_defaults_install(school)
    by_role, staff = _logins_by_role(school, logins)
    lead = by_role.get(Role.LEAD)
    if lead is not None and not Policy.objects.for_school(school).exists():

        def member(role):
            return staff.get(by_role[role].pk) if role in by_role else None

        owners = _Owners(head=member(Role.HEAD), lead=member(Role.LEAD), dsl=member(Role.DSL), it=member(Role.IT))
        # The demo's teacher login is asked to read the policies at its first login, to show how that works; in the
        # large school, which `make bench` times as people use it day to day, everyone has read them already.
        teacher = by_role.get(Role.STAFF)
        asked_not_yet = {teacher.pk} if teacher is not None and size != "large" else set()
        with transaction.atomic():
            _policies(school, lead, owners, timezone.localdate())
            _acknowledgements(school, rng, asked_not_yet)
    from policies.training_demo import seed_demo_training

    seed_demo_training(school=school, logins=logins, rng=rng, size=size)
