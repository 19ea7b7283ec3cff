"""
School devices lent to staff: IT and the office keep the register, lend a device to one member of staff and take it
back (one at a time, or a whole trolley at once); every member of staff sees the devices lent to them; overdue loans
are chased once a day; a device lost or stolen is recorded in one step, and one that holds pupils' data unencrypted
goes at once to the DSL and the head teacher, who have 72 hours to assess it as a possible personal-data breach.
"""

from datetime import date, datetime, timedelta

import pytest
import time_machine
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from devices.home.loans import school_devices_breaches, school_devices_out
from devices.models import DeviceLoan, DeviceLoss, SchoolDevice
from devices.services import loans as services
from devices.services.loans import AlreadyDone
from esafety.access import school_access_for
from esafety.models import Notification
from esafety.scoping import scope
from policies.services.policies import policy_acknowledge
from tests import factories as f

pytestmark = pytest.mark.django_db

Status = SchoolDevice.Status
LIST = reverse("devices:device_list")
MINE = reverse("devices:my_devices")
BULK = reverse("devices:device_bulk_return")
HOME = reverse("home")


def url(name, *args):
    return reverse(f"devices:{name}", args=args)


def at(year, month, day, hour=9, minute=0):
    return datetime(year, month, day, hour, minute, tzinfo=timezone.get_current_timezone())


def device(cast, tag, *, device_set="", holds_pupil_data=False, encrypted=True, kind=SchoolDevice.Kind.TABLET):
    return SchoolDevice.objects.create(
        school=cast.a.school,
        asset_tag=tag,
        kind=kind,
        make="Apple",
        model="iPad",
        device_set=device_set,
        is_encrypted=encrypted,
        encryption="iPadOS data protection" if encrypted else "",
        holds_pupil_data=holds_pupil_data,
    )


def lend(cast, dev, borrower, *, due_on=None, by="it"):
    return services.device_lend(
        device=dev, borrower=borrower, due_on=due_on or timezone.localdate() + timedelta(days=7), actor=cast.a.users[by]
    )


def titles(user):
    return list(Notification.objects.filter(recipient=user).order_by("pk").values_list("title", flat=True))


def page(response):
    return response.content.decode()


# --- The register -----------------------------------------------------------------------------------------------


def test_the_register_shows_each_device_and_who_has_it_until_when(cast, login):
    body = page(login(cast.a.users["it"]).get(LIST))
    assert "LAP-A1" in body and "TAB-A1" in body
    assert "Dell Latitude 3440" in body and "SN-LAP-A1" in body and "Trolley 1" in body
    assert "Yes (iPadOS data protection)" in body
    assert "Not encrypted" in body  # the laptop holds pupils' data unencrypted
    due = cast.a.laptop_loan.due_on
    assert f"Tutor TeacherA, until {due.day} {due:%b %Y}" in body
    assert "Overdue</span>" not in body
    assert "LAP-B1" not in body


@pytest.mark.parametrize(
    ("query", "shown", "hidden"),
    [
        ("?q=sn-tab", "TAB-A1", "LAP-A1"),
        ("?q=latitude", "LAP-A1", "TAB-A1"),
        ("?kind=laptop", "LAP-A1", "TAB-A1"),
        ("?status=available", "TAB-A1", "LAP-A1"),
        ("?device_set=Trolley+1", "TAB-A1", "LAP-A1"),
    ],
)
def test_the_register_is_searched_and_filtered(cast, login, query, shown, hidden):
    body = page(login(cast.a.users["office"]).get(LIST + query))
    assert shown in body and hidden not in body


def test_the_register_shows_only_the_overdue_and_the_leavers_devices_when_asked(cast, login):
    client = login(cast.a.users["it"])
    assert "No devices match these filters." in page(client.get(LIST + "?overdue=on"))
    DeviceLoan.objects.filter(pk=cast.a.laptop_loan.pk).update(due_on=timezone.localdate() - timedelta(days=1))
    body = page(client.get(LIST + "?overdue=on"))
    assert "LAP-A1" in body and "TAB-A1" not in body and "Overdue</span>" in body
    assert "No devices match these filters." in page(client.get(LIST + "?leavers=on"))
    cast.a.staff_member.leaving_date = timezone.localdate() + timedelta(days=5)
    cast.a.staff_member.save()
    assert "LAP-A1" in page(client.get(LIST + "?leavers=on"))


