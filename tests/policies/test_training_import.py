"""
Past training imported from a CSV file (a spreadsheet, or a training provider's report): upload, a preview of what is
added with every bad row named by line and column, then a confirmation that saves every row or none. Each row's member
of staff is found by MIS staff code or work e-mail address.
"""

import csv
import io
from datetime import date

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from esafety.history import history_for
from esafety.models import StaffMember
from esafety.scoping import scope
from policies.forms.training import TrainingImportConfirmForm
from policies.models import TrainingRecord
from policies.services import training as services
from tests import factories as f

pytestmark = pytest.mark.django_db


def signed_for(**kwargs) -> str:
    """The hidden field of a confirmation, as the upload step signs it."""
    return TrainingImportConfirmForm.for_file(**kwargs).initial["upload"]


IMPORT = reverse("policies:training_import")
CONFIRM = reverse("policies:training_import_confirm")
TEMPLATE = reverse("policies:training_import_template")
Kind = TrainingRecord.Kind
GOOD = (
    "Staff Code,Email,Name,Kind,Course,Provider,Completed On,Expires On,Notes\n"
    "TA,,Tutor TeacherA,Safeguarding,Level 1 safeguarding,Local authority,14/09/2025,,INSET day\n"
    ",nia.nurse@a.example,Nia Nurse,E-safety,Online safety for staff,NSPCC Learning,2025-10-01,01/10/2027,\n"
    "nnu,,Nia Nurse,Prevent duty,Prevent awareness,Home Office,03/03/2026,,\n"
)


@pytest.fixture(autouse=True)
def nurse(cast):
    return f.make_staff(cast.a.school, "Nia", "Nurse", mis_id="NNU", email="Nia.Nurse@a.example")


def upload(client, text, name="training.csv"):
    return client.post(IMPORT, {"file": SimpleUploadedFile(name, text.encode(), content_type="text/csv")})


def signed_upload(response) -> str:
    return response.context["confirm_form"].initial["upload"]


def page(response):
    return response.content.decode()


def test_the_template_names_every_column_with_an_example(cast, login):
    response = login(cast.a.users["lead"]).get(TEMPLATE)
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert 'filename="staff-training-template.csv"' in response["Content-Disposition"]
    header, example = list(csv.reader(io.StringIO(response.content.decode())))
    assert header == ["Staff Code", "Email", "Kind", "Course", "Provider", "Completed On", "Expires On", "Notes"]
    assert example[2:4] == ["Safeguarding", "Annual safeguarding update"]


def test_the_upload_page_documents_the_columns(cast, login):
    body = page(login(cast.a.users["lead"]).get(IMPORT))
    assert "Columns we read" in body and "Completed On" in body and "Date Completed" in body and "One of the two" in body
    assert TEMPLATE in body


def test_a_good_file_is_previewed_then_imported_with_its_history(cast, login):
    client = login(cast.a.users["lead"])
    response = upload(client, GOOD)
    checked = response.context["checked"]
    assert (checked.new, checked.already, checked.errors, checked.ignored) == (3, 0, [], ["Name"])
    body = page(response)
    assert "Nurse, Nia" in body and "Level 1 safeguarding" in body and "Import now" in body
    assert not TrainingRecord.objects.filter(course="Level 1 safeguarding").exists()  # nothing saved yet

    response = client.post(CONFIRM, {"upload": signed_upload(response)}, follow=True)
    assert "Imported from training.csv: 3 courses added, 0 already recorded." in page(response)
    online = TrainingRecord.objects.get(course="Online safety for staff", staff_member__mis_id="NNU")
    assert (online.kind, online.completed_on, online.expires_on) == (Kind.ONLINE_SAFETY, date(2025, 10, 1), date(2027, 10, 1))
    level1 = TrainingRecord.objects.get(course="Level 1 safeguarding")
    assert (
        level1.staff_member == cast.a.staff_member and level1.notes == "INSET day" and level1.recorded_by == cast.a.users["lead"]
    )
    (entry,) = history_for(level1)
    assert entry.action == "Created" and entry.reason == "Imported from a CSV file" and entry.who == str(cast.a.users["lead"])


def test_importing_the_same_file_again_adds_nothing(cast, login):
    client = login(cast.a.users["lead"])
    client.post(CONFIRM, {"upload": signed_upload(upload(client, GOOD))})
    response = upload(client, GOOD)
    assert response.context["checked"].already == 3 and response.context["confirm_form"] is None
    assert "Every course of this file is already recorded" in page(response)
    assert TrainingRecord.objects.filter(staff_member__mis_id="NNU").count() == 2


