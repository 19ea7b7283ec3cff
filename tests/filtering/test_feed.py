"""
The allowlist feed, as the filter appliance reads it: what is open at the moment of the request, per group, at an
address with the school's secret token; cheap to poll (ETag and 304), no session, no personal data. And the IT
manager's page of it: the addresses, the token's rotation, when and from where it was last fetched.
"""

import json
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone
from qsessions.models import Session

from esafety.history import history_for
from esafety.scoping import scope
from filtering.models import FilterExceptionRequest, FilterSettings, RequestedSite
from filtering.services.requests import request_apply, request_head_decide, request_it_decide, request_revoke, request_submit
from filtering.sites import normalise_site

pytestmark = pytest.mark.django_db

LONDON = ZoneInfo("Europe/London")
Status = FilterExceptionRequest.Status


def _approved(school_cast, *, sites=("example.org",), groups=("staff",), starts_on=None, ends_on=None, purpose=None):
    """A request through the whole chain up to IT's approval, as the people of the school would make it."""
    starts_on = starts_on or timezone.localdate()
    request = request_submit(
        school=school_cast.school,
        actor=school_cast.users["teacher"],
        purpose=purpose or "Year 9 history: propaganda posters archive",
        category=school_cast.site_categories["Educational resource"],
        sites=[normalise_site(site) for site in sites],
        groups=[school_cast.filter_groups[g] for g in groups],
        starts_on=starts_on,
        ends_on=ends_on or starts_on + timedelta(days=4),
    )
    request = request_head_decide(
        request=request, actor=school_cast.users["head"], approve=True, note="", late_reason="The lesson moved."
    )
    return request_it_decide(request=request, actor=school_cast.users["it"], approve=True, note="")


def _applied(school_cast, **kwargs):
    return request_apply(request=_approved(school_cast, **kwargs), actor=school_cast.users["it"])


def _token(school_cast) -> str:
    return FilterSettings.objects.filter(school=school_cast.school).values_list("feed_token", flat=True).get()


def _url(school_cast, group="staff", fmt="txt", token=None):
    name = "filtering:feed_text" if fmt == "txt" else "filtering:feed_json"
    return reverse(name, kwargs={"token": token or _token(school_cast), "group": group})


def _lines(client, school_cast, group="staff", **headers):
    response = client.get(_url(school_cast, group), headers=headers)
    assert response.status_code == 200
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    return response.content.decode().splitlines()


def _at(day: date, hour: int, minute: int) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=LONDON)


# --- What is in it, and when ----------------------------------------------------------------------------------


def test_an_exception_is_in_the_feed_the_moment_it_is_applied_and_not_before(cast, client):
    approved = _approved(cast.a, sites=["propaganda-posters.example.org"])
    assert _lines(client, cast.a) == []

    request_apply(request=approved, actor=cast.a.users["it"])

    assert _lines(client, cast.a) == ["propaganda-posters.example.org"]


def test_the_feed_follows_the_dates_to_the_minute_without_anyone_acting(cast, client):
    first, last = date(2031, 3, 3), date(2031, 3, 7)
    with time_machine.travel(_at(date(2031, 2, 24), 9, 0), tick=False):
        _applied(cast.a, sites=["posters.example.org"], starts_on=first, ends_on=last)

    expected = {
        _at(first - timedelta(days=1), 23, 59): [],  # applied, but its first day has not come
        _at(first, 0, 0): ["posters.example.org"],
        _at(last, 23, 59): ["posters.example.org"],  # the last day is included
        _at(last + timedelta(days=1), 0, 0): [],  # gone at midnight, though nobody has marked it ended
    }
    for moment, lines in expected.items():
        with time_machine.travel(moment, tick=False):
            assert _lines(client, cast.a) == lines, moment
    with scope(school=cast.a.school):
        assert FilterExceptionRequest.objects.get(number__isnull=False, starts_on=first).status == Status.ACTIVE


def test_a_request_for_another_group_is_not_in_this_groups_feed(cast, client):
    _applied(cast.a, sites=["ks3-only.example.org"], groups=["pupils-ks3"])
    _applied(cast.a, sites=["both.example.org"], groups=["pupils-ks3", "staff"])

    assert _lines(client, cast.a, "pupils-ks3") == ["both.example.org", "ks3-only.example.org"]
    assert _lines(client, cast.a, "staff") == ["both.example.org"]
    assert _lines(client, cast.a, "guests") == []