def test_a_device_is_added_and_changed_with_its_history(cast, login):
    client = login(cast.a.users["office"])
    data = {"asset_tag": "CAM-01", "kind": "camera", "make": "Canon", "model": "EOS 250D", "holds_pupil_data": "on"}
    response = client.post(url("device_new"), data, follow=True)
    added = SchoolDevice.objects.get(asset_tag="CAM-01")
    assert added.status == Status.AVAILABLE and added.holds_pupil_data and not added.is_encrypted
    assert "CAM-01 has been added to the register." in page(response)
    data.update(is_encrypted="on", encryption="")
    response = client.post(url("device_edit", added.pk), data)
    assert response.status_code == 400
    assert "Say how it is encrypted, e.g. BitLocker or FileVault." in page(response)
    data.update(encryption="SD card encryption", status="retired")
    client.post(url("device_edit", added.pk), data)
    added.refresh_from_db()
    assert added.is_encrypted and added.encryption == "SD card encryption" and added.status == Status.RETIRED
    body = page(client.get(url("device_detail", added.pk)))
    assert "(Added to the register)" in body and "(Details changed)" in body
    assert "Status: Available → Retired" in body and "Encrypted: no → yes" in body


def test_two_devices_cannot_share_an_asset_tag(cast, login):
    response = login(cast.a.users["it"]).post(url("device_new"), {"asset_tag": "lap-a1", "kind": "laptop"})
    assert response.status_code == 400
    assert "Another device already has the asset tag lap-a1." in page(response)
    assert SchoolDevice.objects.filter(asset_tag__iexact="lap-a1").count() == 1


# --- Lending and taking back -------------------------------------------------------------------------------------


def test_the_office_lends_a_device_and_the_borrower_is_told(cast, login):
    tablet, teacher = cast.a.tablet, cast.a.users["teacher"]
    due = timezone.localdate() + timedelta(days=10)
    response = login(cast.a.users["office"]).post(
        url("device_lend", tablet.pk), {"borrower": cast.a.staff_member.pk, "due_on": due.isoformat()}, follow=True
    )
    assert f"TAB-A1 is lent to Tutor TeacherA until {due:%d/%m/%Y}." in page(response)
    tablet.refresh_from_db()
    assert tablet.status == Status.ON_LOAN
    loan = DeviceLoan.objects.out().get(device=tablet)
    assert loan.borrower == cast.a.staff_member and loan.lent_by == cast.a.users["office"] and loan.due_on == due
    assert titles(teacher)[-1] == f"You have been lent TAB-A1 (tablet): return it by {due.day} {due:%b %Y}"
    assert "TAB-A1" in page(login(teacher).get(MINE))


def test_a_loan_needs_a_member_of_staff_on_roll_and_a_return_date_not_past(cast, login):
    leaver = f.make_staff(cast.a.school, "Gone", "Leaver", mis_id="GL1", leaving_date=timezone.localdate() - timedelta(days=1))
    client = login(cast.a.users["it"])
    form_page = page(client.get(url("device_lend", cast.a.tablet.pk)))
    assert "TeacherA, Tutor" in form_page and "Leaver, Gone" not in form_page and "TeacherB" not in form_page
    yesterday = (timezone.localdate() - timedelta(days=1)).isoformat()
    response = client.post(url("device_lend", cast.a.tablet.pk), {"borrower": cast.a.staff_member.pk, "due_on": yesterday})
    assert response.status_code == 400
    assert "This date has passed: give the day it is to be returned by." in page(response)
    response = client.post(url("device_lend", cast.a.tablet.pk), {"borrower": leaver.pk, "due_on": "2099-01-01"})
    assert response.status_code == 400 and "Choose a member of staff on roll." in page(response)
    with scope(school=cast.b.school):
        outsider = cast.b.staff_member.pk
    response = client.post(url("device_lend", cast.a.tablet.pk), {"borrower": outsider, "due_on": "2099-01-01"})
    assert response.status_code == 400
    assert not DeviceLoan.objects.filter(device=cast.a.tablet).exists()


def test_a_device_out_cannot_be_lent_again_and_the_second_lender_is_told_who_has_it(cast, login):
    laptop = cast.a.laptop
    other = f.make_staff(cast.a.school, "Second", "Borrower", mis_id="SB1")
    with time_machine.travel(timezone.now(), tick=False):
        response = login(cast.a.users["office"]).post(
            url("device_lend", laptop.pk), {"borrower": other.pk, "due_on": "2099-01-01"}, follow=True
        )
        lent_at = timezone.localtime(cast.a.laptop_loan.lent_at)
        due = cast.a.laptop_loan.due_on
        expected = (
            f"Already lent to Tutor TeacherA by It A at {lent_at:%H:%M} on {lent_at.day} {lent_at:%b %Y}, "
            f"to be returned by {due.day} {due:%b %Y}."
        )
        assert expected in page(response)
    assert list(DeviceLoan.objects.out().filter(device=laptop).values_list("borrower", flat=True)) == [cast.a.staff_member.pk]


