"""
The register of staff training kept by the e-safety lead (with the DSL and the head teacher): courses recorded by
hand with their certificates, corrected, searched and filtered; certificates downloaded only by those who may, and
written to the access log; and My training for every member of staff.
"""

from datetime import date, timedelta

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from esafety.history import history_for
from esafety.models import AccessLogEntry
from esafety.scoping import scope
from policies.models import TrainingRecord, add_months
from policies.services import training as services
from tests import factories as f

pytestmark = pytest.mark.django_db

Kind = TrainingRecord.Kind
LIST = reverse("policies:training_list")
NEW = reverse("policies:training_new")
MINE = reverse("policies:my_training")
PDF = b"%PDF-1.4\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def url(name, record):
    return reverse(f"policies:{name}", args=[record.pk])


def page(response):
    return response.content.decode()


def record_for(cast, member, *, kind=Kind.SAFEGUARDING, course="Safeguarding update", days_ago=100, **extra):
    return services.training_record_add(
        school=cast.a.school,
        actor=cast.a.users["lead"],
        staff_member=member,
        kind=kind,
        course=course,
        completed_on=timezone.localdate() - timedelta(days=days_ago),
        **extra,
    )


def new_data(cast, **changes):
    data = {
        "staff_member": cast.a.staff_member.pk,
        "kind": Kind.SAFEGUARDING,
        "course": "Annual safeguarding update",
        "provider": "Local authority",
        "completed_on": (timezone.localdate() - timedelta(days=3)).isoformat(),
        "expires_on": "",
        "notes": "Whole-staff INSET",
    }
    data.update(changes)
    return data


# --- Recording a course ---------------------------------------------------------------------------------------------


def test_the_lead_records_a_course_with_its_certificate_and_it_is_in_the_history(cast, login):
    client = login(cast.a.users["lead"])
    certificate = SimpleUploadedFile("Tutor's certificate.pdf", PDF, content_type="application/pdf")
    response = client.post(NEW, {**new_data(cast), "certificate": certificate}, follow=True)
    record = TrainingRecord.objects.get(course="Annual safeguarding update")
    assert "Annual safeguarding update is recorded for Tutor TeacherA." in page(response)
    assert record.staff_member == cast.a.staff_member and record.recorded_by == cast.a.users["lead"]
    assert record.expires_on is None and record.provider == "Local authority"
    # Stored under a name of its own, which says nothing of whose it is.
    assert record.certificate.name.startswith("training/") and record.certificate.name.endswith(".pdf")
    assert "Tutor" not in record.certificate.name
    (entry,) = history_for(record)
    assert entry.action == "Created" and entry.who == str(cast.a.users["lead"]) and entry.reason == "Recorded"


def test_with_no_expiry_date_the_course_runs_for_the_refresher_period(cast, login):
    client = login(cast.a.users["dsl"])
    completed = timezone.localdate() - timedelta(days=3)
    client.post(NEW, new_data(cast))
    record = TrainingRecord.objects.get(course="Annual safeguarding update")
    body = page(client.get(url("training_detail", record)))
    expiry = add_months(completed, 12)
    assert f"{expiry.day} {expiry:%b %Y}" in body and "(refresher period)" in body


@pytest.mark.parametrize(
    "changes,field,message",
    [
        ({"completed_on": "2999-01-01"}, "completed_on", "This date is in the future"),
        ({"completed_on": "31/02/2026"}, "completed_on", "Write the date as dd/mm/yyyy."),
        ({"expires_on": "2000-01-01"}, "expires_on", "A course expires after the day it was completed."),
        ({"course": ""}, "course", "Give the course's name."),
        ({"kind": "juggling"}, "kind", "Select a valid choice"),
        ({"staff_member": ""}, "staff_member", "Choose who completed the course."),
    ],
)
def test_bad_input_is_shown_beside_its_box_and_what_was_typed_is_kept(cast, login, changes, field, message):
    response = login(cast.a.users["lead"]).post(NEW, new_data(cast, **changes))
    assert response.status_code == 400
    assert message in " ".join(response.context["form"].errors[field])
    assert "Whole-staff INSET" in page(response)
    assert not TrainingRecord.objects.filter(course="Annual safeguarding update").exists()


