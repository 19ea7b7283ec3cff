"""
Requests to open sites, as the people in the chain meet them: the teacher asks, the head teacher signs off, IT
has the final say and applies it, and it ends. Every allowed and refused step, through the pages.
"""

import threading
from datetime import date, datetime, timedelta

import pytest
import time_machine
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django_scopes import scope

from esafety.history import history_for
from esafety.models import Membership, Notification
from esafety.roles import Role
from filtering.models import FilterExceptionRequest, RequestedSite
from filtering.services import requests as services
from filtering.services.requests import RequestChanged
from filtering.sites import normalise_site
from tests import factories as f

pytestmark = pytest.mark.django_db

Status = FilterExceptionRequest.Status
LIST = "/filtering/"
NEW = "/filtering/requests/new/"


def _detail(item):
    return f"/filtering/requests/{item.pk}/"


def _form(cast, **changes):
    start = timezone.localdate() + timedelta(days=14)
    data = {
        "sites": "BBC.co.uk/\nhttps://www.Bitesize.example.org/ks3/history/\n\nbücher.de",
        "subdomains": "",
        "category": cast.site_categories["Video or streaming"].pk,
        "purpose": "Year 9 history: newsreels of 1940",
        "groups": [cast.filter_groups["pupils-ks3"].pk, cast.filter_groups["staff"].pk],
        "form_groups": [cast.form.pk],
        "starts_on": start.isoformat(),
        "ends_on": (start + timedelta(days=3)).isoformat(),
    }
    data.update(changes)
    return data


def _newest(school):
    return FilterExceptionRequest.objects.for_school(school).order_by("-number").first()


def _move(item, status, **fields):
    FilterExceptionRequest.objects.filter(pk=item.pk).update(status=status, **fields)
    item.refresh_from_db()
    return item


# --- Asking ------------------------------------------------------------------------------------------------


def test_a_teacher_asks_for_sites_and_the_head_teacher_is_told(cast, login):
    teacher = cast.a.users["teacher"]
    response = login(teacher).post(NEW, _form(cast.a))

    made = _newest(cast.a.school)
    assert response.status_code == 302 and response["Location"] == _detail(made)
    assert made.reference == "FR-00002"  # the cast's request is the first
    assert made.status == Status.SUBMITTED and made.requested_by == teacher and not made.is_late
    assert [str(s) for s in made.sites.all()] == [
        "bbc.co.uk",
        "https://www.bitesize.example.org/ks3/history",
        "xn--bcher-kva.de",
    ]
    assert {g.appliance_name for g in made.groups.all()} == {"pupils-ks3", "staff"}
    assert list(made.forms.all()) == [cast.a.form]
    assert history_for(made)[-1].reason == "Asked"
    told = Notification.objects.filter(recipient=cast.a.users["head"], link=_detail(made))
    assert told.count() == 1 and "wait for your sign-off" in told.get().title
    assert not Notification.objects.filter(recipient=cast.a.users["it"], link=_detail(made)).exists()

    page = login(teacher).get(_detail(made)).content.decode()
    assert "Waiting for the head teacher" in page
    assert "<code>https://www.bitesize.example.org/ks3/history</code>" in page


def test_a_site_typed_wrongly_is_named_with_its_line_and_nothing_is_saved(cast, login):
    before = FilterExceptionRequest.objects.count()
    response = login(cast.a.users["teacher"]).post(NEW, _form(cast.a, sites="bbc.co.uk\nftp://files.example.org\n10.0.0.1"))

    page = response.content.decode()
    assert response.status_code == 400
    assert "Line 2: “ftp://files.example.org”: only web addresses (http or https)" in page
    assert "Line 3: “10.0.0.1” is an IP address" in page
    assert "Year 9 history: newsreels of 1940" in page  # what was typed is kept
    assert FilterExceptionRequest.objects.count() == before


def test_a_kind_of_site_never_opened_is_refused_at_the_form_with_the_reason(cast, login):
    iwf = cast.a.site_categories["On the IWF list"]
    response = login(cast.a.users["teacher"]).post(NEW, _form(cast.a, category=iwf.pk))

    assert response.status_code == 400
    assert "Sites of this kind cannot be opened: Addresses on the Internet Watch Foundation" in response.content.decode()
    assert _newest(cast.a.school) == cast.a.filter_request