def test_of_two_lending_the_same_device_the_second_is_told(cast):
    tablet = cast.a.tablet
    stale = SchoolDevice.objects.get(pk=tablet.pk)  # the second lender's page, read before the first lent it
    lend(cast, tablet, cast.a.staff_member, by="it")
    other = f.make_staff(cast.a.school, "Second", "Borrower", mis_id="SB1")
    with pytest.raises(AlreadyDone, match=r"^\['Already lent to Tutor TeacherA by It A at \d\d:\d\d"):
        lend(cast, stale, other, by="office")
    # A device whose status says otherwise is still not lent twice: its loan out is what counts.
    SchoolDevice.objects.filter(pk=tablet.pk).update(status=Status.AVAILABLE)
    with pytest.raises(AlreadyDone, match="Already lent to Tutor TeacherA by It A"):
        lend(cast, tablet, other, by="office")
    assert DeviceLoan.objects.out().filter(device=tablet).count() == 1


@pytest.mark.parametrize("status", [Status.LOST, Status.STOLEN, Status.RETIRED])
def test_a_device_lost_stolen_or_retired_cannot_be_lent(cast, login, status):
    SchoolDevice.objects.filter(pk=cast.a.tablet.pk).update(status=status)
    client = login(cast.a.users["it"])
    assert f"It cannot be lent: it is {status.label.lower()}." in page(client.get(url("device_lend", cast.a.tablet.pk)))
    client.post(url("device_lend", cast.a.tablet.pk), {"borrower": cast.a.staff_member.pk, "due_on": "2099-01-01"})
    assert not DeviceLoan.objects.filter(device=cast.a.tablet).exists()
    with pytest.raises(Exception, match=f"TAB-A1 cannot be lent: it is {status.label.lower()}."):
        lend(cast, cast.a.tablet, cast.a.staff_member)


def test_a_device_is_taken_back_with_a_note_of_its_condition(cast, login):
    laptop = cast.a.laptop
    client = login(cast.a.users["it"])
    response = client.post(url("device_return", laptop.pk), {"condition_note": "Charger missing"}, follow=True)
    assert "LAP-A1 has been taken back from Tutor TeacherA." in page(response)
    loan = DeviceLoan.objects.get(pk=cast.a.laptop_loan.pk)
    assert loan.returned_at is not None and loan.returned_to == cast.a.users["it"] and loan.condition_note == "Charger missing"
    laptop.refresh_from_db()
    assert laptop.status == Status.AVAILABLE
    assert "LAP-A1" not in page(login(cast.a.users["teacher"]).get(MINE))
    # A second press, from a page left open, changes nothing and says who took it back.
    response = login(cast.a.users["office"]).post(url("device_return", laptop.pk), {"condition_note": "Fine"}, follow=True)
    assert "Already returned: taken back by It A at " in page(response)
    loan.refresh_from_db()
    assert loan.condition_note == "Charger missing"


def test_the_device_page_shows_its_loans_and_history(cast, login):
    laptop = cast.a.laptop
    services.device_return(device=laptop, actor=cast.a.users["office"], condition_note="Scratched lid")
    lend(cast, laptop, f.make_staff(cast.a.school, "Nadia", "Newcomer", mis_id="NN1"))
    body = page(login(cast.a.users["it"]).get(url("device_detail", laptop.pk)))
    assert "Lent to <strong>Nadia Newcomer</strong>" in body
    assert "Scratched lid" in body and "Tutor TeacherA" in body
    assert "(Returned by Tutor TeacherA)" in body and "(Lent to Nadia Newcomer)" in body
    assert "Status: On loan → Available" in body and "Status: Available → On loan" in body
    assert "Take it back" in body and "Report it lost or stolen" in body


# --- Taking a trolley back at once ------------------------------------------------------------------------------


def test_a_whole_set_is_taken_back_at_once_with_one_note(cast, login):
    second = device(cast, "TAB-A2", device_set="Trolley 1")
    other_set = device(cast, "TAB-C1", device_set="Trolley 2")
    borrower = f.make_staff(cast.a.school, "Year", "Six", mis_id="Y6")
    for each in (cast.a.tablet, second, other_set):
        lend(cast, each, borrower)
    client = login(cast.a.users["office"])
    form_page = page(client.get(BULK))
    assert "TAB-A2" in form_page and "LAP-A1" in form_page and "Trolley 2" in form_page
    response = client.post(BULK, {"device_set": "Trolley 1", "condition_note": "All charged"}, follow=True)
    assert "2 devices taken back: TAB-A1, TAB-A2." in page(response)
    returned = DeviceLoan.objects.filter(device__device_set="Trolley 1")
    assert {(loan.condition_note, loan.returned_to) for loan in returned} == {("All charged", cast.a.users["office"])}
    assert set(SchoolDevice.objects.filter(device_set="Trolley 1").values_list("status", flat=True)) == {Status.AVAILABLE}
    assert DeviceLoan.objects.out().filter(device__in=[other_set, cast.a.laptop]).count() == 2
    history = cast.a.tablet.history.order_by("-history_date", "-history_id").first()
    assert history.history_change_reason == "Returned with others" and history.history_user == cast.a.users["office"]


