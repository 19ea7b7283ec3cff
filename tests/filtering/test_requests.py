"""The filter exception register: who sees which requests, the home panel and the menu."""

import pytest

from filtering.models import FilterExceptionRequest

pytestmark = pytest.mark.django_db

LIST = "/filtering/"


def test_a_teacher_sees_their_own_requests_and_not_a_colleagues(cast, login):
    colleague = cast.a.users["office"]
    FilterExceptionRequest.objects.create(
        school=cast.a.school,
        requested_by=colleague,
        purpose="Office training video",
        starts_on="2030-01-06",
        ends_on="2030-01-07",
    )

    page = login(cast.a.users["teacher"]).get(LIST).content.decode()

    assert "the museum&#x27;s image archive (A)" in page
    assert "Office training video" not in page
    assert "(B)" not in page


def test_the_head_teacher_sees_the_school_register_and_no_other_schools(cast, login):
    page = login(cast.a.users["head"]).get(LIST).content.decode()

    assert "the museum&#x27;s image archive (A)" in page
    assert "(B)" not in page
    assert "1 in all." in page


def test_head_and_it_see_what_waits_on_them_on_the_home_page(cast, login):
    for role in ("head", "it"):
        page = login(cast.a.users[role]).get("/").content.decode()
        assert "1 request to open sites is waiting for a decision." in page
    assert "Web filter requests" not in login(cast.a.users["teacher"]).get("/").content.decode()


def test_every_member_of_staff_finds_the_register_in_the_menu_and_governors_do_not(cast, login):
    assert 'href="/filtering/">Web filter</a>' in login(cast.a.users["teacher"]).get("/").content.decode()
    assert "/filtering/" not in login(cast.a.users["governor"]).get("/").content.decode()
