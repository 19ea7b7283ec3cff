"""
The school's device settings: which year groups and other forms keep the phone register, when the day ends, and
the limits of the other areas; saved together, with one history entry that says what changed.
"""

from datetime import time

import pytest
from django.urls import reverse

from devices.models import DeviceSettings
from esafety.scoping import scope
from tests import factories as f

pytestmark = pytest.mark.django_db

URL = reverse("devices:settings")


def data(**extra):
    values = {
        "collection_time": "15:45",
        "confiscation_limit_days": "2",
        "images_deadline_hours": "48",
        "access_review_months": "12",
    }
    values.update(extra)
    return values


def settings_of(cast) -> DeviceSettings:
    return DeviceSettings.objects.get(school=cast.a.school)


def test_the_office_chooses_the_forms_on_the_register_and_the_end_of_the_day(cast, login):
    year8 = f.make_year_group(cast.a.school, 8)
    year9 = f.make_year_group(cast.a.school, 9)
    form9 = f.make_form(cast.a.school, "9C", year9)
    entries = settings_of(cast).history.count()
    client = login(cast.a.users["office"])
    page = client.get(URL)
    assert page.status_code == 200
    text = page.content.decode()
    assert "Year groups on the phone register" in text and "9C (Year 9)" in text
    assert page.context["form"]["register_year_groups"].value() == [cast.a.year7.pk]

    response = client.post(
        URL,
        data(register_year_groups=[str(cast.a.year7.pk), str(year8.pk)], register_forms=[str(form9.pk)]),
        follow=True,
    )
    assert "The device settings have been saved." in response.content.decode()
    saved = settings_of(cast)
    assert set(saved.register_year_groups.all()) == {cast.a.year7, year8}
    assert list(saved.register_forms.all()) == [form9]
    assert (saved.collection_time, saved.confiscation_limit_days, saved.images_deadline_hours) == (time(15, 45), 2, 48)
    entry = saved.history.order_by("-history_id").first()
    assert entry.history_user == cast.a.users["office"]
    assert (
        entry.history_change_reason
        == "Changed year groups on the phone register: Year 7, Year 8; other forms on the phone register: 9C"
    )
    assert saved.history.count() == entries + 1  # one entry for the whole change, the lists included
    page = response.content.decode()
    assert "Changed year groups on the phone register: Year 7, Year 8" in page
    assert "Hold a confiscated device for at most (school days): 1 → 2" in page
    assert "End of the day: 15:30 → 15:45" in page

    # Saved again as it is: nothing changes.
    again = client.post(
        URL, data(register_year_groups=[str(cast.a.year7.pk), str(year8.pk)], register_forms=[str(form9.pk)]), follow=True
    )
    assert "Nothing was changed." in again.content.decode()
    assert saved.history.count() == entries + 1


def test_bad_values_are_refused_beside_their_field_and_nothing_is_saved(cast, login):
    client = login(cast.a.users["head"])
    with scope(school=cast.b.school):
        theirs = cast.b.year7.pk
    response = client.post(URL, data(register_year_groups=[str(theirs)], collection_time="23:30", access_review_months="18"))
    assert response.status_code == 400
    text = response.content.decode()
    assert "Nothing was saved" in text
    assert "Select a valid choice." in text
    assert "Ensure this value is less than or equal to 12." in text
    response = client.post(URL, data(register_year_groups=[str(cast.a.year7.pk)], collection_time="23:30"))
    assert response.status_code == 400
    assert "Give a time between 11:00 and 20:00." in response.content.decode()
    assert 'value="23:30"' in response.content.decode()
    saved = settings_of(cast)
    assert saved.collection_time == time(15, 30) and list(saved.register_year_groups.all()) == [cast.a.year7]


def test_only_those_who_set_devices_up_may_open_the_settings(cast, login):
    entries = settings_of(cast).history.count()
    for label in ("teacher", "dsl", "lead", "governor"):
        assert login(cast.a.users[label]).get(URL).status_code == 403
    assert login(cast.a.users["teacher"]).post(URL, data()).status_code == 403
    assert settings_of(cast).history.count() == entries
    for label in ("it", "head", "office"):
        assert login(cast.a.users[label]).get(URL).status_code == 200