def test_devices_ticked_are_taken_back(cast, login):
    lend(cast, cast.a.tablet, f.make_staff(cast.a.school, "Year", "Six", mis_id="Y6"))
    response = login(cast.a.users["it"]).post(
        BULK, {"devices": [str(cast.a.laptop.pk), str(cast.a.tablet.pk)], "condition_note": ""}, follow=True
    )
    assert "2 devices taken back: LAP-A1, TAB-A1." in page(response)
    assert not DeviceLoan.objects.out().exists()


def test_a_bulk_return_takes_back_all_the_devices_or_none(cast, login):
    # A device taken back by someone else while the page was open: nothing is taken back, and the page says so.
    lend(cast, cast.a.tablet, f.make_staff(cast.a.school, "Year", "Six", mis_id="Y6"))
    services.device_return(device=cast.a.tablet, actor=cast.a.users["office"])
    response = login(cast.a.users["it"]).post(BULK, {"devices": [str(cast.a.laptop.pk), str(cast.a.tablet.pk)]})
    assert response.status_code == 400
    assert "One of the devices ticked is no longer on loan: choose again." in page(response)
    assert DeviceLoan.objects.out().filter(device=cast.a.laptop).exists()
    # The service itself checks every device first, under a lock.
    with pytest.raises(AlreadyDone, match="Nothing was taken back: TAB-A1 is no longer on loan"):
        services.devices_bulk_return(
            school=cast.a.school, devices=[cast.a.laptop, cast.a.tablet], actor=cast.a.users["it"], condition_note="x"
        )
    assert DeviceLoan.objects.out().filter(device=cast.a.laptop).exists()
    cast.a.laptop.refresh_from_db()
    assert cast.a.laptop.status == Status.ON_LOAN


def test_a_bulk_return_needs_a_set_or_ticks(cast, login):
    lend(cast, cast.a.tablet, f.make_staff(cast.a.school, "Year", "Six", mis_id="Y6"))
    client = login(cast.a.users["it"])
    response = client.post(BULK, {"condition_note": "x"})
    assert response.status_code == 400 and "Choose a set, or tick the devices to take back." in page(response)
    response = client.post(BULK, {"device_set": "Trolley 1", "devices": [str(cast.a.laptop.pk)]})
    assert response.status_code == 400 and "Choose a set or tick devices, not both." in page(response)
    assert DeviceLoan.objects.out().filter(device=cast.a.laptop).exists()


# --- My devices -------------------------------------------------------------------------------------------------


def test_my_devices_shows_only_the_devices_lent_to_me(cast, login):
    someone = f.make_staff(cast.a.school, "Other", "Person", mis_id="OP1", user=cast.a.users["office"])
    # Read already, so that the office's pages are not the policies to read (policies.middleware).
    policy_acknowledge(version=cast.a.policy_version, staff_member=someone, actor=cast.a.users["office"])
    lend(cast, cast.a.tablet, someone)
    body = page(login(cast.a.users["teacher"]).get(MINE))
    assert "LAP-A1" in body and "TAB-A1" not in body
    due = cast.a.laptop_loan.due_on
    assert f"{due.day} {due:%b %Y}" in body and "Overdue</span>" not in body
    assert url("device_report_loss", cast.a.laptop.pk) in body
    assert reverse("devices:equipment_list") in body
    office_page = page(login(cast.a.users["office"]).get(MINE))
    assert "TAB-A1" in office_page and "LAP-A1" not in office_page
    assert "No school device is lent to you." in page(login(cast.a.users["dsl"]).get(MINE))


def test_my_devices_marks_a_device_overdue(cast, login):
    DeviceLoan.objects.filter(pk=cast.a.laptop_loan.pk).update(due_on=timezone.localdate() - timedelta(days=2))
    assert "Overdue</span>" in page(login(cast.a.users["teacher"]).get(MINE))


# --- Overdue reminders ------------------------------------------------------------------------------------------