def test_a_revoked_exception_leaves_the_feed_at_once(cast, client):
    request = _applied(cast.a, sites=["revoked.example.org"])
    assert _lines(client, cast.a) == ["revoked.example.org"]

    request_revoke(request=request, actor=cast.a.users["head"], reason="Not needed after all")

    assert _lines(client, cast.a) == []


def test_the_plain_text_is_one_entry_a_line_sorted_and_unique_as_firewalls_read_it(cast, client):
    _applied(cast.a, sites=["www.bbc.co.uk", "*.wikipedia.org", "https://archive.example.org/posters/1939?page=2"])
    _applied(cast.a, sites=["BBC.co.uk/", "www.bbc.co.uk"])

    assert _lines(client, cast.a) == [
        # A domain and its subdomains: the domain itself and its wildcard, which on most appliances
        # does not match the domain alone.
        "*.wikipedia.org",
        "archive.example.org/posters/1939?page=2",  # an exact address, without http(s)://
        "bbc.co.uk",
        "wikipedia.org",
        "www.bbc.co.uk",  # asked for twice, listed once
    ]


def test_the_json_gives_each_exception_its_reference_and_dates_and_nothing_personal(cast, client):
    first = timezone.localdate()
    request = _applied(
        cast.a,
        sites=["*.propaganda-archive.example.org", "https://museum.example.org/war-posters"],
        purpose="Year 9 history: Alice Aardvark's group, propaganda posters archive",
        starts_on=first,
        ends_on=first + timedelta(days=2),
    )

    response = client.get(_url(cast.a, fmt="json"))

    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    feed = json.loads(response.content)
    assert feed["group"] == {"name": "Staff", "appliance_name": "staff"}
    assert feed["open_on"] == first.isoformat()
    assert datetime.fromisoformat(feed["generated_at"]).tzinfo is not None
    assert feed["entries"] == _lines(client, cast.a)
    assert feed["exceptions"] == [
        {
            "reference": request.reference,
            "starts_on": first.isoformat(),
            "ends_on": (first + timedelta(days=2)).isoformat(),
            "sites": [  # in the order of their values
                {
                    "kind": "url",
                    "value": "https://museum.example.org/war-posters",
                    "entries": ["museum.example.org/war-posters"],
                },
                {
                    "kind": "subdomains",
                    "value": "propaganda-archive.example.org",
                    "entries": ["propaganda-archive.example.org", "*.propaganda-archive.example.org"],
                },
            ],
        }
    ]
    assert request.reference.startswith("FR-")
    body = response.content.decode()
    for personal in ("Teacher A", "Head A", "It A", "Aardvark", "propaganda posters archive", "teacher@a.example", "School A"):
        assert personal not in body


# --- Who gets which feed ---------------------------------------------------------------------------------------


def test_a_wrong_address_is_a_404_that_says_nothing(cast, client):
    _applied(cast.a, sites=["secret-lesson.example.org"])
    token = _token(cast.a)
    with scope(school=cast.a.school):
        cast.a.filter_groups["guests"].is_active = False
        cast.a.filter_groups["guests"].save()

    wrong = [
        _url(cast.a, token="x" * 43),
        _url(cast.a, token=token.upper() if token.upper() != token else token.lower()),
        _url(cast.a, token=token[:-1]),
        _url(cast.a, token="y" * 200),
        _url(cast.a, group="no-such-group"),
        _url(cast.a, group="guests"),  # not in use
        _url(cast.a, group="staff", fmt="json", token="z" * 43),
    ]
    for url in wrong:
        response = client.get(url)
        assert response.status_code == 404, url
        assert response.content == b"Not found.\n"


def test_each_schools_token_gives_that_schools_feed_alone(cast, client):
    _applied(cast.a, sites=["a-lesson.example.org"])
    with scope(school=cast.b.school):
        _applied(cast.b, sites=["b-lesson.example.org"])

    assert _lines(client, cast.a) == ["a-lesson.example.org"]
    with scope(school=cast.b.school):
        assert _lines(client, cast.b) == ["b-lesson.example.org"]
        b_json = client.get(_url(cast.b, fmt="json")).content.decode()
    assert "a-lesson" not in b_json


