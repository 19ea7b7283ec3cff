"""
The register of internet accounts: IT grants accounts to staff, pupils, visitors and community users, corrects and
ends them; the head teacher reads the register; leavers' accounts end by themselves when the MIS gives a leaving date;
each holder's acceptable-use agreement comes from consents (staff and pupils) or the paper date (visitors).
"""

import csv
import html
import io
from datetime import date, datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from consents import services as consents
from consents.models import ConsentAnswer, ConsentType
from devices.models import InternetAccount
from devices.services import accounts as services
from esafety.models import AccessLogEntry, Membership, StaffMember
from esafety.roles import Role
from esafety.scoping import scope
from tests import factories as f

pytestmark = pytest.mark.django_db

Holder = InternetAccount.Holder
Kind = ConsentType.Kind
LIST = reverse("devices:account_list")
NEW = reverse("devices:account_new")
EXPORT = reverse("devices:account_export")
# The agreement column of a holder of whom nothing is asked.
NOT_ASKED = '<span title="Not asked of this holder: the school uses no such agreement in the app, or they have left">'


def detail(account):
    return reverse("devices:account_detail", args=[account.pk])


def edit(account):
    return reverse("devices:account_edit", args=[account.pk])


def end(account):
    return reverse("devices:account_end", args=[account.pk])


def page_of(response) -> str:
    return " ".join(html.unescape(response.content.decode()).split())


def rows(response) -> list[str]:
    body = html.unescape(response.content.decode()).split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    return [" ".join(row.split(">", 1)[1].split()) for row in body.split("<tr")[1:]]


def row_of(response, text: str) -> str:
    found = [row for row in rows(response) if text in row]
    assert len(found) == 1, f"{text!r} in {len(found)} rows"
    return found[0]


def grant_data(**extra):
    data = {"username": "new.user", "access": "Network and e-mail", "granted_on": timezone.localdate().isoformat()}
    data.update(extra)
    return data


# --- Granting --------------------------------------------------------------------------------------------------


def test_it_grants_an_account_to_a_member_of_staff(cast, login):
    member = f.make_staff(cast.a.school, "Sam", "Supply", mis_id="SS1", job_title="Cover supervisor")
    client = login(cast.a.users["it"])
    assert "Supply, Sam (Cover supervisor)" in client.get(NEW).content.decode()
    response = client.post(NEW, grant_data(holder="staff", staff=member.pk, username="ssupply"), follow=True)
    account = InternetAccount.objects.get(username="ssupply")
    assert (account.holder, account.staff, account.pupil, account.name) == (Holder.STAFF, member, None, "")
    assert account.granted_by == cast.a.users["it"] and account.granted_on == timezone.localdate()
    assert account.history.get().history_change_reason == "Granted"
    page = page_of(response)
    assert "The account ssupply of Sam Supply is on the register." in page
    assert "Network and e-mail" in page


def test_it_grants_an_account_to_a_pupil_on_roll(cast, login):
    pupil = f.make_pupil(cast.a.school, "Carys", "Crane", form=cast.a.form, mis_id="a003")
    client = login(cast.a.users["it"])
    response = client.post(NEW, grant_data(holder="pupil", pupil=pupil.pk, username="ccrane", access="Pupil network"))
    account = InternetAccount.objects.get(username="ccrane")
    assert response["Location"] == detail(account)
    assert (account.holder, account.pupil, account.staff) == (Holder.PUPIL, pupil, None)
    assert row_of(client.get(LIST, {"holder": "pupil"}), "ccrane").startswith(
        f'<td><a href="{detail(account)}">Carys Crane</a><br><span class="small text-body-secondary">7A</span>'
    )


