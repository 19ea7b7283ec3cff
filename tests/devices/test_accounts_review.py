"""
The yearly review of access rights: the page lists what changed since the last review (accounts granted, accounts
ended, holders who left) and the accounts in use whose holder has not accepted their agreement; IT signs it off with
findings and the figures are kept. IT is reminded when it falls due, then once a week; IT's home page says when it is
due and how many leavers' accounts have ended by themselves.
"""

import html
from datetime import date, datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from devices.models import AccessReview, DeviceSettings, InternetAccount
from devices.services import accounts as services
from esafety.models import Notification, Pupil, StaffMember
from esafety.scoping import scope
from filtering.services.changes import AlreadyDone
from tests import factories as f

pytestmark = pytest.mark.django_db

Holder = InternetAccount.Holder
LIST = reverse("devices:access_review_list")
NEW = reverse("devices:access_review_new")
HOME = reverse("home")
TZ = timezone.get_current_timezone()


def at(*parts) -> datetime:
    return datetime(*parts, tzinfo=TZ)


def detail(review):
    return reverse("devices:access_review_detail", args=[review.pk])


def page_of(response) -> str:
    return " ".join(html.unescape(response.content.decode()).split())


def section(page: str, heading: str) -> str:
    """The text of one section of the review page, from its heading to the next one."""
    return page.split(heading, 1)[1].split("<h2", 1)[0]


def sign(cast, findings="Checked every account against the MIS.", letter="a"):
    school = getattr(cast, letter)
    last = AccessReview.objects.filter(school=school.school).order_by("-signed_at").first()
    return services.access_review_sign(
        school=school.school, actor=school.users["it"], findings=findings, previous_id=last.pk if last else None
    )


def grant(cast, username, **fields):
    fields.setdefault("holder", Holder.VISITOR)
    if fields["holder"] == Holder.VISITOR:
        fields.setdefault("name", f"Visitor {username}")
        fields.setdefault("agreement_signed_on", timezone.localdate())
    return services.internet_account_grant(
        school=cast.a.school,
        actor=cast.a.users["it"],
        username=username,
        access="Guest Wi-Fi",
        granted_on=timezone.localdate(),
        **fields,
    )


def it_notifications(cast):
    """The titles of IT's reminders, newest first."""
    notifications = Notification.objects.filter(recipient=cast.a.users["it"], link=NEW).order_by("-pk")
    return list(notifications.values_list("title", flat=True))


# --- The review page and signing off ------------------------------------------------------------------------------


def test_the_first_review_lists_every_account_and_is_signed_off_with_its_figures(cast, login):
    client = login(cast.a.users["it"])
    page = page_of(client.get(NEW))
    assert "This is the first review: every account on the register. 3 accounts are in use." in page
    granted = section(page, "Accounts granted (4)")
    assert all(name in granted for name in ("tteachera", "pupila001", "pupila002", "guesta1"))
    ended = section(page, "Accounts ended, or whose holder left (1)")
    assert "pupila002" in ended and "Left on 20 Jul 2020" in ended and "guesta1" not in ended
    # Alice has not answered the pupils' agreement; the school asks staff for none; the visitor signed on paper.
    missing = section(page, "Accounts in use without an acceptable-use agreement (1)")
    assert "pupila001" in missing and "Not given" in missing and "tteachera" not in missing and "guesta1" not in missing

    response = client.post(NEW, {"findings": "All accounts checked against the MIS.", "previous": ""}, follow=True)
    review = AccessReview.objects.get(school=cast.a.school)
    assert (review.accounts_in_use, review.granted, review.ended, review.since) == (3, 4, 1, None)
    assert review.reviewed_by == cast.a.users["it"] and review.findings == "All accounts checked against the MIS."
    assert review.history.get().history_change_reason == "Signed off"
    page = page_of(response)
    assert "The review of internet accounts and access rights has been signed off." in page
    assert "It was the first review: it covers every account on the register." in page
    assert "History" in page and "(Signed off)" in page


