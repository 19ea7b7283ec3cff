"""
Pupils allowed to keep their phone during the day (the DfE's guidance of February 2024 names young carers and
medical needs): agreed, changed, reviewed and ended by the DSL or the head teacher, read by every member of staff
who keeps the register, and reminded to those who manage them when a review falls due.

The cast's Alice keeps her phone as a young carer (tests/devices/cast_phones.py).
"""

from datetime import date, timedelta

import pytest
from django.urls import reverse

from devices.models import PhoneException
from devices.services.phones import phone_exception_reviews_remind
from esafety.models import Notification
from esafety.scoping import scope
from tests import factories as f
from tests.devices.test_phone_register import WEDNESDAY, at, later, register_url

pytestmark = pytest.mark.django_db

LIST = reverse("devices:phone_exception_list")
NEW = reverse("devices:phone_exception_new")


def detail(exception):
    return reverse("devices:phone_exception_detail", args=[exception.pk])


@pytest.fixture
def ben(cast):
    return f.make_pupil(cast.a.school, "Ben", "Birch", form=cast.a.form, mis_id="ex1")


@pytest.fixture
def wednesday(cast, time_machine):
    time_machine.move_to(at(WEDNESDAY, 10), tick=False)


def new_data(cast, pupil, **extra):
    data = {
        "pupil": str(pupil.pk),
        "reason": PhoneException.Reason.MEDICAL,
        "detail": "Type 1 diabetes: checks blood glucose on a phone app.",
        "agreed_by": str(cast.a.staff_member.pk),
        "starts_on": "2026-11-25",
        "review_on": "2027-02-25",
    }
    data.update(extra)
    return data


def test_the_dsl_agrees_an_exception_and_the_register_records_the_pupil_as_keeping_their_phone(cast, login, ben, wednesday):
    dsl = login(cast.a.users["dsl"])
    response = dsl.post(NEW, new_data(cast, ben), follow=True)
    exception = PhoneException.objects.get(pupil=ben)
    assert response.redirect_chain[-1][0] == detail(exception)
    text = response.content.decode()
    assert "Ben Birch may keep their phone: the exception is recorded." in text
    assert "Medical need" in text and "checks blood glucose" in text and "In force: keeps their phone" in text
    assert (exception.created_by, exception.agreed_by, exception.review_on) == (
        cast.a.users["dsl"],
        cast.a.staff_member,
        date(2027, 2, 25),
    )
    history = list(exception.history.all())
    assert [(h.history_type, h.history_change_reason, h.history_user) for h in history] == [("+", "Agreed", cast.a.users["dsl"])]

    # The tutor's register: Ben keeps his phone, nothing to tick.
    teacher = login(cast.a.users["teacher"])
    page = teacher.get(register_url(cast.a.form))
    assert page.content.decode().count("Keeps their phone: medical need") == 1
    rows = {form["pupil"].value(): form for form in page.context["formset"].forms}
    assert "handed_in" not in rows[str(ben.pk)].fields


def test_every_member_of_staff_reads_the_exceptions_and_only_managers_change_them(cast, login, ben, wednesday):
    teacher = login(cast.a.users["teacher"])
    listing = teacher.get(LIST)
    assert listing.status_code == 200
    assert "Aardvark, Alice" in listing.content.decode() and "Young carer" in listing.content.decode()
    assert "Agree an exception" not in listing.content.decode()
    page = teacher.get(detail(cast.a.phone_exception))
    assert page.status_code == 200
    assert "Cares for a parent at home" in page.content.decode()
    assert "Record a review" not in page.content.decode() and "History" in page.content.decode()
    assert teacher.get(NEW).status_code == 403
    assert teacher.post(NEW, new_data(cast, ben)).status_code == 403
    assert not PhoneException.objects.filter(pupil=ben).exists()
    assert login(cast.a.users["governor"]).get(LIST).status_code == 403
    # Another school's exception does not exist for them.
    with scope(school=cast.b.school):
        theirs = cast.b.phone_exception
    assert login(cast.a.users["dsl"]).get(detail(theirs)).status_code == 404


def test_what_is_wrong_is_said_beside_the_field_and_nothing_is_saved(cast, login, ben, wednesday):
    dsl = login(cast.a.users["dsl"])
    response = dsl.post(NEW, new_data(cast, ben, review_on="2026-11-20", detail="Needs it"))
    assert response.status_code == 400
    assert "The review must be on or after the day the exception starts." in response.content.decode()
    assert "Needs it" in response.content.decode()
    # Alice has one already.
    response = dsl.post(NEW, new_data(cast, cast.a.pupil))
    assert response.status_code == 400
    assert (
        "Alice Aardvark already keeps their phone (young carer, from Mon 1 Sep 2025): change or end that exception instead."
        in (response.content.decode())
    )
    # A review date already passed.
    response = dsl.post(NEW, new_data(cast, ben, starts_on="2026-09-01", review_on="2026-11-01"))
    assert "The review date has passed: give a date from today." in response.content.decode()
    # Another school's pupil is not one to choose.
    response = dsl.post(NEW, new_data(cast, cast.b.pupil))
    assert response.status_code == 400
    assert PhoneException.objects.filter(school=cast.a.school).count() == 1