def test_overdue_loans_are_reminded_once_a_day_to_the_borrower_and_it(cast, django_capture_on_commit_callbacks):
    school, teacher, it = cast.a.school, cast.a.users["teacher"], cast.a.users["it"]
    due = cast.a.laptop_loan.due_on
    no_login = f.make_staff(cast.a.school, "No", "Login", mis_id="NL1")
    lend(cast, cast.a.tablet, no_login, due_on=due)
    with time_machine.travel(at(due.year, due.month, due.day, 7), tick=False):
        assert services.loans_overdue_remind(school=school, today=timezone.localdate()) == 0  # due today: not overdue
    day_after = due + timedelta(days=1)
    mail.outbox.clear()
    with time_machine.travel(at(day_after.year, day_after.month, day_after.day, 7), tick=False):
        with django_capture_on_commit_callbacks(execute=True):
            assert services.loans_overdue_remind(school=school, today=day_after) == 2
        assert services.loans_overdue_remind(school=school, today=day_after) == 0  # run again: nothing twice
    assert titles(teacher)[-1] == f"Please return LAP-A1 (laptop): it was due back on {due.day} {due:%b %Y}"
    assert Notification.objects.filter(recipient=teacher, title__startswith="Please return").count() == 1
    assert [m.to for m in mail.outbox] == [[teacher.email]]
    assert "1 day overdue" in Notification.objects.get(recipient=teacher, title__startswith="Please return").body
    assert titles(it).count("2 school device loans overdue: their borrowers have been reminded") == 1
    assert not Notification.objects.filter(recipient=cast.a.users["office"], title__contains="overdue").exists()
    assert set(DeviceLoan.objects.out().values_list("reminded_on", flat=True)) == {day_after}
    next_day = day_after + timedelta(days=1)
    with time_machine.travel(at(next_day.year, next_day.month, next_day.day, 7), tick=False):
        assert services.loans_overdue_remind(school=school, today=next_day) == 2
    assert Notification.objects.filter(recipient=teacher, title__startswith="Please return").count() == 2
    # The stamp is not a change anyone made: the loan's history does not show it.
    assert cast.a.laptop_loan.history.count() == 1


def test_a_returned_loan_is_not_reminded_and_the_other_school_is_not_touched(cast):
    DeviceLoan.objects.filter(pk=cast.a.laptop_loan.pk).update(due_on=timezone.localdate() - timedelta(days=3))
    services.device_return(device=cast.a.laptop, actor=cast.a.users["it"])
    assert services.loans_overdue_remind(school=cast.a.school, today=timezone.localdate()) == 0
    with scope(school=cast.b.school):
        DeviceLoan.objects.filter(pk=cast.b.laptop_loan.pk).update(due_on=timezone.localdate() - timedelta(days=3))
        assert services.loans_overdue_remind(school=cast.b.school, today=timezone.localdate()) == 1
    assert titles(cast.b.users["teacher"])[-1].startswith("Please return LAP-B1")
    assert not Notification.objects.filter(recipient=cast.a.users["it"], title__contains="overdue").exists()


# --- IT's home page ---------------------------------------------------------------------------------------------


def test_it_sees_overdue_loans_and_leavers_still_holding_devices(cast, login):
    today = timezone.localdate()
    body = page(login(cast.a.users["it"]).get(HOME))
    assert "School devices lent to staff" in body and "No loans are overdue." in body
    assert "No leaver holds a school device." in body
    member = cast.a.staff_member
    member.leaving_date = today + timedelta(days=10)
    member.save()
    gone = f.make_staff(cast.a.school, "Former", "Colleague", mis_id="FC1")
    lend(cast, cast.a.tablet, gone, due_on=today)
    gone.leaving_date = today - timedelta(days=3)
    gone.save()
    DeviceLoan.objects.filter(pk=cast.a.laptop_loan.pk).update(due_on=today - timedelta(days=1))
    later = f.make_staff(cast.a.school, "Staying", "Awhile", mis_id="SA1", leaving_date=today + timedelta(days=20))
    lend(cast, device(cast, "TAB-A9"), later)
    body = page(login(cast.a.users["it"]).get(HOME))
    assert "1 loan overdue." in body
    assert "Leavers still holding devices" in body
    leaves = member.leaving_date
    gone_on = gone.leaving_date
    assert f"Tutor TeacherA (leaves {leaves.day} {leaves:%b %Y}): " in body
    assert f"Former Colleague (left {gone_on.day} {gone_on:%b %Y}): " in body
    assert "Staying Awhile" not in body
    assert "Leavers still holding devices" in page(login(cast.a.users["office"]).get(HOME))
    teacher_home = page(login(cast.a.users["teacher"]).get(HOME))
    assert "School devices lent to staff" not in teacher_home


# --- Lost or stolen ---------------------------------------------------------------------------------------------


def loss_data(**extra):
    return {"kind": "stolen", "circumstances": "Taken from my car at the services", "police_reference": "CR/123/26", **extra}


