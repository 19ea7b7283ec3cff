"""
The internet accounts of each school's cast (tests/devices/cast.py), all granted by IT and none ended in the register:

    cast.a.staff_account    the teacher's staff record (Tutor TeacherA), network and e-mail, in use
    cast.a.pupil_account    cast.a.pupil (Alice Aardvark), pupil network, in use
    cast.a.leaver_account   cast.a.leaver, who left on 20 Jul 2020: not in use, without anyone ending it
    cast.a.visitor_account  Vic VisitorA of Supply Co, guest Wi-Fi, who signed the paper agreement: in use

The school uses no staff agreement (consents leaves it switched off) and nobody has answered the pupils' agreement.
No review of access rights has been signed off.
"""

from datetime import date

from devices.models import InternetAccount
from esafety.history import save_with_history

Holder = InternetAccount.Holder


def extend(cast, letter):
    school, it = cast.school, cast.users["it"]
    upper = letter.upper()

    def grant(**fields):
        account = InternetAccount(school=school, granted_by=it, **fields)
        save_with_history(account, actor=it, reason="Granted")
        return account

    cast.staff_account = grant(
        holder=Holder.STAFF,
        staff=cast.staff_member,
        username=f"tteacher{letter}",
        access="Network and e-mail",
        granted_on=date(2024, 9, 2),
    )
    cast.pupil_account = grant(
        holder=Holder.PUPIL, pupil=cast.pupil, username=f"pupil{letter}001", access="Pupil network", granted_on=date(2024, 9, 2)
    )
    cast.leaver_account = grant(
        holder=Holder.PUPIL, pupil=cast.leaver, username=f"pupil{letter}002", access="Pupil network", granted_on=date(2019, 9, 2)
    )
    cast.visitor_account = grant(
        holder=Holder.VISITOR,
        name=f"Vic Visitor{upper}",
        organisation="Supply Co",
        username=f"guest{letter}1",
        access="Guest Wi-Fi",
        granted_on=date(2025, 1, 6),
        agreement_signed_on=date(2025, 1, 6),
    )