def test_every_bad_row_is_named_by_line_and_column_and_nothing_can_be_imported(cast, login):
    bad = (
        "Staff Code,Email,Kind,Course,Completed On,Expires On\n"
        "ZZZ,,Safeguarding,Level 1,14/09/2025,\n"  # 2: unknown code
        ",nobody@a.example,Safeguarding,Level 1,14/09/2025,\n"  # 3: unknown e-mail
        ",,Safeguarding,Level 1,14/09/2025,\n"  # 4: nobody named
        "TA,,Juggling,Level 1,14/09/2025,\n"  # 5: unknown kind
        "TA,,Safeguarding,Level 1,31/02/2025,\n"  # 6: no such date
        "TA,,Safeguarding,Level 1,01/01/2999,\n"  # 7: in the future
        "TA,,Safeguarding,Level 1,14/09/2025,01/09/2025\n"  # 8: expires before completion
        "TA,,Safeguarding,,14/09/2025,\n"  # 9: no course
        "NNU,,Safeguarding,Level 1,14/09/2025,\n"  # 10: good
        "nnu,,safeguarding,level 1,14/09/2025,\n"  # 11: repeats line 10
    )
    response = upload(login(cast.a.users["lead"]), bad)
    errors = {(e.row, e.column): e.message for e in response.context["checked"].errors}
    assert errors == {
        (2, "Staff Code"): "ZZZ matches no member of staff.",
        (3, "Email"): "nobody@a.example matches no member of staff.",
        (4, "Staff Code"): "is empty: give the member of staff's code or e-mail address.",
        (5, "Kind"): "is not a kind of training we know: use Induction, Online safety, Safeguarding, DSL, Prevent, "
        "Filtering and monitoring, or Other.",
        (6, "Completed On"): "is not a date: write it as dd/mm/yyyy, e.g. 14/03/2014.",
        (7, "Completed On"): "is after today: give the day the course was completed.",
        (8, "Expires On"): "is not after the day the course was completed.",
        (9, "Course"): "is empty, and it is needed.",
        (11, "Course"): "repeats line 10: each course once per person and day.",
    }
    body = page(response)
    assert "Nothing has been imported." in body and "Staff Code ZZZ matches no member of staff." in body
    assert response.context["confirm_form"] is None and "Import now" not in body


@pytest.mark.parametrize(
    "text,message",
    [
        ("", "Choose the CSV file to upload."),
        (
            "Name,Course\nA,B\n",
            "This file has no Staff Code or Email, Kind, Completed On columns, which are needed to import courses.",
        ),
        ("Staff Code,Kind,Course,Completed On\n", "The file has a header row but no courses under it."),
    ],
)
def test_a_file_that_cannot_be_used_says_why(cast, login, text, message):
    client = login(cast.a.users["lead"])
    response = upload(client, text) if text else client.post(IMPORT, {})
    assert response.status_code == 400 and message in " ".join(response.context["form"].errors["file"])


def test_a_spreadsheet_is_refused_for_what_it_is(cast, login):
    client = login(cast.a.users["lead"])
    response = client.post(IMPORT, {"file": SimpleUploadedFile("training.xlsx", b"PK\x03\x04")})
    assert "This is not a CSV file." in " ".join(response.context["form"].errors["file"])


def test_the_confirmation_checks_again_and_saves_every_row_or_none(cast, login):
    client = login(cast.a.users["lead"])
    signed = signed_upload(upload(client, GOOD))
    # Meanwhile, the nurse's staff code changes in the MIS: her rows found by code no longer match.
    StaffMember.objects.filter(mis_id="NNU").update(mis_id="NNX")
    response = client.post(CONFIRM, {"upload": signed})
    assert response.status_code == 400
    assert "Nothing was imported: 1 row of the file has errors." in page(response)
    assert not TrainingRecord.objects.filter(course="Level 1 safeguarding").exists()


def test_a_confirmation_signed_for_someone_else_or_long_ago_is_refused(cast, login):
    signed = signed_for(school=cast.a.school, user=cast.a.users["dsl"], file_name="x.csv", text=GOOD)
    response = login(cast.a.users["lead"]).post(CONFIRM, {"upload": signed})
    assert response.status_code == 400 and "This upload cannot be read: upload the file again." in page(response)
    with time_machine.travel("2020-01-01 10:00 +0000", tick=False):
        old = signed_for(school=cast.a.school, user=cast.a.users["lead"], file_name="x.csv", text=GOOD)
    response = login(cast.a.users["lead"]).post(CONFIRM, {"upload": old})
    assert "more than an hour ago" in page(response)
    assert not TrainingRecord.objects.filter(course="Level 1 safeguarding").exists()


def test_the_service_refuses_a_file_with_errors_and_another_schools_staff(cast):
    with scope(school=cast.b.school):
        with pytest.raises(ValidationError):
            services.training_records_import(school=cast.b.school, actor=cast.b.users["lead"], text=GOOD)
        assert not TrainingRecord.objects.filter(course="Level 1 safeguarding").exists()