@pytest.mark.parametrize("holder, label", [("visitor", "Visitor"), ("community", "Community user")])
def test_it_grants_an_account_to_a_visitor_or_a_community_user_who_signed_the_agreement(cast, login, holder, label):
    client = login(cast.a.users["it"])
    data = grant_data(
        holder=holder,
        name="Dee Dancer",
        organisation="Town Dance Club",
        agreement_signed_on="02/03/2026",
        granted_on="03/03/2026",
        username="dance1",
        access="Guest Wi-Fi",
    )
    assert client.post(NEW, data).status_code == 302
    account = InternetAccount.objects.get(username="dance1")
    assert (account.holder, account.name, account.organisation) == (holder, "Dee Dancer", "Town Dance Club")
    assert (account.agreement_signed_on, account.granted_on) == (date(2026, 3, 2), date(2026, 3, 3))
    row = row_of(client.get(LIST), "dance1")
    assert f"<td>{label}</td>" in row and "Signed 2 Mar 2026" in row and "Town Dance Club" in row


def test_a_visitor_needs_a_name_and_signs_the_agreement_before_access_is_given(cast, login):
    client = login(cast.a.users["it"])
    response = client.post(NEW, grant_data(holder="visitor", username="guest9"))
    assert response.status_code == 400
    page = page_of(response)
    assert "Give the name of the person the account is for." in page
    assert "Give the date they signed the acceptable-use agreement." in page
    response = client.post(
        NEW, grant_data(holder="visitor", name="Vera", agreement_signed_on="2026-03-04", granted_on="2026-03-03", username="g9")
    )
    assert response.status_code == 400
    assert "The agreement is signed before access is given: this date is after the date granted." in page_of(response)
    assert not InternetAccount.objects.filter(username__in=["guest9", "g9"]).exists()


def test_a_username_in_use_is_refused_and_what_was_typed_is_kept(cast, login):
    client = login(cast.a.users["it"])
    data = grant_data(
        holder="visitor", name="Paul Plumber", organisation="Pipes Ltd", agreement_signed_on="2026-03-02", username="GUESTA1"
    )
    data["access"] = "Guest Wi-Fi, building B"
    response = client.post(NEW, data)
    assert response.status_code == 400
    page = page_of(response)
    assert (
        "“GUESTA1” is already in use: it is Vic VisitorA's account (visitor, granted on 6 Jan 2025). Choose another username."
        in page
    )
    assert 'value="GUESTA1"' in page and 'value="Paul Plumber"' in page and 'value="Pipes Ltd"' in page
    assert 'value="Guest Wi-Fi, building B"' in page and 'value="2026-03-02"' in page
    assert InternetAccount.objects.filter(username__iexact="guesta1").count() == 1


def test_a_leavers_username_is_given_again_once_their_account_is_ended(cast, login):
    client = login(cast.a.users["it"])
    pupil = f.make_pupil(cast.a.school, "Carys", "Crane", form=cast.a.form, mis_id="a003")
    data = grant_data(holder="pupil", pupil=pupil.pk, username="pupila002")
    response = client.post(NEW, data)
    assert response.status_code == 400
    assert (
        "“pupila002” is still the username of Left LeaverA's account, who left on 20 Jul 2020. End that account in the "
        "register first, or choose another username." in page_of(response)
    )
    services.internet_account_end(
        account=cast.a.leaver_account, actor=cast.a.users["it"], ended_on=date(2020, 7, 20), reason="Left the school"
    )
    assert client.post(NEW, data).status_code == 302
    assert InternetAccount.objects.get(username="pupila002", ended_on=None).pupil == pupil


def test_only_pupils_on_roll_and_staff_in_post_are_offered(cast, login):
    f.make_staff(cast.a.school, "Gone", "Before", mis_id="GB1", leaving_date=date(2021, 8, 31))
    client = login(cast.a.users["it"])
    page = client.get(NEW).content.decode()
    assert "Aardvark, Alice (7A)" in page and "TeacherA, Tutor" in page
    assert "LeaverA" not in page and "Before, Gone" not in page
    response = client.post(NEW, grant_data(holder="pupil", pupil=cast.a.leaver.pk, username="back"))
    assert response.status_code == 400
    assert "Select a valid choice." in page_of(response)