@pytest.mark.parametrize(
    "name,content,message",
    [
        ("certificate.docx", b"PK\x03\x04", "Upload the certificate as a PDF, PNG or JPEG file."),
        ("certificate.pdf", b"<html><script>alert(1)</script></html>", "This file is not a PDF file"),
        ("certificate.png", PDF, "This file is not a PNG file"),
        ("certificate.pdf", b"%PDF-" + b"0" * (5 * 1024 * 1024), "the most we keep is 5 MB"),
    ],
)
def test_a_certificate_must_be_a_pdf_or_an_image_of_a_sensible_size(cast, login, name, content, message):
    response = login(cast.a.users["lead"]).post(NEW, {**new_data(cast), "certificate": SimpleUploadedFile(name, content)})
    assert response.status_code == 400
    assert message in " ".join(response.context["form"].errors["certificate"])
    assert not TrainingRecord.objects.filter(course="Annual safeguarding update").exists()


def test_only_staff_in_post_are_offered_and_a_leaver_is_refused(cast, login):
    leaver = f.make_staff(cast.a.school, "Gone", "Leaver", mis_id="GL1", leaving_date=date(2020, 7, 20))
    with scope(school=cast.b.school):
        outsider = cast.b.staff_member
    client = login(cast.a.users["lead"])
    body = page(client.get(NEW))
    assert "TeacherA, Tutor" in body and "Leaver, Gone" not in body and "TeacherB" not in body
    for member in (leaver, outsider):
        response = client.post(NEW, new_data(cast, staff_member=member.pk))
        assert response.status_code == 400
        assert "Choose a member of staff in post." in response.context["form"].errors["staff_member"]


def test_the_page_of_who_is_due_opens_the_form_with_the_person_chosen(cast, login):
    response = login(cast.a.users["lead"]).get(NEW + f"?staff={cast.a.staff_member.pk}")
    assert response.context["form"].initial["staff_member"] == cast.a.staff_member.pk
    assert login(cast.a.users["lead"]).get(NEW + "?staff=not-an-id").status_code == 200


# --- Changing a record ----------------------------------------------------------------------------------------------


def test_a_correction_is_saved_through_the_service_and_shown_in_the_history(cast, login):
    record = cast.a.training_record
    client = login(cast.a.users["head"])
    data = new_data(cast, course="Online safety for all staff", kind=Kind.ONLINE_SAFETY, expires_on="")
    data["completed_on"] = record.completed_on.isoformat()
    response = client.post(url("training_edit", record), data, follow=True)
    record.refresh_from_db()
    assert record.course == "Online safety for all staff" and record.provider == "Local authority"
    body = page(response)
    assert "has been saved" in body and "Details changed" in body
    assert "Course: Online safety for staff → Online safety for all staff" in body


def test_a_new_certificate_replaces_the_old_one_and_the_old_file_goes(cast, login, django_capture_on_commit_callbacks):
    record = record_for(cast, cast.a.staff_member, certificate=SimpleUploadedFile("a.pdf", PDF))
    old_name = record.certificate.name
    storage = record.certificate.storage
    client = login(cast.a.users["lead"])
    data = new_data(cast, course=record.course, completed_on=record.completed_on.isoformat())
    with django_capture_on_commit_callbacks(execute=True):
        client.post(url("training_edit", record), {**data, "certificate": SimpleUploadedFile("b.png", PNG)})
    record.refresh_from_db()
    assert record.certificate.name.endswith(".png") and not storage.exists(old_name)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(url("training_edit", record), {**data, "remove_certificate": "on"})
    record.refresh_from_db()
    assert not record.certificate


def test_another_schools_record_is_not_found(cast, login):
    with scope(school=cast.b.school):
        theirs = cast.b.training_record
    client = login(cast.a.users["lead"])
    assert client.get(url("training_detail", theirs)).status_code == 404
    assert client.post(url("training_edit", theirs), new_data(cast)).status_code == 404
    assert client.get(url("training_certificate", theirs)).status_code == 404


# --- The register -------------------------------------------------------------------------------------------------


