"""
The school's filtering settings page: the notice and the longest period of a request, how often the logs are
reviewed, the filter groups and the kinds of site, saved together (all or nothing) with their history.
"""

import pytest
from django.urls import reverse

from esafety.history import history_for
from filtering.models import FilterGroup, FilterSettings, SiteCategory

pytestmark = pytest.mark.django_db

URL = reverse("filtering:settings")


def _form(cast, **changes) -> dict:
    """The page's form as it comes, every row as saved and the blank rows blank, with `changes` made."""
    school = cast.a.school
    settings = FilterSettings.objects.get(school=school)
    data = {
        "settings-notice_school_days": settings.notice_school_days,
        "settings-longest_period_days": settings.longest_period_days,
        "settings-review_interval": settings.review_interval,
    }
    groups = list(FilterGroup.objects.filter(school=school).order_by("order", "name"))
    categories = list(SiteCategory.objects.filter(school=school).order_by("order", "name"))
    for prefix, rows, fields in (
        ("groups", groups, ("name", "appliance_name", "kind", "is_active")),
        ("categories", categories, ("name", "never_open", "reason")),
    ):
        data.update(
            {
                f"{prefix}-TOTAL_FORMS": len(rows) + 1,
                f"{prefix}-INITIAL_FORMS": len(rows),
                f"{prefix}-MIN_NUM_FORMS": 0,
                f"{prefix}-MAX_NUM_FORMS": 100,
            }
        )
        for index, row in enumerate(rows):
            data[f"{prefix}-{index}-id"] = row.pk
            for field in fields:
                value = getattr(row, field)
                if value is True:
                    data[f"{prefix}-{index}-{field}"] = "on"
                elif value is not False:
                    data[f"{prefix}-{index}-{field}"] = value
        data[f"{prefix}-{len(rows)}-id"] = ""
    data[f"groups-{len(groups)}-is_active"] = "on"  # ticked in the blank row, as the page comes
    for key, value in changes.items():
        if value is None:
            data.pop(key, None)
        else:
            data[key] = value
    return data


def _index(cast, name: str) -> int:
    names = list(FilterGroup.objects.filter(school=cast.a.school).order_by("order", "name").values_list("name", flat=True))
    return names.index(name)


def test_it_and_the_head_teacher_change_the_settings_and_the_history_says_who(cast, login):
    client = login(cast.a.users["it"])
    response = client.post(URL, _form(cast, **{"settings-notice_school_days": 5}), follow=True)
    assert "The filtering settings have been saved." in response.content.decode()

    client = login(cast.a.users["head"])
    page = client.post(URL, _form(cast, **{"settings-review_interval": "term"}), follow=True).content.decode()

    settings = FilterSettings.objects.get(school=cast.a.school)
    assert (settings.notice_school_days, settings.review_interval) == (5, "term")
    latest, earlier = history_for(settings)[:2]
    assert (latest.who, latest.reason) == ("Head A", "Settings changed")
    assert [(c.label, c.old, c.new) for c in latest.changes] == [("Review the logs", "Every half-term", "Every term")]
    assert (earlier.who, [(c.old, c.new) for c in earlier.changes]) == ("It A", [("3", "5")])
    assert "Every half-term → Every term" in page


def test_saving_the_form_unchanged_changes_nothing(cast, login):
    response = login(cast.a.users["it"]).post(URL, _form(cast), follow=True)

    assert "Nothing was changed." in response.content.decode()
    assert len(history_for(FilterSettings.objects.get(school=cast.a.school))) == 1


def test_bad_settings_are_refused_beside_the_box_keeping_what_was_typed(cast, login):
    client = login(cast.a.users["it"])
    data = _form(cast, **{"settings-notice_school_days": 45, "settings-longest_period_days": 0, "groups-0-name": "Early years"})

    response = client.post(URL, data)

    page = response.content.decode()
    assert response.status_code == 400
    assert "Ask for at most 30 school days&#x27; notice (six weeks)." in page
    assert "Sites must be open for at least one day." in page
    assert 'value="45"' in page
    assert 'value="Early years"' in page
    assert "Nothing was saved" in page
    settings = FilterSettings.objects.get(school=cast.a.school)
    assert (settings.notice_school_days, settings.longest_period_days) == (3, 42)
    assert not FilterGroup.objects.filter(school=cast.a.school, name="Early years").exists()


def test_a_group_is_added_in_the_blank_row_with_its_history(cast, login):
    count = FilterGroup.objects.filter(school=cast.a.school).count()
    data = _form(
        cast,
        **{
            f"groups-{count}-name": "Year 11 revision",
            f"groups-{count}-appliance_name": "pupils-y11-revision",
            f"groups-{count}-kind": "pupils",
            f"groups-{count}-is_active": "on",
        },
    )

    login(cast.a.users["it"]).post(URL, data)

    group = FilterGroup.objects.get(school=cast.a.school, appliance_name="pupils-y11-revision")
    assert (group.name, group.kind, group.is_active) == ("Year 11 revision", "pupils", True)
    assert group.order > max(
        FilterGroup.objects.filter(school=cast.a.school).exclude(pk=group.pk).values_list("order", flat=True)
    )
    entry = history_for(group)[0]
    assert (entry.action, entry.who, entry.reason) == ("Created", "It A", "Filter group added")