def test_a_grant_in_the_future_is_refused(cast, login):
    client = login(cast.a.users["it"])
    response = client.post(NEW, grant_data(holder="staff", staff=cast.a.staff_member.pk, granted_on="2099-01-01"))
    assert response.status_code == 400
    assert "This is in the future. Record an account once it has been given." in page_of(response)


# --- Changing and ending -----------------------------------------------------------------------------------------


def test_it_corrects_an_account_and_the_history_shows_what_changed(cast, login):
    account = cast.a.visitor_account
    client = login(cast.a.users["it"])
    page = client.get(edit(account)).content.decode()
    assert 'value="guesta1"' in page and 'value="Vic VisitorA"' in page
    data = {
        "name": "Victor VisitorA",
        "organisation": "Supply Co",
        "agreement_signed_on": "2025-01-06",
        "username": "guesta2",
        "access": "Guest Wi-Fi",
        "granted_on": "2025-01-06",
    }
    response = client.post(edit(account), data, follow=True)
    account.refresh_from_db()
    assert (account.username, account.name) == ("guesta2", "Victor VisitorA")
    page = page_of(response)
    assert "The account has been changed." in page
    assert "History" in page and "(Details corrected)" in page
    assert "Username: guesta1 → guesta2" in page and "Name: Vic VisitorA → Victor VisitorA" in page
    assert "<strong>Created</strong> by It A" in page
    # The same again changes nothing, and writes no history.
    assert "Nothing was changed." in page_of(client.post(edit(account), data, follow=True))
    assert account.history.count() == 2


def test_a_correction_to_a_username_in_use_is_refused(cast, login):
    client = login(cast.a.users["it"])
    data = {"username": "pupila001", "access": "Network", "granted_on": "2024-09-02"}
    response = client.post(edit(cast.a.staff_account), data)
    assert response.status_code == 400
    assert "“pupila001” is already in use: it is Alice Aardvark's account (pupil" in page_of(response)
    assert 'value="Network"' in response.content.decode()


def test_it_ends_an_account_with_a_reason(cast, login):
    account = cast.a.visitor_account
    client = login(cast.a.users["it"])
    response = client.post(end(account), {"ended_on": timezone.localdate().isoformat(), "reason": "Visit over"}, follow=True)
    account.refresh_from_db()
    assert (account.ended_on, account.end_reason) == (timezone.localdate(), "Visit over")
    today = timezone.localdate()
    page = page_of(response)
    assert "The account guesta1 of Vic VisitorA has ended." in page
    assert f"Ended {today.day} {today:%b %Y}: Visit over" in page and "(Ended)" in page
    assert "End the account" not in page and "Change the details" not in page
    assert "guesta1" not in client.get(LIST).content.decode()
    assert f"Ended {today.day} {today:%b %Y}: Visit over" in row_of(client.get(LIST, {"status": "ended"}), "guesta1")


def test_an_account_ends_on_a_day_to_come_and_stays_in_use_until_then(cast, login, time_machine):
    time_machine.move_to(datetime(2031, 3, 3, 10, tzinfo=timezone.get_current_timezone()), tick=False)
    client = login(cast.a.users["it"])
    response = client.post(end(cast.a.visitor_account), {"ended_on": "2031-03-07", "reason": "Visit over"}, follow=True)
    assert "The account guesta1 of Vic VisitorA ends on 07/03/2031." in page_of(response)
    assert "Ends 7 Mar 2031: Visit over" in row_of(client.get(LIST), "guesta1")
    time_machine.move_to(datetime(2031, 3, 7, 10, tzinfo=timezone.get_current_timezone()), tick=False)
    client = login(cast.a.users["it"])
    assert "guesta1" not in client.get(LIST).content.decode()
    assert "Ended 7 Mar 2031: Visit over" in row_of(client.get(LIST, {"status": "ended"}), "guesta1")