def test_after_the_token_is_changed_the_old_address_stops_at_once(cast, client, login):
    _applied(cast.a, sites=["rotation.example.org"])
    old = _url(cast.a)
    assert client.get(old).status_code == 200

    page = login(cast.a.users["it"]).post(reverse("filtering:feed_rotate"), {"confirm": "on"}, follow=True)

    assert "The old ones stopped working at once" in page.content.decode()
    client.logout()
    new = _url(cast.a)
    assert new != old
    assert client.get(old).status_code == 404
    assert client.get(new).content.decode() == "rotation.example.org\n"
    settings = FilterSettings.objects.get(school=cast.a.school)
    assert settings.feed_token_rotated_at is not None
    latest = history_for(settings)[0]
    assert (latest.who, latest.reason) == ("It A", "Feed token changed")


def test_the_token_is_not_changed_without_the_box_ticked(cast, login):
    before = _token(cast.a)

    response = login(cast.a.users["it"]).post(reverse("filtering:feed_rotate"), {})

    assert response.status_code == 400
    assert "Tick the box to say you will update the appliance" in response.content.decode()
    assert _token(cast.a) == before


# --- Cheap to poll ----------------------------------------------------------------------------------------------


def test_a_poll_with_the_etag_is_answered_304_from_one_query(cast, client, django_assert_num_queries):
    _applied(cast.a, sites=["etag.example.org"])
    url = _url(cast.a)
    first = client.get(url)
    etag = first["ETag"]
    assert etag.startswith('W/"')
    assert first["Cache-Control"] == "no-cache"

    with django_assert_num_queries(1):
        again = client.get(url, headers={"If-None-Match": etag})

    assert again.status_code == 304
    assert again.content == b""
    assert again["ETag"] == etag
    assert again["Cache-Control"] == "no-cache"
    # As a proxy or client may send it: a list, or the tag without its weak marker.
    assert client.get(url, headers={"If-None-Match": f'"other", {etag}'}).status_code == 304
    assert client.get(url, headers={"If-None-Match": etag.removeprefix("W/")}).status_code == 304
    assert client.get(url, headers={"If-None-Match": '"other"'}).status_code == 200
    # The two formats have their own tags.
    assert client.get(_url(cast.a, fmt="json"), headers={"If-None-Match": etag}).status_code == 200


def test_the_etag_changes_when_an_exception_is_applied_and_at_midnight(cast, client):
    approved = _approved(cast.a, sites=["changes.example.org"])
    url = _url(cast.a)
    before = client.get(url)["ETag"]
    assert client.get(url)["ETag"] == before

    request_apply(request=approved, actor=cast.a.users["it"])
    applied = client.get(url, headers={"If-None-Match": before})

    assert applied.status_code == 200
    assert applied.content == b"changes.example.org\n"
    assert applied["ETag"] != before

    tomorrow = timezone.localdate() + timedelta(days=1)
    with time_machine.travel(_at(tomorrow, 0, 0), tick=False):
        next_day = client.get(url, headers={"If-None-Match": applied["ETag"]})
    assert next_day.status_code == 200
    assert next_day["ETag"] != applied["ETag"]


def test_the_feed_sets_no_cookie_and_makes_no_session(cast, client):
    _applied(cast.a, sites=["no-cookie.example.org"])
    sessions = Session.objects.count()

    for url in (_url(cast.a), _url(cast.a, fmt="json"), _url(cast.a, token="w" * 43)):
        response = client.get(url)
        assert not response.cookies, url
        assert "Set-Cookie" not in str(response.serialize_headers())
    etag = client.get(_url(cast.a))["ETag"]
    assert not client.get(_url(cast.a), headers={"If-None-Match": etag}).cookies
    assert Session.objects.count() == sessions


def test_head_is_answered_and_other_methods_are_not(cast, client):
    response = client.head(_url(cast.a))
    assert response.status_code == 200
    assert response["ETag"]
    assert client.post(_url(cast.a)).status_code == 405


def test_the_number_of_queries_does_not_grow_with_the_exceptions(cast, client, django_assert_num_queries):
    url, json_url = _url(cast.a), _url(cast.a, fmt="json")
    client.get(url)  # the fetch is recorded once a minute: out of the way of the count
    staff = cast.a.filter_groups["staff"]
    for count, new in ((1, 1), (30, 29)):
        _active(cast.a.school, cast.a.users["teacher"], staff, new, start=count - new)
        with django_assert_num_queries(2):  # the token and group; the sites
            lines = client.get(url).content.decode().splitlines()
        assert len(lines) == count * 2  # each site here is a domain and its subdomains
        with django_assert_num_queries(2):
            assert len(json.loads(client.get(json_url).content)["exceptions"]) == count