def test_the_period_is_at_most_what_the_school_allows(cast, login):
    client = login(cast.a.users["teacher"])
    start = timezone.localdate() + timedelta(days=10)

    too_long = client.post(NEW, _form(cast.a, starts_on=start.isoformat(), ends_on=(start + timedelta(days=42)).isoformat()))
    assert too_long.status_code == 400
    assert "Sites may be opened for at most 42 days at a time" in too_long.content.decode()

    backwards = client.post(NEW, _form(cast.a, starts_on=start.isoformat(), ends_on=(start - timedelta(days=1)).isoformat()))
    assert "The last day must be on or after the first day." in backwards.content.decode()

    longest = client.post(NEW, _form(cast.a, starts_on=start.isoformat(), ends_on=(start + timedelta(days=41)).isoformat()))
    assert longest.status_code == 302
    assert (_newest(cast.a.school).ends_on - start).days == 41


def test_notice_is_counted_in_school_days_across_the_half_term(cast, login):
    # Autumn half-term 2026 (the default pattern): 26 to 30 October.
    client = login(cast.a.users["teacher"])
    with time_machine.travel(datetime(2026, 10, 22, 10, 0, tzinfo=timezone.get_current_timezone()), tick=False):
        # Thursday for the Monday after half-term: Friday 23rd is the only school day between.
        client.post(NEW, _form(cast.a, starts_on="2026-11-02", ends_on="2026-11-06"))
        late = _newest(cast.a.school)
        # For the Wednesday: Friday, Monday and Tuesday, the 3 school days the school asks for.
        client.post(NEW, _form(cast.a, starts_on="2026-11-04", ends_on="2026-11-06"))
        on_time = _newest(cast.a.school)

    assert late.is_late and not on_time.is_late
    page = login(cast.a.users["head"]).get(_detail(late)).content.decode()
    assert "Asked late: 1 school day's notice of the 3 the school asks for" in page


# --- The chain ---------------------------------------------------------------------------------------------


def test_the_whole_chain_from_teacher_to_head_to_it_to_applied_and_removed(cast, login):
    item = cast.a.filter_request
    head, it, teacher = cast.a.users["head"], cast.a.users["it"], cast.a.users["teacher"]

    login(head).post(f"{_detail(item)}head/", {"decision": "approve", "note": "Good use of primary sources"})
    item.refresh_from_db()
    assert item.status == Status.HEAD_APPROVED and item.head_decided_by == head
    assert Notification.objects.filter(recipient=it, link=_detail(item)).exists()

    login(it).post(f"{_detail(item)}it/", {"decision": "approve", "note": ""})
    login(it).post(f"{_detail(item)}applied/")
    item.refresh_from_db()
    assert item.status == Status.ACTIVE and item.applied_by == it

    titles = list(Notification.objects.filter(recipient=teacher, link=_detail(item)).values_list("title", flat=True))
    assert any("signed off by the head teacher" in t for t in titles)
    assert any("approved by IT" in t for t in titles)
    assert any("open on the filter from" in t for t in titles)

    # The period passes; IT confirms the sites are blocked again.
    with time_machine.travel(item.ends_on + timedelta(days=1), tick=False):
        assert login(teacher).get(_detail(item)).content.decode().count("Ended, removal to be confirmed") >= 1
        login(it).post(f"{_detail(item)}removed/")
    item.refresh_from_db()
    assert item.status == Status.REMOVED and item.removed_by == it

    assert [entry.reason for entry in history_for(item)] == [
        "Removal from the filter confirmed",
        "Applied on the filter",
        "Approved by IT",
        "Signed off by the head teacher",
        "Asked",
    ]