def test_ending_needs_a_reason_and_a_day_after_it_was_granted(cast, login):
    client = login(cast.a.users["it"])
    response = client.post(end(cast.a.visitor_account), {"ended_on": "2025-01-05", "reason": ""})
    assert response.status_code == 400
    assert "Say why the account ends." in page_of(response)
    response = client.post(end(cast.a.visitor_account), {"ended_on": "2025-01-05", "reason": "Visit over"})
    assert response.status_code == 400
    assert "The account was granted on 6 Jan 2025: it cannot end before." in page_of(response)
    cast.a.visitor_account.refresh_from_db()
    assert cast.a.visitor_account.ended_on is None


def test_the_second_person_to_end_an_account_is_told_it_was_already_ended(cast, login):
    account = cast.a.visitor_account
    services.internet_account_end(account=account, actor=cast.a.users["it"], ended_on=date(2026, 3, 6), reason="Visit over")
    other_it = f.make_user("it2@a.example", "Ivy Tech")
    Membership.objects.create(user=other_it, school=cast.a.school, role=Role.IT)
    response = login(other_it).post(end(account), {"ended_on": "2026-03-07", "reason": "No longer needed"}, follow=True)
    assert "This account was already ended by It A, on 6 Mar 2026: Visit over." in page_of(response)
    account.refresh_from_db()
    assert (account.ended_on, account.end_reason) == (date(2026, 3, 6), "Visit over")


def test_leavers_drop_out_of_the_accounts_in_use_when_their_leaving_date_passes(cast, login, time_machine):
    tz = timezone.get_current_timezone()
    # The MIS import gives Alice and the teacher a leaving date; nobody touches the register.
    type(cast.a.pupil).objects.filter(pk=cast.a.pupil.pk).update(leaving_date=date(2031, 7, 22))
    type(cast.a.staff_member).objects.filter(pk=cast.a.staff_member.pk).update(leaving_date=date(2031, 8, 31))
    time_machine.move_to(datetime(2031, 7, 21, 9, tzinfo=tz), tick=False)
    client = login(cast.a.users["it"])
    in_use = client.get(LIST).content.decode()
    assert "pupila001" in in_use and "tteachera" in in_use and "pupila002" not in in_use
    time_machine.move_to(datetime(2031, 7, 22, 9, tzinfo=tz), tick=False)
    client = login(cast.a.users["it"])
    in_use = client.get(LIST).content.decode()
    assert "pupila001" not in in_use and "tteachera" in in_use
    ended = client.get(LIST, {"status": "ended"})
    assert "Left on 22 Jul 2031" in row_of(ended, "pupila001")
    assert "Left on 20 Jul 2020" in row_of(ended, "pupila002")
    time_machine.move_to(datetime(2031, 9, 1, 9, tzinfo=tz), tick=False)
    client = login(cast.a.users["it"])
    assert "Left on 31 Aug 2031" in row_of(client.get(LIST, {"status": "ended"}), "tteachera")
    assert InternetAccount.objects.filter(ended_on__isnull=False).count() == 0
    page = page_of(client.get(detail(cast.a.pupil_account)))
    assert "Ended</span>" in page and "Left on 22 Jul 2031" in page


# --- The register: filters, agreements, export ----------------------------------------------------------------------


def test_the_register_is_found_by_name_or_username_and_by_kind(cast, login):
    client = login(cast.a.users["head"])
    everyone = page_of(client.get(LIST))
    assert all(name in everyone for name in ("pupila001", "tteachera", "guesta1")) and "pupila002" not in everyone
    found = rows(client.get(LIST, {"q": "aardvark"}))
    assert len(found) == 1 and "pupila001" in found[0]
    assert "Vic VisitorA" in row_of(client.get(LIST, {"q": "GUESTA"}), "guesta1")
    assert "Supply Co" in row_of(client.get(LIST, {"q": "supply vic"}), "guesta1")
    assert rows(client.get(LIST, {"holder": "staff", "status": "all"})) == [row_of(client.get(LIST), "tteachera")]
    assert len(rows(client.get(LIST, {"holder": "pupil", "status": "all"}))) == 2
    assert "No accounts match these filters." in page_of(client.get(LIST, {"q": "nobody"}))