def _active(school, teacher, group, count, *, start=0):
    """`count` exceptions open today, made directly: the size of the list is what matters here."""
    today = timezone.localdate()
    settings = FilterSettings.objects.get(school=school)
    for index in range(start, start + count):
        request = FilterExceptionRequest.objects.create(
            school=school,
            number=500 + index,
            requested_by=teacher,
            purpose="Year 10 geography: rivers",
            starts_on=today,
            ends_on=today + timedelta(days=3),
            status=Status.ACTIVE,
            applied_at=timezone.now(),
        )
        request.groups.add(group)
        RequestedSite.objects.create(
            request=request, kind="subdomains", value=f"site{index}.example.org", host=f"site{index}.example.org"
        )
    FilterSettings.objects.filter(pk=settings.pk).update(feed_version=settings.feed_version + 1)


# --- When and from where it was last fetched ----------------------------------------------------------------


def test_each_fetch_is_recorded_at_most_once_a_minute_unless_the_address_changes(cast, client, login):
    url = _url(cast.a)
    noon = _at(timezone.localdate(), 12, 0)
    with time_machine.travel(noon, tick=False):
        client.get(url, REMOTE_ADDR="10.1.2.3")
    settings = FilterSettings.objects.get(school=cast.a.school)
    assert (settings.feed_fetched_at, settings.feed_fetched_from) == (noon, "10.1.2.3")

    with time_machine.travel(noon + timedelta(seconds=30), tick=False):
        client.get(url, REMOTE_ADDR="10.1.2.3")
    settings.refresh_from_db()
    assert settings.feed_fetched_at == noon  # a poll every few seconds is not a write every few seconds

    with time_machine.travel(noon + timedelta(seconds=40), tick=False):
        client.get(url, REMOTE_ADDR="10.9.9.9")
    settings.refresh_from_db()
    assert (settings.feed_fetched_at, settings.feed_fetched_from) == (noon + timedelta(seconds=40), "10.9.9.9")

    with time_machine.travel(noon + timedelta(seconds=50), tick=False):
        etag = client.get(url, REMOTE_ADDR="10.9.9.9")["ETag"]
    with time_machine.travel(noon + timedelta(minutes=2), tick=False):
        assert client.get(url, REMOTE_ADDR="10.9.9.9", headers={"If-None-Match": etag}).status_code == 304
    settings.refresh_from_db()
    assert settings.feed_fetched_at == noon + timedelta(minutes=2)  # a 304 is a fetch too
    assert len(history_for(settings)) == 1  # no history: only its creation

    page = login(cast.a.users["it"]).get(reverse("filtering:feed_settings")).content.decode()
    assert f"{timezone.localtime(noon + timedelta(minutes=2)):%-d %b %Y} 12:02" in page
    assert "from 10.9.9.9" in page


def test_the_feed_page_gives_it_each_groups_addresses_and_what_they_list_today(cast, login, settings):
    settings.SITE_URL = "https://esafety.example.org"
    _applied(cast.a, sites=["one.example.org", "two.example.org"], groups=["staff", "pupils-ks4"])
    _applied(cast.a, sites=["three.example.org"], groups=["staff"])
    token = _token(cast.a)

    page = login(cast.a.users["it"]).get(reverse("filtering:feed_settings")).content.decode()

    assert f"https://esafety.example.org/filtering/feed/{token}/staff.txt" in page
    assert f"https://esafety.example.org/filtering/feed/{token}/pupils-ks3.json" in page
    assert "never: the appliance has not read the feed yet" in page
    assert _row(page, "Staff").endswith("<td>3</td>")
    assert _row(page, "KS4 pupils").endswith("<td>2</td>")
    assert _row(page, "Guests").endswith("<td>0</td>")


def _row(page: str, group: str) -> str:
    start = page.index(f'<th scope="row">{group}</th>')
    return " ".join(page[start : page.index("</tr>", start)].split())


def test_the_feed_page_costs_the_same_queries_however_many_exceptions(cast, login, django_assert_max_num_queries):
    client = login(cast.a.users["it"])
    url = reverse("filtering:feed_settings")
    client.get(url)
    with django_assert_max_num_queries(12) as few:
        client.get(url)
    _active(cast.a.school, cast.a.users["teacher"], cast.a.filter_groups["staff"], 25)
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert "<td>25</td>" in client.get(url).content.decode()