@pytest.mark.parametrize(
    ("status", "step", "who", "data"),
    [
        # IT cannot decide before the head teacher, nor apply before approving.
        (Status.SUBMITTED, "it/", "it", {"decision": "approve"}),
        (Status.HEAD_APPROVED, "applied/", "it", {}),
        # Nothing is decided twice.
        (Status.HEAD_APPROVED, "head/", "head", {"decision": "approve", "late_reason": "x"}),
        (Status.IT_APPROVED, "it/", "it", {"decision": "decline", "note": "No"}),
        (Status.ACTIVE, "applied/", "it", {}),
        # A declined request stays declined.
        (Status.HEAD_DECLINED, "it/", "it", {"decision": "approve"}),
        (Status.IT_DECLINED, "applied/", "it", {}),
        # Open sites cannot be withdrawn, only revoked; a withdrawn one cannot be revoked.
        (Status.ACTIVE, "withdraw/", "teacher", {}),
        (Status.WITHDRAWN, "revoke/", "head", {"reason": "x"}),
        (Status.HEAD_DECLINED, "head/", "head", {"decision": "approve", "late_reason": "x"}),
    ],
)
def test_no_step_can_be_skipped_or_repeated(cast, login, status, step, who, data):
    item = _move(cast.a.filter_request, status)
    response = login(cast.a.users[who]).post(f"{_detail(item)}{step}", data, follow=True)

    item.refresh_from_db()
    assert item.status == status
    page = response.content.decode()
    assert "This request has moved on" in page or "cannot" in page or "Only" in page


def test_an_exception_still_open_cannot_be_marked_removed(cast, login):
    today = timezone.localdate()
    item = _move(cast.a.filter_request, Status.ACTIVE, starts_on=today, ends_on=today + timedelta(days=2))
    page = login(cast.a.users["it"]).post(f"{_detail(item)}removed/", follow=True).content.decode()

    assert "This exception is still open: revoke it first to close it early." in page
    item.refresh_from_db()
    assert item.status == Status.ACTIVE and item.removed_at is None


def test_nobody_decides_on_their_own_request(cast, login):
    head = cast.a.users["head"]
    with scope(school=cast.a.school):
        own = services.request_submit(
            school=cast.a.school,
            actor=head,
            purpose="Staff briefing: a safeguarding video",
            category=cast.a.site_categories["Video or streaming"],
            sites=[normalise_site("video.example.org")],
            groups=[cast.a.filter_groups["staff"]],
            starts_on=timezone.localdate() + timedelta(days=10),
            ends_on=timezone.localdate() + timedelta(days=10),
        )
    page = login(head).get(_detail(own)).content.decode()
    assert "Your sign-off" not in page

    response = login(head).post(f"{_detail(own)}head/", {"decision": "approve", "note": ""}, follow=True)
    assert "Nobody may decide on their own request" in response.content.decode()
    own.refresh_from_db()
    assert own.status == Status.SUBMITTED

    # Another head teacher (e.g. an executive head) may.
    deputy = f.make_user("exec.head@a.example", "Executive Head")
    Membership.objects.create(user=deputy, school=cast.a.school, role=Role.HEAD)
    login(deputy).post(f"{_detail(own)}head/", {"decision": "approve", "note": ""})
    own.refresh_from_db()
    assert own.status == Status.HEAD_APPROVED and own.head_decided_by == deputy


def test_a_late_request_needs_the_head_teachers_reason_and_keeps_what_was_typed(cast, login):
    item = _move(cast.a.filter_request, Status.SUBMITTED, is_late=True)
    response = login(cast.a.users["head"]).post(f"{_detail(item)}head/", {"decision": "approve", "note": "Fine by me"})

    page = response.content.decode()
    assert response.status_code == 400
    assert "This request was made late: say why it is accepted all the same." in page
    assert "Fine by me" in page
    item.refresh_from_db()
    assert item.status == Status.SUBMITTED

    login(cast.a.users["head"]).post(
        f"{_detail(item)}head/", {"decision": "approve", "note": "", "late_reason": "Supply cover planned it today"}
    )
    item.refresh_from_db()
    assert item.status == Status.HEAD_APPROVED and item.late_reason == "Supply cover planned it today"


def test_declining_needs_a_reason_the_requester_reads(cast, login):
    item = cast.a.filter_request
    client = login(cast.a.users["head"])

    refused = client.post(f"{_detail(item)}head/", {"decision": "decline", "note": ""})
    assert "Say why the request is declined" in refused.content.decode()

    client.post(f"{_detail(item)}head/", {"decision": "decline", "note": "Use the library's licensed archive"})
    item.refresh_from_db()
    assert item.status == Status.HEAD_DECLINED
    page = login(cast.a.users["teacher"]).get(_detail(item)).content.decode()
    assert "Declined by the head teacher" in page and "Use the library&#x27;s licensed archive" in page