def test_two_groups_with_the_same_name_on_the_appliance_save_nothing(cast, login):
    count = FilterGroup.objects.filter(school=cast.a.school).count()
    data = _form(
        cast,
        **{
            "settings-notice_school_days": 4,
            f"groups-{count}-name": "Staff laptops",
            f"groups-{count}-appliance_name": "staff",
            f"groups-{count}-kind": "staff",
            f"groups-{count}-is_active": "on",
        },
    )

    response = login(cast.a.users["it"]).post(URL, data)

    page = response.content.decode()
    assert response.status_code == 400
    assert "Another row has this name on the filter appliance: give each its own." in page
    assert 'value="Staff laptops"' in page
    assert not FilterGroup.objects.filter(school=cast.a.school, name="Staff laptops").exists()
    assert FilterSettings.objects.get(school=cast.a.school).notice_school_days == 3


def test_a_group_renamed_to_another_groups_name_is_refused_whatever_the_case(cast, login):
    index = _index(cast, "Guests")
    response = login(cast.a.users["it"]).post(URL, _form(cast, **{f"groups-{index}-name": "STAFF"}))

    assert response.status_code == 400
    assert "Another row has this name: give each its own." in response.content.decode()


def test_a_bad_name_on_the_appliance_is_refused(cast, login):
    index = _index(cast, "Guests")
    response = login(cast.a.users["it"]).post(URL, _form(cast, **{f"groups-{index}-appliance_name": "guest wifi"}))

    assert response.status_code == 400
    assert "letters, numbers, underscores or hyphens" in response.content.decode()
    assert FilterGroup.objects.get(school=cast.a.school, name="Guests").appliance_name == "guests"


def test_a_group_taken_out_of_use_stops_its_feed(cast, login, client):
    token = FilterSettings.objects.get(school=cast.a.school).feed_token
    feed = reverse("filtering:feed_text", kwargs={"token": token, "group": "guests"})
    version = FilterSettings.objects.get(school=cast.a.school).feed_version
    index = _index(cast, "Guests")

    login(cast.a.users["it"]).post(URL, _form(cast, **{f"groups-{index}-is_active": None}))

    guests = FilterGroup.objects.get(school=cast.a.school, name="Guests")
    assert guests.is_active is False
    assert history_for(guests)[0].changes[0].label == "In use"
    assert FilterSettings.objects.get(school=cast.a.school).feed_version == version + 1
    client.logout()
    assert client.get(feed).status_code == 404


def test_a_kind_of_site_never_opened_must_say_why(cast, login):
    count = SiteCategory.objects.filter(school=cast.a.school).count()
    data = _form(cast, **{f"categories-{count}-name": "Gambling", f"categories-{count}-never_open": "on"})

    response = login(cast.a.users["head"]).post(URL, data)

    page = response.content.decode()
    assert response.status_code == 400
    assert "Say why sites of this kind are never opened: staff who ask for one are shown it." in page
    assert 'value="Gambling"' in page
    assert not SiteCategory.objects.filter(school=cast.a.school, name="Gambling").exists()

    data[f"categories-{count}-reason"] = "Gambling sites are never opened for pupils or staff."
    login(cast.a.users["head"]).post(URL, data)

    gambling = SiteCategory.objects.get(school=cast.a.school, name="Gambling")
    assert gambling.never_open
    assert history_for(gambling)[0].reason == "Kind of site added"


def test_the_page_shows_the_groups_and_kinds_of_site_at_a_fixed_cost(cast, login, django_assert_max_num_queries):
    client = login(cast.a.users["head"])
    client.get(URL)
    with django_assert_max_num_queries(14) as counted:
        page = client.get(URL).content.decode()
    assert 'value="pupils-ks3"' in page
    assert 'value="On the IWF list"' in page
    FilterGroup.objects.bulk_create(
        [FilterGroup(school=cast.a.school, name=f"Year {n}", appliance_name=f"year-{n}", kind="pupils") for n in range(20)]
    )
    with django_assert_max_num_queries(len(counted.captured_queries)):
        assert 'value="year-19"' in client.get(URL).content.decode()


def test_another_schools_settings_are_not_changed_from_this_one(cast, login):
    from esafety.scoping import scope

    login(cast.a.users["it"]).post(URL, _form(cast, **{"settings-notice_school_days": 7}))

    with scope(school=cast.b.school):
        assert FilterSettings.objects.get(school=cast.b.school).notice_school_days == 3