def test_the_next_review_lists_only_what_changed_since_the_last_one(cast, login, time_machine):
    time_machine.move_to(at(2031, 3, 3, 10), tick=False)
    first = sign(cast)
    leaver = f.make_staff(cast.a.school, "Lena", "Leaving", mis_id="LL1")
    time_machine.move_to(at(2031, 6, 2, 10), tick=False)
    grant(cast, "lleaving", holder=Holder.STAFF, staff=leaver)
    grant(cast, "newguest")
    services.internet_account_end(
        account=cast.a.visitor_account, actor=cast.a.users["it"], ended_on=date(2031, 6, 2), reason="Visit over"
    )
    time_machine.move_to(at(2031, 9, 1, 10), tick=False)
    # The MIS import: Lena left at the end of August, and Alice left in July.
    StaffMember.objects.filter(pk=leaver.pk).update(leaving_date=date(2031, 8, 31))
    Pupil.objects.filter(pk=cast.a.pupil.pk).update(leaving_date=date(2031, 7, 22))
    client = login(cast.a.users["it"])
    page = page_of(client.get(NEW))
    assert "What has changed since the last review, signed off on 3 Mar 2031 at 10:00 by It A. 2 accounts are in use." in page
    granted = section(page, "Accounts granted (2)")
    assert "lleaving" in granted and "newguest" in granted and "tteachera" not in granted
    ended = section(page, "Accounts ended, or whose holder left (3)")
    assert "Ended 2 Jun 2031: Visit over" in ended and "Left on 31 Aug 2031" in ended and "Left on 22 Jul 2031" in ended
    assert "pupila002" not in ended

    client.post(NEW, {"findings": "Leavers' accounts closed on the network.", "previous": str(first.pk)})
    review = AccessReview.objects.get(school=cast.a.school, since=first.signed_at)
    assert (review.accounts_in_use, review.granted, review.ended) == (2, 2, 3)
    assert review.signed_at == at(2031, 9, 1, 10)
    # The signed review shows what changed in its period, not what has changed since.
    time_machine.move_to(at(2031, 9, 1, 10, 5), tick=False)
    grant(cast, "later")
    client = login(cast.a.users["it"])
    page = page_of(client.get(detail(review)))
    assert "It covers the changes since the previous review, signed off on 3 Mar 2031." in page
    assert "Leavers' accounts closed on the network." in page
    assert "lleaving" in section(page, "Accounts granted (2)") and "later" not in page
    assert "Left on 22 Jul 2031" in section(page, "Accounts ended, or whose holder left (3)")
    assert "Accounts in use without" not in page


def test_an_account_recorded_late_is_listed_as_granted_since_the_last_review(cast, login, time_machine):
    time_machine.move_to(at(2031, 3, 3, 10), tick=False)
    sign(cast)
    time_machine.move_to(at(2031, 4, 1, 10), tick=False)
    services.internet_account_grant(
        school=cast.a.school,
        actor=cast.a.users["it"],
        holder=Holder.COMMUNITY,
        name="Chess Club",
        agreement_signed_on=date(2031, 2, 1),
        username="chess",
        access="Guest Wi-Fi",
        granted_on=date(2031, 2, 1),
    )
    page = page_of(login(cast.a.users["it"]).get(NEW))
    assert "chess" in section(page, "Accounts granted (1)")


def test_the_staff_agreement_not_accepted_is_listed_for_the_review(cast, login):
    staff_aup = cast.a.consent_types["staff_aup"]
    staff_aup.is_active = True
    staff_aup.save()
    page = page_of(login(cast.a.users["it"]).get(NEW))
    missing = section(page, "Accounts in use without an acceptable-use agreement (2)")
    assert "tteachera" in missing and "Not accepted" in missing and "pupila001" in missing


def test_findings_are_needed_to_sign_off(cast, login):
    response = login(cast.a.users["it"]).post(NEW, {"findings": " ", "previous": ""})
    assert response.status_code == 400
    assert "Write what you checked and found, even if everything was in order." in page_of(response)
    assert not AccessReview.objects.exists()


def test_a_review_signed_off_meanwhile_is_not_signed_over_and_the_findings_are_kept(cast, login):
    client = login(cast.a.users["it"])
    assert 'name="previous" id="id_previous"' in client.get(NEW).content.decode()
    other = sign(cast, findings="Done by the other technician.")
    response = client.post(NEW, {"findings": "My own findings.", "previous": ""})
    page = page_of(response)
    assert response.status_code == 200
    assert "It A signed off a review at" in page and "while you were writing yours" in page
    assert "My own findings." in page and f'name="previous" value="{other.pk}"' in page
    assert AccessReview.objects.count() == 1
    with pytest.raises(AlreadyDone):
        services.access_review_sign(school=cast.a.school, actor=cast.a.users["it"], findings="Again", previous_id=None)