def test_the_requester_withdraws_and_the_head_or_it_revoke_with_a_reason(cast, login):
    item = cast.a.filter_request
    assert login(cast.a.users["head"]).post(f"{_detail(item)}withdraw/", follow=True).status_code == 200
    item.refresh_from_db()
    assert item.status == Status.SUBMITTED  # only the requester withdraws

    login(cast.a.users["teacher"]).post(f"{_detail(item)}withdraw/", {"reason": "Lesson moved"})
    item.refresh_from_db()
    assert item.status == Status.WITHDRAWN and item.ended_by == cast.a.users["teacher"]

    today = timezone.localdate()
    other = _move(
        FilterExceptionRequest.objects.get(pk=item.pk), Status.ACTIVE, starts_on=today, ends_on=today + timedelta(days=3)
    )
    no_reason = login(cast.a.users["it"]).post(f"{_detail(other)}revoke/", {"reason": ""})
    assert no_reason.status_code == 400
    login(cast.a.users["it"]).post(f"{_detail(other)}revoke/", {"reason": "Site now hosts adverts with gambling"})
    other.refresh_from_db()
    assert other.status == Status.REVOKED and other.end_reason == "Site now hosts adverts with gambling"
    assert history_for(other)[0].reason == "Revoked early"


def test_the_second_of_two_decisions_sees_what_happened(cast, login):
    """Both opened the page while it waited; the second to press the button is told who decided first."""
    item = cast.a.filter_request
    head, other_head = cast.a.users["head"], f.make_user("deputy@a.example", "Deputy Head")
    Membership.objects.create(user=other_head, school=cast.a.school, role=Role.HEAD)
    first, second = Client(), Client()
    first.force_login(head)
    second.force_login(other_head)
    assert "Your sign-off" in first.get(_detail(item)).content.decode()
    assert "Your sign-off" in second.get(_detail(item)).content.decode()

    first.post(f"{_detail(item)}head/", {"decision": "approve", "note": ""})
    page = second.post(f"{_detail(item)}head/", {"decision": "decline", "note": "No"}, follow=True).content.decode()

    assert "This request has moved on: it is now “Waiting for IT”." in page
    assert "The head teacher&#x27;s decision: Head A" in page
    item.refresh_from_db()
    assert item.status == Status.HEAD_APPROVED and item.head_decided_by == head


@pytest.mark.django_db(transaction=True)
def test_two_approvals_at_the_same_moment_one_wins(cast):
    """Two head teachers press "sign off" at once, in two connections: one succeeds, the other is refused."""
    item = cast.a.filter_request
    heads = [cast.a.users["head"], f.make_user("deputy@a.example", "Deputy Head")]
    Membership.objects.create(user=heads[1], school=cast.a.school, role=Role.HEAD)
    barrier = threading.Barrier(2)
    outcomes = []

    def approve(head):
        try:
            with scope(school=cast.a.school):
                request = FilterExceptionRequest.objects.get(pk=item.pk)
                barrier.wait(timeout=10)
                services.request_head_decide(request=request, actor=head, approve=True, note="", late_reason="ok")
            outcomes.append("approved")
        except RequestChanged:
            outcomes.append("refused")
        finally:
            connection.close()

    threads = [threading.Thread(target=approve, args=(head,)) for head in heads]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert sorted(outcomes) == ["approved", "refused"]
    with scope(school=cast.a.school):
        item.refresh_from_db()
        assert item.status == Status.HEAD_APPROVED
        assert [e.reason for e in history_for(item)].count("Signed off by the head teacher") == 1


# --- Queues, register, export ------------------------------------------------------------------------------


def test_each_decider_has_a_queue_oldest_lesson_first_with_late_ones_marked(cast, login, django_assert_max_num_queries):
    today = timezone.localdate()
    teacher = cast.a.users["teacher"]
    made = []
    for days, late in ((20, False), (9, True), (15, False)):
        with scope(school=cast.a.school):
            request = services.request_submit(
                school=cast.a.school,
                actor=teacher,
                purpose=f"Lesson in {days} days",
                category=cast.a.site_categories["Educational resource"],
                sites=[normalise_site(f"site{days}.example.org")],
                groups=[cast.a.filter_groups["pupils-ks4"]],
                starts_on=today + timedelta(days=days),
                ends_on=today + timedelta(days=days),
            )
        made.append(_move(request, Status.SUBMITTED, is_late=late))

    client = login(cast.a.users["head"])
    client.get("/")  # the session's first page also reads what later pages find in the session
    # The session, user, second factor, roles; the count, the page of requests, their sites and groups; the bell.
    with django_assert_max_num_queries(9):
        page = client.get("/filtering/waiting/head/").content.decode()
    order = [page.index(f"Lesson in {d} days") for d in (9, 15, 20)]
    assert order == sorted(order)
    assert page.count(">Late</span>") == 1
    assert "Lesson in" not in login(cast.a.users["it"]).get("/filtering/waiting/it/").content.decode()
    assert login(teacher).get("/filtering/waiting/head/").status_code == 403