def test_the_staff_agreement_is_shown_as_accepted_or_not_from_consents(cast, login):
    other = f.make_staff(cast.a.school, "Olive", "Other", mis_id="OO1")
    services.internet_account_grant(
        school=cast.a.school,
        actor=cast.a.users["it"],
        holder=Holder.STAFF,
        staff=other,
        username="oother",
        access="Network",
        granted_on=timezone.localdate(),
    )
    client = login(cast.a.users["it"])
    # The school has not switched the staff agreement on: it is asked of nobody.
    assert f"<td> {NOT_ASKED}–</span> </td>" in row_of(client.get(LIST), "oother")
    staff_aup = cast.a.consent_types[Kind.STAFF_AUP]
    staff_aup.is_active = True
    staff_aup.save()
    consents.staff_agreement_accept(staff_member=cast.a.staff_member, consent_type=staff_aup, actor=cast.a.users["teacher"])
    today = timezone.localdate()
    response = client.get(LIST)
    assert f"Accepted {today.day} {today:%b %Y}" in row_of(response, "tteachera")
    assert "Not accepted" in row_of(response, "oother")
    assert "Signed 6 Jan 2025" in row_of(response, "guesta1")


def test_the_pupils_agreement_is_shown_from_consents(cast, login):
    client = login(cast.a.users["it"])
    assert "Not given" in row_of(client.get(LIST), "pupila001")
    # Nothing is asked of a pupil who has left.
    assert f"{NOT_ASKED}–</span>" in row_of(client.get(LIST, {"status": "ended"}), "pupila002")
    answer = consents.answer_record(
        pupil=cast.a.pupil,
        consent_type=cast.a.consent_types[Kind.PUPIL_AUP],
        agreed=True,
        given_by=cast.a.parent,
        given_by_pupil=True,
        method=ConsentAnswer.Method.PAPER,
        signed_on=date(2026, 9, 8),
        actor=cast.a.users["office"],
    )
    assert "Accepted 8 Sep 2026" in row_of(client.get(LIST), "pupila001")
    consents.answer_withdraw(
        answer=answer, withdrawn_on=date(2026, 10, 1), withdrawn_by=cast.a.parent, note="", actor=cast.a.users["office"]
    )
    assert "Withdrawn 1 Oct 2026" in row_of(client.get(LIST), "pupila001")
    # A school that asks pupils for no agreement: nothing to show.
    ConsentType.objects.filter(pk=cast.a.consent_types[Kind.PUPIL_AUP].pk).update(is_active=False)
    assert f"{NOT_ASKED}–</span>" in row_of(client.get(LIST), "pupila001")


def test_the_export_is_the_filtered_register_and_is_in_the_access_log(cast, login):
    client = login(cast.a.users["head"])
    response = client.get(EXPORT, {"status": "all", "q": "aardvark"})
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    lines = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert lines[0][:5] == ["Holder", "Who", "Organisation", "Form", "Username"]
    assert [line[4] for line in lines[1:]] == ["pupila001"]
    assert lines[1][:4] == ["Alice Aardvark", "Pupil", "", "7A"] and lines[1][-2:] == ["yes", ""]
    entry = AccessLogEntry.objects.get(actor=cast.a.users["head"])
    assert entry.kind == AccessLogEntry.Kind.EXPORT
    assert entry.summary == "Exported 1 internet account as CSV (q: search words; status=all)"
    everything = list(csv.reader(io.StringIO(client.get(EXPORT, {"status": "all"}).content.decode("utf-8-sig"))))
    leaver = next(line for line in everything if line[4] == "pupila002")
    assert leaver[-2:] == ["no", "Left on 20 Jul 2020"]
    assert AccessLogEntry.objects.filter(actor=cast.a.users["head"], kind="export").count() == 2


def test_a_search_too_long_makes_no_file(cast, login):
    response = login(cast.a.users["it"]).get(EXPORT, {"q": "x" * 300})
    assert response.status_code == 400 and "No file was made." in response.content.decode()
    assert not AccessLogEntry.objects.filter(kind="export").exists()