def test_when_the_next_review_is_due(cast, login, time_machine):
    time_machine.move_to(at(2031, 1, 31, 10), tick=False)
    client = login(cast.a.users["head"])
    assert "No review of access rights has been signed off yet: the first one is due now." in page_of(client.get(LIST))
    sign(cast)
    page = page_of(client.get(LIST))
    assert "The next review of access rights is due by <strong>31 Jan 2032</strong>." in page
    assert "<td>3</td> <td>4</td> <td>1</td>" in page
    DeviceSettings.objects.filter(school=cast.a.school).update(access_review_months=1)
    assert "The next review of access rights is due by <strong>28 Feb 2031</strong>." in page_of(client.get(LIST))
    time_machine.move_to(at(2031, 3, 1, 10), tick=False)
    client = login(cast.a.users["head"])
    assert "Overdue: the next review of access rights was due on 28 Feb 2031." in page_of(client.get(LIST))
    assert "Review access rights now" not in page_of(client.get(LIST))  # the head reads, IT signs off
    assert client.get(NEW).status_code == 403


# --- The reminder ----------------------------------------------------------------------------------------------------


def test_it_is_reminded_when_the_review_falls_due_then_once_a_week(cast, time_machine):
    time_machine.move_to(at(2030, 3, 1, 10), tick=False)
    sign(cast)
    assert services.access_review_remind(school=cast.a.school, today=date(2031, 2, 28)) == 0
    assert services.access_review_remind(school=cast.a.school, today=date(2031, 3, 1)) == 1
    assert it_notifications(cast) == ["The review of internet accounts and access rights is due today"]
    assert services.access_review_remind(school=cast.a.school, today=date(2031, 3, 1)) == 0
    assert services.access_review_remind(school=cast.a.school, today=date(2031, 3, 7)) == 0
    assert services.access_review_remind(school=cast.a.school, today=date(2031, 3, 8)) == 1
    assert it_notifications(cast)[0] == "The review of internet accounts and access rights is overdue: it was due on 1 Mar 2031"
    assert services.access_review_remind(school=cast.a.school, today=date(2031, 3, 9)) == 0
    assert DeviceSettings.objects.get(school=cast.a.school).access_review_reminded_on == date(2031, 3, 8)
    # Only IT is told, and only at its own school.
    assert not Notification.objects.filter(link=NEW).exclude(recipient=cast.a.users["it"]).exists()


def test_a_review_signed_off_stops_the_reminders_until_the_next_one_falls_due(cast, time_machine):
    time_machine.move_to(at(2031, 3, 2, 10), tick=False)
    assert services.access_review_remind(school=cast.a.school, today=date(2031, 3, 2)) == 1
    assert it_notifications(cast) == ["No review of internet accounts and access rights has been signed off yet: it is due now"]
    assert services.access_review_remind(school=cast.a.school, today=date(2031, 3, 3)) == 0
    time_machine.move_to(at(2031, 3, 9, 10), tick=False)
    assert services.access_review_remind(school=cast.a.school, today=date(2031, 3, 9)) == 1
    sign(cast)
    assert services.access_review_remind(school=cast.a.school, today=date(2031, 3, 16)) == 0
    # Falling due a year on, it is sent at once, whatever the last reminder's day.
    assert services.access_review_remind(school=cast.a.school, today=date(2032, 3, 9)) == 1


def test_each_school_reminds_its_own_it(cast):
    with scope(school=cast.b.school):
        assert services.access_review_remind(school=cast.b.school, today=timezone.localdate()) == 1
    assert list(Notification.objects.filter(link=NEW).values_list("recipient", flat=True)) == [cast.b.users["it"].pk]


# --- The home panel ---------------------------------------------------------------------------------------------------