def test_the_queue_and_register_cost_the_same_queries_for_many_requests(cast, login):
    client = login(cast.a.users["it"])
    client.get(LIST)  # the session's first page also reads what later pages find in the session
    counts = []
    for extra in (1, 25):
        with scope(school=cast.a.school):
            for i in range(extra):
                request = services.request_submit(
                    school=cast.a.school,
                    actor=cast.a.users["teacher"],
                    purpose=f"Bulk {extra}-{i}",
                    category=cast.a.site_categories["Educational resource"],
                    sites=[normalise_site(f"bulk{extra}-{i}.example.org"), normalise_site("*.shared.example.org")],
                    groups=[cast.a.filter_groups["pupils-ks3"], cast.a.filter_groups["staff"]],
                    starts_on=timezone.localdate() + timedelta(days=9),
                    ends_on=timezone.localdate() + timedelta(days=9),
                )
                _move(request, Status.HEAD_APPROVED)
        measured = []
        for url in (LIST, "/filtering/waiting/it/"):
            with CaptureQueriesContext(connection) as context:
                assert client.get(url).status_code == 200
            measured.append(len(context.captured_queries))
        counts.append(measured)
        client.get(LIST)
    assert counts[0] == counts[1]


def _office_request(cast):
    """The office asks for the council's parking-permit site, open for two days in three weeks."""
    today = timezone.localdate()
    with scope(school=cast.a.school):
        return services.request_submit(
            school=cast.a.school,
            actor=cast.a.users["office"],
            purpose="Office: the council's parking permits",
            category=cast.a.site_categories["Other"],
            sites=[normalise_site("https://permits.council.example.gov.uk/apply")],
            groups=[cast.a.filter_groups["staff"]],
            starts_on=today + timedelta(days=20),
            ends_on=today + timedelta(days=21),
        )


def test_the_register_is_searched_by_domain_and_filtered_and_exported_for_the_cluster(cast, login):
    today = timezone.localdate()
    other = _office_request(cast)
    client = login(cast.a.users["head"])

    by_domain = client.get(LIST, {"q": "PERMITS.council"}).content.decode()
    assert other.reference in by_domain and cast.a.filter_request.reference not in by_domain
    by_group = client.get(LIST, {"group": cast.a.filter_groups["pupils-ks3"].pk}).content.decode()
    assert cast.a.filter_request.reference in by_group and other.reference not in by_group
    by_requester = client.get(LIST, {"requester": cast.a.users["office"].pk}).content.decode()
    assert other.reference in by_requester and cast.a.filter_request.reference not in by_requester
    by_dates = client.get(LIST, {"since": (today + timedelta(days=19)).isoformat()}).content.decode()
    assert other.reference in by_dates and cast.a.filter_request.reference not in by_dates

    export = client.get("/filtering/requests.csv", {"group": cast.a.filter_groups["staff"].pk})
    text = export.content.decode("utf-8-sig")
    assert export["Content-Type"].startswith("text/csv")
    assert "https://permits.council.example.gov.uk/apply" in text and "Office A" in text
    assert "museum" not in text
    from esafety.models import AccessLogEntry

    assert AccessLogEntry.objects.filter(actor=cast.a.users["head"], summary__startswith="Exported 1 filter").exists()

    refused = client.get("/filtering/requests.csv", {"since": "3000-01-01"})
    assert refused.status_code == 400


def test_asking_for_more_time_starts_a_new_request_filled_in(cast, login):
    today = timezone.localdate()
    item = _move(cast.a.filter_request, Status.ACTIVE, starts_on=today - timedelta(days=2), ends_on=today + timedelta(days=1))
    page = login(cast.a.users["teacher"]).get(_detail(item)).content.decode()
    assert f"/filtering/requests/new/?renew={item.pk}" in page

    form = login(cast.a.users["teacher"]).get(f"{NEW}?renew={item.pk}").content.decode()
    assert "archive.museum-a.example.org" in form
    assert (today + timedelta(days=2)).isoformat() in form
    assert "goes through the head teacher and IT again" in form