def test_the_register_searches_filters_and_sorts(cast, login):
    nurse = f.make_staff(cast.a.school, "Nia", "Nurse", mis_id="NNU")
    record_for(cast, nurse, kind=Kind.PREVENT, course="Prevent awareness", days_ago=10)
    record_for(cast, nurse, kind=Kind.SAFEGUARDING, course="Level 1 safeguarding", days_ago=400)
    record_for(cast, cast.a.staff_member, kind=Kind.SAFEGUARDING, course="Safeguarding update", days_ago=350)
    client = login(cast.a.users["lead"])

    def courses(query):
        return [record.course for record in client.get(LIST + query).context["page"].object_list]

    assert courses("") == ["Prevent awareness", "Online safety for staff", "Safeguarding update", "Level 1 safeguarding"]
    assert courses("?q=nurse") == ["Prevent awareness", "Level 1 safeguarding"]
    assert courses("?q=NNU") == ["Prevent awareness", "Level 1 safeguarding"]
    assert courses("?q=prevent") == ["Prevent awareness"]
    assert courses("?kind=safeguarding&order=oldest") == ["Level 1 safeguarding", "Safeguarding update"]
    assert courses("?expiry=expired") == ["Level 1 safeguarding"]
    assert courses("?expiry=soon") == ["Safeguarding update"]
    assert courses("?expiry=valid&order=course") == ["Online safety for staff", "Prevent awareness", "Safeguarding update"]
    assert courses("?order=name") == [
        "Prevent awareness",
        "Level 1 safeguarding",
        "Online safety for staff",
        "Safeguarding update",
    ]
    body = page(client.get(LIST + "?expiry=expired"))
    assert "Expired" in body and "Nurse, Nia" in body


def test_a_bad_filter_is_shown_and_the_register_is_not_filtered(cast, login):
    response = login(cast.a.users["lead"]).get(LIST + "?expiry=someday&order=shoe-size")
    assert response.status_code == 400 and "expiry" in response.context["filter_form"].errors


def test_the_expiry_filters_follow_the_calendar_at_the_end_of_a_month(cast, login):
    """Training completed on 31 January with a one-month refresher runs out on 28 February, not 3 March."""
    member = f.make_staff(cast.a.school, "Month", "End", mis_id="ME1")
    login(cast.a.users["lead"]).post(
        reverse("policies:settings"), {"review_months": 12, "induction_days": 30, "refresher_months": 1}
    )
    with time_machine.travel(date(2027, 3, 1), tick=False):
        client = login(cast.a.users["lead"])  # signed in on the day: a session does not last for months
        services.training_record_add(
            school=cast.a.school,
            actor=cast.a.users["lead"],
            staff_member=member,
            kind=Kind.ONLINE_SAFETY,
            course="Month end",
            completed_on=date(2027, 1, 31),
        )
        expired = [r.course for r in client.get(LIST + "?expiry=expired&q=month").context["page"].object_list]
    with time_machine.travel(date(2027, 2, 28), tick=False):
        client = login(cast.a.users["lead"])
        valid = [r.course for r in client.get(LIST + "?expiry=valid&q=month").context["page"].object_list]
    assert expired == ["Month end"] and valid == ["Month end"]


def _queries(client, address) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(address).status_code == 200
    return len(queries)


def _more_records(cast, n, start=0):
    for i in range(start, start + n):
        member = f.make_staff(cast.a.school, f"Grown{i}", "Trainee", mis_id=f"GT{i}", start_date=date(2020, 9, 1))
        record_for(cast, member, course=f"Course {i}", days_ago=i * 20, certificate=SimpleUploadedFile("c.pdf", PDF))
        record_for(cast, member, kind=Kind.PREVENT, course=f"Prevent {i}", days_ago=i * 7)


@pytest.mark.parametrize("query", ["", "?q=trainee&kind=safeguarding&expiry=valid&order=name"])
def test_the_register_runs_the_same_queries_however_many_records(cast, login, query, django_assert_num_queries):
    client = login(cast.a.users["lead"])
    _more_records(cast, 2)
    _queries(client, LIST + query)
    few = _queries(client, LIST + query)
    _more_records(cast, 30, start=2)
    with django_assert_num_queries(few):
        body = page(client.get(LIST + query))
    assert "Trainee" in body
    # The page's own queries, besides the 7 of every page: the settings, the count, the page of records.
    assert few <= 7 + 3