# --- Who sees what ---------------------------------------------------------------------------------------------------


def test_a_teacher_may_not_read_the_register_and_the_head_may_not_change_it(cast, login):
    teacher = login(cast.a.users["teacher"])
    for url in (LIST, EXPORT, NEW, detail(cast.a.pupil_account)):
        assert teacher.get(url).status_code == 403
    head = login(cast.a.users["head"])
    assert head.get(detail(cast.a.pupil_account)).status_code == 200
    assert "End the account" not in head.get(detail(cast.a.pupil_account)).content.decode()
    assert head.get(NEW).status_code == 403
    assert head.post(end(cast.a.pupil_account), {"ended_on": "2026-01-01", "reason": "x"}).status_code == 403


def test_another_schools_accounts_are_not_found(cast, login):
    client = login(cast.b.users["it"])
    for url in (detail(cast.a.pupil_account), edit(cast.a.pupil_account)):
        assert client.get(url).status_code == 404
    assert client.post(end(cast.a.pupil_account), {"ended_on": "2026-01-01", "reason": "x"}).status_code == 404
    page = client.get(LIST, {"status": "all"}).content.decode()
    assert "pupilb001" in page and "pupila001" not in page and "Aardvark" not in page
    with scope(school=cast.b.school):
        lines = client.get(EXPORT, {"status": "all"}).content.decode()
    assert "pupilb001" in lines and "pupila001" not in lines


# --- Queries ---------------------------------------------------------------------------------------------------------


def _queries(client, url, data=None) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url, data or {}).status_code == 200
    return len(queries)


@pytest.mark.parametrize("role", ["it", "head"])
def test_the_register_runs_the_same_queries_however_many_accounts(cast, login, role, django_assert_num_queries):
    staff_aup = cast.a.consent_types[Kind.STAFF_AUP]
    staff_aup.is_active = True
    staff_aup.save()
    # The head teacher has a staff record: they accept the agreement, or every page sends them to it.
    for member in StaffMember.objects.filter(user__isnull=False):
        consents.staff_agreement_accept(staff_member=member, consent_type=staff_aup, actor=member.user)
    client = login(cast.a.users[role])
    _queries(client, LIST, {"status": "all"})
    few = _queries(client, LIST, {"status": "all"})
    for i in range(12):
        member = f.make_staff(cast.a.school, f"Staff{i}", "More", mis_id=f"M{i}")
        pupil = f.make_pupil(cast.a.school, f"Pupil{i}", "More", form=cast.a.form, mis_id=f"m{i}")
        for holder, person in ((Holder.STAFF, {"staff": member}), (Holder.PUPIL, {"pupil": pupil})):
            InternetAccount.objects.create(
                school=cast.a.school,
                holder=holder,
                username=f"{holder}{i}",
                access="Network",
                granted_on=date(2025, 9, 1),
                granted_by=cast.a.users["it"],
                **person,
            )
        if i % 3 == 0:
            consents.staff_agreement_accept(staff_member=member, consent_type=staff_aup, actor=cast.a.users["it"])
    with django_assert_num_queries(few):
        page = client.get(LIST, {"status": "all"}).content.decode()
    assert "staff11" in page and "pupil11" in page


def test_an_account_page_runs_the_same_queries_however_long_its_history(cast, login, django_assert_num_queries):
    account = cast.a.visitor_account
    client = login(cast.a.users["it"])
    _queries(client, detail(account))
    few = _queries(client, detail(account))
    for i in range(5):
        services.internet_account_update(
            account=account,
            actor=cast.a.users["it"],
            username=f"guest-{i}",
            access=f"Guest Wi-Fi {i}",
            granted_on=date(2025, 1, 6),
            name="Vic VisitorA",
            agreement_signed_on=date(2025, 1, 6),
        )
    with django_assert_num_queries(few):
        assert "Guest Wi-Fi 4" in client.get(detail(account)).content.decode()