def test_it_sees_when_the_review_is_due_and_the_leavers_accounts_ended_since(cast, login, time_machine):
    time_machine.move_to(at(2031, 3, 3, 10), tick=False)
    client = login(cast.a.users["it"])
    page = page_of(client.get(HOME))
    assert "Internet accounts and access rights" in page
    assert "No review of access rights has been signed off yet: the first one is due now." in page
    assert (
        "1 account of pupils or staff who left has ended by itself so far: make sure it is closed on the school's systems."
        in page
    )
    sign(cast)
    page = page_of(client.get(HOME))
    assert "Next review of access rights due by <strong>3 Mar 2032</strong>." in page
    assert "No accounts of leavers have ended since the last review." in page
    Pupil.objects.filter(pk=cast.a.pupil.pk).update(leaving_date=date(2031, 7, 22))
    time_machine.move_to(at(2032, 3, 4, 10), tick=False)
    page = page_of(login(cast.a.users["it"]).get(HOME))
    assert "Overdue: the review of access rights was due on 3 Mar 2032." in page
    assert "1 account of pupils or staff who left has ended by itself since the last review" in page


@pytest.mark.parametrize("role", ["head", "teacher", "dsl"])
def test_the_panel_is_for_it_alone(cast, login, role):
    assert "Internet accounts and access rights" not in login(cast.a.users[role]).get(HOME).content.decode()


# --- Who sees what, and queries ------------------------------------------------------------------------------------


def test_another_schools_review_is_not_found(cast, login):
    review = sign(cast)
    assert login(cast.b.users["it"]).get(detail(review)).status_code == 404
    assert login(cast.b.users["head"]).get(detail(review)).status_code == 404
    assert "Checked every account" not in login(cast.b.users["head"]).get(LIST).content.decode()
    assert login(cast.a.users["teacher"]).get(LIST).status_code == 403
    assert login(cast.a.users["head"]).get(detail(review)).status_code == 200


def _queries(client, url) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


def test_the_review_pages_run_the_same_queries_however_many_accounts(cast, login, time_machine, django_assert_num_queries):
    time_machine.move_to(at(2031, 3, 3, 10), tick=False)
    sign(cast)
    time_machine.move_to(at(2031, 3, 20, 10), tick=False)
    grant(cast, "one")
    time_machine.move_to(at(2031, 4, 3, 10), tick=False)
    review = sign(cast)
    time_machine.move_to(at(2031, 4, 3, 11), tick=False)
    client = login(cast.a.users["it"])
    urls = [NEW, detail(review), LIST, HOME]
    for url in urls:
        _queries(client, url)
    few = {url: _queries(client, url) for url in urls}

    def more(at_time, prefix, leaving):
        time_machine.move_to(at_time, tick=False)
        for i in range(6):
            member = f.make_staff(cast.a.school, f"Staff{prefix}{i}", "More", mis_id=f"M{prefix}{i}")
            pupil = f.make_pupil(cast.a.school, f"Pupil{prefix}{i}", "More", form=cast.a.form, mis_id=f"m{prefix}{i}")
            grant(cast, f"staff{prefix}{i}", holder=Holder.STAFF, staff=member)
            grant(cast, f"pupil{prefix}{i}", holder=Holder.PUPIL, pupil=pupil)
            grant(cast, f"guest{prefix}{i}")
            # The MIS import gives the pupil a leaving date.
            Pupil.objects.filter(pk=pupil.pk).update(leaving_date=leaving)

    # In the signed review's period, and since it.
    more(at(2031, 3, 20, 11), "x", date(2031, 3, 25))
    more(at(2031, 4, 3, 10, 30), "y", date(2031, 4, 3))
    time_machine.move_to(at(2031, 4, 3, 11), tick=False)
    client = login(cast.a.users["it"])
    # The first page after signing in refreshes the session: not one of those measured.
    client.get(reverse("devices:account_list"))
    for url in urls:
        with django_assert_num_queries(few[url]):
            client.get(url)
    page = page_of(client.get(NEW))
    assert "staffy5" in section(page, "Accounts granted (18)") and "pupily5" in section(
        page, "Accounts ended, or whose holder left (6)"
    )
    page = page_of(client.get(detail(review)))
    assert "staffx5" in section(page, "Accounts granted (19)") and "pupilx5" in section(
        page, "Accounts ended, or whose holder left (6)"
    )