def test_the_borrower_reports_an_unencrypted_laptop_stolen_and_the_dsl_and_head_are_told_at_once(
    cast, login, django_capture_on_commit_callbacks
):
    teacher, laptop = cast.a.users["teacher"], cast.a.laptop
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        response = login(teacher).post(url("device_report_loss", laptop.pk), loss_data(), follow=True)
    loss = DeviceLoss.objects.get(device=laptop)
    assert loss.kind == "stolen" and loss.reported_by == teacher and loss.police_reference == "CR/123/26"
    assert loss.possible_breach
    laptop.refresh_from_db()
    assert laptop.status == Status.STOLEN
    loan = DeviceLoan.objects.get(pk=cast.a.laptop_loan.pk)
    assert loan.returned_at == loss.reported_at and loan.returned_to == teacher
    assert loan.condition_note.startswith("Not returned: reported stolen on ")
    body = page(response)
    assert "the DSL and the head teacher have been told at once" in body
    assert "The 72 hours to report a breach" in body
    told = Notification.objects.filter(link=url("loss_detail", loss.pk), send_email=True)
    assert set(told.values_list("recipient__email", flat=True)) == {cast.a.users["dsl"].email, cast.a.users["head"].email}
    assert sorted(m.to[0] for m in mail.outbox) == sorted([cast.a.users["dsl"].email, cast.a.users["head"].email])
    notice = told.first()
    assert notice.title == "Possible personal-data breach: school device LAP-A1 stolen"
    assert "within 72 hours" in notice.body and "ICO" in notice.body
    keepers = Notification.objects.filter(link=url("loss_detail", loss.pk), send_email=False)
    assert set(keepers.values_list("recipient", flat=True)) == {cast.a.users["it"].pk, cast.a.users["office"].pk}
    assert "LAP-A1" not in page(login(teacher).get(MINE))
    assert "Report it as soon as you notice" not in page(login(teacher).get(url("loss_detail", loss.pk)))


def test_an_encrypted_device_lost_is_no_breach_notice(cast, login):
    tablet = cast.a.tablet
    response = login(cast.a.users["it"]).post(url("device_report_loss", tablet.pk), loss_data(kind="lost"), follow=True)
    loss = DeviceLoss.objects.get(device=tablet)
    assert not loss.possible_breach
    tablet.refresh_from_db()
    assert tablet.status == Status.LOST
    assert "TAB-A1 is recorded as lost." in page(response)
    assert "The 72 hours" not in page(response)
    assert not Notification.objects.filter(
        recipient__in=[cast.a.users["dsl"], cast.a.users["head"]], title__contains="TAB-A1"
    ).exists()
    assert Notification.objects.filter(
        recipient=cast.a.users["office"], title="School device TAB-A1 reported lost by It A"
    ).exists()


def test_a_device_holding_no_pupil_data_lost_is_no_breach_notice(cast):
    camera = device(cast, "CAM-01", encrypted=False, holds_pupil_data=False, kind=SchoolDevice.Kind.CAMERA)
    loss = services.device_report_loss(device=camera, actor=cast.a.users["office"], kind="lost", circumstances="Left on a bus")
    assert not loss.possible_breach
    assert not Notification.objects.filter(recipient=cast.a.users["dsl"], title__contains="CAM-01").exists()


def test_a_borrower_reports_only_a_device_lent_to_them(cast, login):
    teacher = login(cast.a.users["teacher"])
    assert teacher.get(url("device_report_loss", cast.a.tablet.pk)).status_code == 404
    assert teacher.post(url("device_report_loss", cast.a.tablet.pk), loss_data()).status_code == 404
    dsl = login(cast.a.users["dsl"])
    assert dsl.post(url("device_report_loss", cast.a.laptop.pk), loss_data()).status_code == 404
    assert not DeviceLoss.objects.exists()
    # Taken back after the borrower opened the form: their report is refused, and says why.
    form_open = SchoolDevice.objects.get(pk=cast.a.laptop.pk)
    services.device_return(device=cast.a.laptop, actor=cast.a.users["it"])
    with pytest.raises(Exception, match="This device is no longer lent to you"):
        services.device_report_loss(
            device=form_open, actor=cast.a.users["teacher"], kind="lost", circumstances="x", as_borrower=True
        )
    assert not DeviceLoss.objects.exists()


def test_a_device_is_reported_lost_once(cast, login):
    services.device_report_loss(device=cast.a.laptop, actor=cast.a.users["teacher"], kind="lost", circumstances="Gone")
    response = login(cast.a.users["it"]).post(url("device_report_loss", cast.a.laptop.pk), loss_data(), follow=True)
    assert "Already reported lost by Teacher A at " in page(response)
    assert DeviceLoss.objects.count() == 1


def test_a_report_needs_what_happened(cast, login):
    response = login(cast.a.users["teacher"]).post(url("device_report_loss", cast.a.laptop.pk), loss_data(circumstances=""))
    assert response.status_code == 400
    assert "Say what happened: where and when it was last seen." in page(response)
    assert not DeviceLoss.objects.exists()