def test_an_exception_is_changed_reviewed_and_ended_with_its_history(cast, login, time_machine, wednesday):
    dsl = login(cast.a.users["dsl"])
    exception = cast.a.phone_exception
    edit = reverse("devices:phone_exception_edit", args=[exception.pk])
    assert dsl.get(edit).status_code == 200
    data = {
        "reason": PhoneException.Reason.OTHER,
        "detail": "Cares for a younger sibling after school.",
        "agreed_by": str(cast.a.staff_member.pk),
        "starts_on": "2025-09-01",
        "review_on": "2026-12-01",
    }
    assert dsl.post(edit, data)["Location"] == detail(exception)
    exception.refresh_from_db()
    assert (exception.reason, exception.review_on) == (PhoneException.Reason.OTHER, date(2026, 12, 1))

    # Due within the week: marked on the list and the page.
    assert "Review due soon" in dsl.get(LIST).content.decode()
    review = reverse("devices:phone_exception_review", args=[exception.pk])
    refused = dsl.post(review, {"review-review_on": "2026-11-25", "review-note": ""})
    assert refused.status_code == 400 and "The next review must be after today." in refused.content.decode()
    PhoneException.objects.filter(pk=exception.pk).update(reminded_on=WEDNESDAY)
    dsl.post(review, {"review-review_on": "2027-03-01", "review-note": "Met with her mother: still needed"})
    exception.refresh_from_db()
    assert exception.review_on == date(2027, 3, 1) and exception.reviewed_at == at(WEDNESDAY, 10)
    assert exception.reminded_on is None  # its reminders start again from the new date
    reasons = [h.history_change_reason for h in exception.history.exclude(history_type="+").order_by("history_id")]
    assert reasons == ["Changed", "Reviewed: Met with her mother: still needed"]
    page = dsl.get(detail(exception)).content.decode()
    assert "Reviewed: Met with her mother: still needed" in page and "Review due soon" not in page

    # Ended from tomorrow: she hands her phone in from then.
    end = reverse("devices:phone_exception_end", args=[exception.pk])
    too_soon = dsl.post(end, {"end-ended_on": "2026-11-26", "end-note": ""})
    assert "Give today or a day that has passed" in too_soon.content.decode()
    later(time_machine, dsl, cast.a.users["dsl"], at(WEDNESDAY + timedelta(days=1), 8))
    ended = dsl.post(end, {"end-ended_on": "2026-11-26", "end-note": "Her mother is well again"}, follow=True)
    assert "The exception has ended: Alice Aardvark hands their phone in from Thu 26 Nov 2026." in ended.content.decode()
    exception.refresh_from_db()
    assert exception.ended_on == date(2026, 11, 26)
    assert "Record a review" not in ended.content.decode() and "Ended 26 Nov 2026" in ended.content.decode()
    # Ended twice: the second is told.
    again = dsl.post(end, {"end-ended_on": "2026-11-26"}, follow=True)
    assert "This exception ended on Thu 26 Nov 2026" in again.content.decode()
    teacher = login(cast.a.users["teacher"])
    rows = {form["pupil"].value(): form for form in teacher.get(register_url(cast.a.form)).context["formset"].forms}
    assert "handed_in" in rows[str(cast.a.pupil.pk)].fields
    assert "Ended" in teacher.get(f"{LIST}?show=ended").content.decode()


def test_reviews_due_are_reminded_once_a_week_to_the_dsl_and_the_head(cast, ben):
    school = cast.a.school
    exception = cast.a.phone_exception
    exception.review_on = date(2026, 12, 2)
    exception.save()
    # Not due yet (more than a week away), or ended: nothing.
    far = PhoneException.objects.create(
        school=school,
        pupil=ben,
        reason=PhoneException.Reason.MEDICAL,
        detail="Asthma plan",
        agreed_by=cast.a.staff_member,
        starts_on=date(2026, 9, 1),
        review_on=date(2027, 1, 15),
        created_by=cast.a.users["dsl"],
    )
    last = Notification.objects.order_by("-pk").values_list("pk", flat=True).first()
    assert phone_exception_reviews_remind(school=school, today=date(2026, 11, 24)) == 0

    assert phone_exception_reviews_remind(school=school, today=date(2026, 11, 25)) == 1
    sent = list(Notification.objects.filter(pk__gt=last))
    assert sorted(n.recipient.email for n in sent) == ["dsl@a.example", "head@a.example"]
    assert {n.title for n in sent} == {"The phone exception of Alice Aardvark is due for review on Wed 2 Dec 2026"}
    assert {n.link for n in sent} == {detail(exception)}
    exception.refresh_from_db()
    assert exception.reminded_on == date(2026, 11, 25)
    assert exception.history.filter(history_change_reason__isnull=False).count() == 0  # the stamp is no change

    # Again the same day, or within the week: nothing.
    assert phone_exception_reviews_remind(school=school, today=date(2026, 11, 25)) == 0
    assert phone_exception_reviews_remind(school=school, today=date(2026, 12, 1)) == 0
    # A week on, overdue now: reminded again.
    assert phone_exception_reviews_remind(school=school, today=date(2026, 12, 2)) == 1
    assert phone_exception_reviews_remind(school=school, today=date(2026, 12, 9)) == 1
    assert Notification.objects.latest("pk").title == "The phone exception of Alice Aardvark was due for review on Wed 2 Dec 2026"
    # Ended: no more.
    exception.ended_on = date(2026, 12, 10)
    exception.save()
    assert phone_exception_reviews_remind(school=school, today=date(2026, 12, 16)) == 0
    far.refresh_from_db()
    assert far.reminded_on is None


def test_the_list_marks_overdue_reviews(cast, login, wednesday):
    exception = cast.a.phone_exception
    client = login(cast.a.users["teacher"])
    assert "Review overdue" not in client.get(LIST).content.decode()
    PhoneException.objects.filter(pk=exception.pk).update(review_on=date(2026, 11, 20))
    assert "Review overdue" in client.get(LIST).content.decode()
    assert "Review overdue" in client.get(detail(exception)).content.decode()