def test_the_record_page_runs_the_same_queries_however_long_its_history(cast, login, django_assert_num_queries):
    record, client = cast.a.training_record, login(cast.a.users["lead"])
    _queries(client, url("training_detail", record))
    few = _queries(client, url("training_detail", record))
    for i in range(5):
        record_for(cast, cast.a.staff_member, course=f"Other {i}", days_ago=i + 1)
        services.training_record_change(
            record=record,
            actor=cast.a.users["dsl"],
            staff_member=cast.a.staff_member,
            kind=record.kind,
            course=f"Renamed {i}",
            completed_on=record.completed_on,
        )
    with django_assert_num_queries(few):
        body = page(client.get(url("training_detail", record)))
    assert "Other 4" in body and "Renamed 4" in body


# --- Certificates -------------------------------------------------------------------------------------------------


def test_a_certificate_download_is_written_to_the_access_log(cast, login):
    record = record_for(cast, cast.a.staff_member, certificate=SimpleUploadedFile("cert.pdf", PDF))
    response = login(cast.a.users["dsl"]).get(url("training_certificate", record))
    assert response.status_code == 200 and b"".join(response.streaming_content) == PDF
    assert response["Content-Type"] == "application/pdf"
    assert 'attachment; filename="certificate-tutor-teachera-safeguarding-update.pdf"' == response["Content-Disposition"]
    assert response["Cache-Control"] == "private, no-store"
    entry = AccessLogEntry.objects.get(actor=cast.a.users["dsl"], kind=AccessLogEntry.Kind.EXPORT)
    assert entry.object_id == str(record.pk) and "training certificate" in entry.summary
    # Staff names are personal data: the summary names the course, never the person.
    assert "Tutor" not in entry.summary


def test_a_member_of_staff_downloads_their_own_certificate_but_nobody_elses(cast, login):
    mine = record_for(cast, cast.a.staff_member, certificate=SimpleUploadedFile("cert.png", PNG))
    colleague = f.make_staff(cast.a.school, "Col", "League", mis_id="CL1", user=cast.a.users["it"])
    theirs = record_for(cast, colleague, certificate=SimpleUploadedFile("cert.pdf", PDF))
    client = login(cast.a.users["teacher"])
    response = client.get(url("training_certificate", mine))
    assert response.status_code == 200 and response["Content-Type"] == "image/png"
    assert client.get(url("training_certificate", theirs)).status_code == 404
    assert AccessLogEntry.objects.filter(actor=cast.a.users["teacher"]).count() == 1


def test_a_course_without_a_certificate_says_so(cast, login):
    response = login(cast.a.users["teacher"]).get(url("training_certificate", cast.a.training_record), follow=True)
    assert response.redirect_chain[-1][0] == MINE
    assert "No certificate is kept for this course." in page(response)


# --- My training ----------------------------------------------------------------------------------------------------


def test_my_training_shows_my_own_records_only(cast, login):
    colleague = f.make_staff(cast.a.school, "Col", "League", mis_id="CL1")
    record_for(cast, colleague, course="Colleague's course")
    body = page(login(cast.a.users["teacher"]).get(MINE))
    assert "Online safety for staff" in body and "Colleague" not in body
    assert "Your training is up to date." in body


def test_my_training_says_what_is_due(cast, login):
    TrainingRecord.objects.filter(pk=cast.a.training_record.pk).update(completed_on=timezone.localdate() - timedelta(days=400))
    body = page(login(cast.a.users["teacher"]).get(MINE))
    assert "Your e-safety and safeguarding training expired" in body and "a refresher is overdue" in body


def test_without_a_staff_record_my_training_says_why_nothing_shows(cast, login):
    body = page(login(cast.a.users["office"]).get(MINE))
    assert "no staff record in post linked to your login" in body


def test_my_training_runs_the_same_queries_however_many_records(cast, login, django_assert_num_queries):
    client = login(cast.a.users["teacher"])
    _queries(client, MINE)
    few = _queries(client, MINE)
    for i in range(8):
        record_for(cast, cast.a.staff_member, course=f"Course {i}", days_ago=i * 30, certificate=SimpleUploadedFile("c.pdf", PDF))
    _more_records(cast, 5)
    with django_assert_num_queries(few):
        body = page(client.get(MINE))
    assert "Course 7" in body
    # Besides the 7 of every page: the staff record with what is due, the settings, the records.
    assert few <= 7 + 3