def test_the_loss_page_shows_the_72_hour_clock(cast, login):
    with time_machine.travel(at(2026, 3, 10, 9, 0), tick=False):
        loss = services.device_report_loss(device=cast.a.laptop, actor=cast.a.users["teacher"], kind="lost", circumstances="x")
    with time_machine.travel(at(2026, 3, 11, 10, 30), tick=False):
        dsl = login(cast.a.users["dsl"])
        body = page(dsl.get(url("loss_detail", loss.pk)))
        assert "10 Mar 2026 09:00" in body and "13 Mar 2026 09:00" in body
        assert "Time left" in body and "1 day 22 hours left." in body
        home = page(dsl.get(HOME))
        assert "Lost devices: possible data breaches to assess" in home
        assert "LAP-A1 lost</a>. Deadline 13 Mar 2026 09:00: 1 day 22 hours left." in home
    with time_machine.travel(at(2026, 3, 13, 8, 35), tick=False):
        dsl = login(cast.a.users["dsl"])
        assert "25 minutes left." in page(dsl.get(url("loss_detail", loss.pk)))
    with time_machine.travel(at(2026, 3, 13, 12, 15), tick=False):
        dsl = login(cast.a.users["dsl"])
        body = page(dsl.get(url("loss_detail", loss.pk)))
        assert "Overdue" in body and "The 72 hours ran out 3 hours 15 minutes ago." in body
        assert "The 72 hours ran out 3 hours 15 minutes ago." in page(login(cast.a.users["head"]).get(HOME))


def test_the_dsl_records_the_assessment(cast, login):
    with time_machine.travel(at(2026, 3, 10, 9, 0), tick=False):
        loss = services.device_report_loss(device=cast.a.laptop, actor=cast.a.users["teacher"], kind="lost", circumstances="x")
    data = {"assessment": "Class lists of 7A in a spreadsheet", "reported_to_ico": "no", "ico_detail": ""}
    with time_machine.travel(at(2026, 3, 11, 15, 0), tick=False):
        dsl = login(cast.a.users["dsl"])
        response = dsl.post(url("loss_assess", loss.pk), data)
        assert response.status_code == 400
        assert "Give the ICO&#x27;s reference, or say why it was not reported." in page(response)
        data["ico_detail"] = "Names and forms only, no sensitive data: low risk"
        response = dsl.post(url("loss_assess", loss.pk), data, follow=True)
        body = page(response)
        assert "The assessment has been recorded." in body
        assert "Assessed by Dsl A on 11 Mar 2026 15:00." in body
        assert "Not reported to the ICO: Names and forms only, no sensitive data: low risk" in body
        assert "Assessed 1 day 6 hours after it was reported, within the 72 hours." in body
        assert "(Breach assessed)" in body
        assert "Lost devices: possible data breaches to assess" not in page(dsl.get(HOME))
        again = login(cast.a.users["head"]).post(url("loss_assess", loss.pk), {**data, "reported_to_ico": "yes"}, follow=True)
        assert "Already assessed by Dsl A at 15:00." in page(again)
    loss.refresh_from_db()
    assert loss.breach_assessed_by == cast.a.users["dsl"]
    assert loss.breach_outcome.startswith("Class lists of 7A in a spreadsheet")
    # The reporter sees that it was assessed, not what was found.
    reporter_page = page(login(cast.a.users["teacher"]).get(url("loss_detail", loss.pk)))
    assert "Assessed by Dsl A" in reporter_page and "Class lists of 7A" not in reporter_page
    assert login(cast.a.users["it"]).post(url("loss_assess", loss.pk), data).status_code == 403


def test_a_loss_that_is_no_breach_is_not_assessed(cast, login):
    loss = services.device_report_loss(device=cast.a.tablet, actor=cast.a.users["it"], kind="lost", circumstances="x")
    body = page(login(cast.a.users["dsl"]).get(url("loss_detail", loss.pk)))
    assert "Record the assessment" not in body
    data = {"assessment": "x", "reported_to_ico": "no", "ico_detail": "y"}
    response = login(cast.a.users["dsl"]).post(url("loss_assess", loss.pk), data, follow=True)
    assert "there is no breach to assess" in page(response)
    loss.refresh_from_db()
    assert loss.breach_assessed_at is None


# --- Who sees what ------------------------------------------------------------------------------------------------


def test_a_teacher_cannot_open_the_register(cast, login):
    teacher = login(cast.a.users["teacher"])
    for address in (LIST, url("device_detail", cast.a.laptop.pk), url("device_new"), BULK, url("device_import")):
        assert teacher.get(address).status_code == 403
    assert teacher.post(url("device_return", cast.a.laptop.pk)).status_code == 403


def test_another_schools_devices_and_losses_are_not_found(cast, login):
    loss = services.device_report_loss(device=cast.a.laptop, actor=cast.a.users["teacher"], kind="lost", circumstances="x")
    it_b = login(cast.b.users["it"])
    assert it_b.get(url("device_detail", cast.a.tablet.pk)).status_code == 404
    assert it_b.post(url("device_return", cast.a.laptop.pk)).status_code == 404
    assert it_b.get(url("loss_detail", loss.pk)).status_code == 404
    assert login(cast.b.users["dsl"]).get(url("loss_detail", loss.pk)).status_code == 404
    assert "LAP-A1" not in page(it_b.get(LIST))
    assert "LAP-A1" not in page(login(cast.b.users["teacher"]).get(MINE))
    assert "LAP-A1" not in page(login(cast.b.users["dsl"]).get(HOME))
    # At school A, the e-safety lead neither keeps the register nor assesses breaches.
    assert login(cast.a.users["lead"]).get(url("loss_detail", loss.pk)).status_code == 404