def test_another_schools_request_is_not_found(cast, login):
    with scope(school=cast.b.school):
        theirs = cast.b.filter_request
    assert login(cast.a.users["head"]).get(_detail(theirs)).status_code == 404
    assert login(cast.a.users["head"]).post(f"{_detail(theirs)}head/", {"decision": "approve"}).status_code == 404


# --- Reminders ---------------------------------------------------------------------------------------------


def test_reminders_go_once_a_day_for_waiting_ending_and_unremoved_exceptions(cast):
    from filtering.reminders import filtering_reminders_send

    school = cast.a.school
    item = cast.a.filter_request
    FilterExceptionRequest.objects.filter(pk=item.pk).update(created_at=timezone.make_aware(datetime(2026, 11, 2, 9)))
    ending = _newest_active(cast, date(2026, 11, 20), date(2026, 11, 27))
    ended = _newest_active(cast, date(2026, 11, 16), date(2026, 11, 20))

    with time_machine.travel(datetime(2026, 11, 26, 7, 5, tzinfo=timezone.get_current_timezone()), tick=False):
        first = filtering_reminders_send(school)
        again = filtering_reminders_send(school)

    assert first == {"ended": 1, "waiting": 1, "ending": 1, "removal": 1}
    assert again == {"ended": 0, "waiting": 0, "ending": 0, "removal": 0}
    head, it, teacher = cast.a.users["head"], cast.a.users["it"], cast.a.users["teacher"]
    assert Notification.objects.filter(recipient=head, title__startswith=f"Reminder: {item.reference}").count() == 1
    assert (
        Notification.objects.filter(recipient=teacher, title__contains="closes on the filter at the end of tomorrow").count() == 1
    )
    assert Notification.objects.filter(
        recipient=it, title=f"{ended.reference} has ended: remove it from the filter and confirm"
    ).exists()
    ended.refresh_from_db()
    assert ended.status == Status.EXPIRED
    assert ending.reference in Notification.objects.filter(recipient=it, title__contains="tomorrow").get().title


def _newest_active(cast, starts_on, ends_on):
    with scope(school=cast.a.school):
        request = services.request_submit(
            school=cast.a.school,
            actor=cast.a.users["teacher"],
            purpose="Active one",
            category=cast.a.site_categories["Educational resource"],
            sites=[normalise_site(f"active-{starts_on}.example.org")],
            groups=[cast.a.filter_groups["pupils-ks3"]],
            starts_on=max(starts_on, timezone.localdate()),
            ends_on=max(ends_on, timezone.localdate()),
        )
    return _move(request, Status.ACTIVE, starts_on=starts_on, ends_on=ends_on, applied_at=timezone.now())


def test_head_and_it_see_what_waits_on_them_on_the_home_page(cast, login):
    assert "1 request to open sites waits for your sign-off." in login(cast.a.users["head"]).get("/").content.decode()
    assert "Nothing waits for IT on the filter." in login(cast.a.users["it"]).get("/").content.decode()
    assert "Web filter requests" not in login(cast.a.users["teacher"]).get("/").content.decode()


def test_every_member_of_staff_finds_the_register_in_the_menu_and_governors_do_not(cast, login):
    assert 'href="/filtering/">Web filter</a>' in login(cast.a.users["teacher"]).get("/").content.decode()
    assert 'href="/filtering/"' not in login(cast.a.users["governor"]).get("/").content.decode()


def test_sites_are_stored_once_each(cast):
    assert RequestedSite.objects.filter(request=cast.a.filter_request).count() == 1


def test_a_teachers_own_list_names_nobody_else_who_asked(cast, login):
    """A member of staff sees only their own requests, and the filters offer no choice of who asked."""
    _office_request(cast)
    office_name = str(cast.a.users["office"])
    page = login(cast.a.users["teacher"]).get(LIST).content.decode()
    assert "My requests to open sites" in page
    assert office_name not in page and "Asked by" not in page
    # Those who keep the register still filter by who asked.
    register = login(cast.a.users["head"]).get(LIST).content.decode()
    assert "Asked by" in register and office_name in register