# --- Query counts -------------------------------------------------------------------------------------------------


def _queries(client, address) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(address).status_code == 200
    return len(queries)


def _more_devices_and_loans(cast, n, start=0):
    for i in range(start, start + n):
        each = device(cast, f"GROW-{i:03}", device_set=f"Trolley {i % 3}", holds_pupil_data=i % 2 == 0)
        borrower = f.make_staff(cast.a.school, f"Grown{i}", "Borrower", mis_id=f"GB{i}", user=None)
        lend(cast, each, borrower, due_on=timezone.localdate() + timedelta(days=i % 5))
        if i % 3 == 0:
            services.device_return(device=each, actor=cast.a.users["it"], condition_note="ok")
            lend(cast, each, cast.a.staff_member)


@pytest.mark.parametrize("query", ["", "?overdue=on", "?q=grow&kind=tablet&device_set=Trolley+1"])
def test_the_register_runs_the_same_queries_however_many_devices(cast, login, query, django_assert_num_queries):
    client = login(cast.a.users["it"])
    _more_devices_and_loans(cast, 2)
    DeviceLoan.objects.out().update(due_on=date(2020, 1, 1))
    _queries(client, LIST + query)
    few = _queries(client, LIST + query)
    _more_devices_and_loans(cast, 25, start=2)
    DeviceLoan.objects.out().update(due_on=date(2020, 1, 1))
    with django_assert_num_queries(few):
        body = page(client.get(LIST + query))
    assert "GROW-0" in body


def test_the_device_page_and_my_devices_run_the_same_queries_however_many_loans(cast, login, django_assert_num_queries):
    laptop, client = cast.a.laptop, login(cast.a.users["it"])
    services.device_return(device=laptop, actor=cast.a.users["it"])
    _queries(client, url("device_detail", laptop.pk))
    few = _queries(client, url("device_detail", laptop.pk))
    mine = _queries(client, MINE)
    for i in range(6):
        lend(cast, laptop, f.make_staff(cast.a.school, f"Many{i}", "Borrower", mis_id=f"MB{i}"))
        services.device_return(device=laptop, actor=cast.a.users["office"], condition_note=f"Note {i}")
    it_member = f.make_staff(cast.a.school, "It", "Person", mis_id="IT1", user=cast.a.users["it"])
    policy_acknowledge(version=cast.a.policy_version, staff_member=it_member, actor=cast.a.users["it"])
    _more_devices_and_loans(cast, 4)
    for each in SchoolDevice.objects.filter(asset_tag__startswith="GROW"):
        services.device_return(device=each, actor=cast.a.users["it"])
        lend(cast, each, it_member)
    with django_assert_num_queries(few):
        assert "Note 5" in page(client.get(url("device_detail", laptop.pk)))
    with django_assert_num_queries(mine):
        assert "GROW-003" in page(client.get(MINE))


def _panel_request(rf, user):
    request = rf.get(HOME)
    request.user = user
    request.access = school_access_for(user)
    return request


def test_the_home_panels_cost_a_fixed_number_of_queries(cast, rf, django_assert_num_queries):
    it, dsl = _panel_request(rf, cast.a.users["it"]), _panel_request(rf, cast.a.users["dsl"])
    with django_assert_num_queries(2):  # loans overdue; leavers holding devices, with their devices
        assert school_devices_out(it)["overdue"] == 0
    with django_assert_num_queries(1):  # losses to assess, with their devices: none, so no panel
        assert school_devices_breaches(dsl) is None
    today = timezone.localdate()
    for i in range(12):
        leaver = f.make_staff(cast.a.school, f"Leaving{i}", "Soon", mis_id=f"LS{i}", leaving_date=today + timedelta(days=3))
        each = device(cast, f"PANEL-{i:02}", encrypted=False, holds_pupil_data=True)
        lend(cast, each, leaver)
        services.device_report_loss(device=each, actor=cast.a.users["it"], kind="lost", circumstances="x")
        lend(cast, device(cast, f"KEPT-{i:02}"), leaver, due_on=today)
    DeviceLoan.objects.out().update(due_on=today - timedelta(days=1))
    with django_assert_num_queries(2):
        panel = school_devices_out(it)
    assert panel["overdue"] == 13 and len(panel["leavers"]) == 10 and panel["more_leavers"]
    with django_assert_num_queries(1):
        assert len(school_devices_breaches(dsl)["losses"]) == 12
    assert school_devices_out(dsl) is None and school_devices_breaches(it) is None
