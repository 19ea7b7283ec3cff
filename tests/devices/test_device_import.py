"""
The register of school devices imported from a CSV file (an asset-management system's export or a spreadsheet):
upload, a preview of what is added and updated with every bad row named by line and column, then a confirmation
that saves every row or none. A device already in the register is matched by its asset tag.
"""

import csv
import io
from datetime import timedelta

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from devices.forms.loans import DeviceImportConfirmForm
from devices.models import DeviceLoan, SchoolDevice
from devices.services import loans as services
from esafety.scoping import scope

pytestmark = pytest.mark.django_db


def signed_for(**kwargs) -> str:
    """The hidden field of a confirmation, as the upload step signs it."""
    return DeviceImportConfirmForm.for_file(**kwargs).initial["upload"]


IMPORT = reverse("devices:device_import")
CONFIRM = reverse("devices:device_import_confirm")
TEMPLATE = reverse("devices:device_import_template")

GOOD = (
    "Asset Tag,Kind,Make,Model,Serial Number,Set,Encrypted,Encryption,Holds Pupil Data,Notes\n"
    "LAP-A2,Laptop,Lenovo,ThinkPad E14,PF-1234,,Yes,BitLocker,Yes,Head of English\n"
    "CAM-01,Camera,Canon,EOS 250D,CN-77,,No,,No,Trips cupboard\n"
    "tab-a1,Tablet,Apple,iPad 10th generation,SN-TAB-A1,Trolley 2,Yes,iPadOS data protection,Yes,\n"
)


def upload(client, text, name="register.csv"):
    return client.post(IMPORT, {"file": SimpleUploadedFile(name, text.encode(), content_type="text/csv")})


def signed_upload(response) -> str:
    return response.context["confirm_form"].initial["upload"]


def page(response):
    return response.content.decode()


def test_the_template_names_every_column_with_an_example(cast, login):
    response = login(cast.a.users["it"]).get(TEMPLATE)
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert 'filename="school-devices-template.csv"' in response["Content-Disposition"]
    header, example = list(csv.reader(io.StringIO(response.content.decode())))
    assert header == [
        "Asset Tag",
        "Kind",
        "Make",
        "Model",
        "Serial Number",
        "Set",
        "Encrypted",
        "Encryption",
        "Holds Pupil Data",
        "Notes",
    ]
    assert example[:2] == ["LAP-014", "Laptop"]


def test_the_template_file_imports_as_it_is(cast, login):
    client = login(cast.a.users["office"])
    template = client.get(TEMPLATE).content.decode()
    response = upload(client, template)
    assert response.context["checked"].new == 1 and not response.context["checked"].errors


def test_the_upload_page_documents_the_columns(cast, login):
    body = page(login(cast.a.users["office"]).get(IMPORT))
    assert "Columns we read" in body and "Holds Pupil Data" in body and "Manufacturer" in body
    assert TEMPLATE in body


def test_a_good_file_is_previewed_then_imported_on_confirmation(cast, login):
    client = login(cast.a.users["it"])
    response = upload(client, GOOD)
    assert response.status_code == 200
    body = page(response)
    assert "2 new, to be added to the register" in body
    assert "1 already in the register, to be updated" in body
    assert "0 rows with errors" in body
    assert "Updated: Trolley or set" in body  # tab-a1 is the cast's TAB-A1, moved to Trolley 2
    assert not SchoolDevice.objects.filter(asset_tag__in=["LAP-A2", "CAM-01"]).exists()  # nothing saved yet
    response = client.post(CONFIRM, {"upload": signed_upload(response)}, follow=True)
    assert "Imported from register.csv: 2 added, 1 updated, 0 unchanged." in page(response)
    laptop = SchoolDevice.objects.get(asset_tag="LAP-A2")
    assert (laptop.kind, laptop.make, laptop.model, laptop.serial_number) == ("laptop", "Lenovo", "ThinkPad E14", "PF-1234")
    assert laptop.is_encrypted and laptop.encryption == "BitLocker" and laptop.holds_pupil_data
    assert laptop.status == SchoolDevice.Status.AVAILABLE and laptop.notes == "Head of English"
    camera = SchoolDevice.objects.get(asset_tag="CAM-01")
    assert not camera.is_encrypted and not camera.holds_pupil_data
    tablet = SchoolDevice.objects.get(pk=cast.a.tablet.pk)
    assert tablet.asset_tag == "TAB-A1" and tablet.device_set == "Trolley 2"
    for device in (laptop, tablet):
        entry = device.history.order_by("-history_date", "-history_id").first()
        assert entry.history_change_reason == "Imported from a CSV file" and entry.history_user == cast.a.users["it"]
    # Importing the same file again changes nothing.
    again = upload(client, GOOD)
    assert again.context["checked"].unchanged == 3


def test_an_update_leaves_the_loan_and_the_columns_not_in_the_file(cast, login):
    client = login(cast.a.users["office"])
    response = upload(client, "Asset Tag,Kind,Notes\nLAP-A1,Laptop,Kept in the staff room\n")
    client.post(CONFIRM, {"upload": signed_upload(response)})
    laptop = SchoolDevice.objects.get(pk=cast.a.laptop.pk)
    assert laptop.notes == "Kept in the staff room"
    assert laptop.make == "Dell" and laptop.holds_pupil_data and laptop.status == SchoolDevice.Status.ON_LOAN
    assert DeviceLoan.objects.out().filter(device=laptop).exists()


def test_snipe_it_column_names_are_read(cast, login):
    text = "Asset Tag,Category,Manufacturer,Model,Serial,Notes,Location\nCB-100,Chromebook,Acer,Spin 311,AC-9,,Library\n"
    response = upload(login(cast.a.users["it"]), text)
    checked = response.context["checked"]
    assert checked.new == 1 and not checked.errors
    row = checked.rows[0]
    assert row.data["kind"] == "laptop" and row.data["make"] == "Acer" and row.data["serial_number"] == "AC-9"
    assert "Columns not read: Location." in page(response)


def test_bad_rows_are_named_by_line_and_column_and_nothing_is_saved(cast, login):
    text = (
        "Asset Tag,Kind,Make,Model,Serial Number,Set,Encrypted,Encryption,Holds Pupil Data,Notes\n"
        "LAP-A2,Laptop,Lenovo,E14,,,Yes,BitLocker,Yes,\n"
        "TOAST-1,Toaster,,,,,No,,No,\n"
        "LAP-A3,Laptop,,,,,Yes,,Yes,\n"
        "lap-a2,Laptop,,,,,No,,No,\n"
        "LAP-A4,Laptop,,,,,Maybe,,No,\n"
        ",Tablet,,,,,No,,No,\n"
        f"{'X' * 41},Tablet,,,,,No,,No,\n"
    )
    client = login(cast.a.users["office"])
    response = upload(client, text)
    body = page(response)
    assert "Nothing has been imported." in body
    expected = [
        (3, "Kind", "Kind is not a kind of device we know"),
        (4, "Encryption", "Encryption is empty: say how the device is encrypted, e.g. BitLocker or FileVault."),
        (5, "Asset Tag", "Asset Tag repeats line 2: each device once per file."),
        (6, "Encrypted", "Encrypted should be Yes or No."),
        (7, "Asset Tag", "Asset Tag is empty, and it is needed."),
        (8, "Asset Tag", "Asset Tag is too long: at most 40 characters."),
    ]
    errors = [(e.row, e.column, f"{e.column} {e.message}") for e in response.context["checked"].errors]
    for line, column, message in expected:
        assert any(e[0] == line and e[1] == column and e[2].startswith(message) for e in errors), (line, column, errors)
        assert f"<td>{line}</td><td>{column}</td><td>{message}" in body
    assert len(errors) == len(expected)
    assert "6 rows with errors" in body
    assert response.context["confirm_form"] is None and CONFIRM not in body
    assert not SchoolDevice.objects.filter(asset_tag__startswith="LAP-A2").exists()


def test_the_service_refuses_a_file_with_any_bad_row(cast):
    with pytest.raises(Exception, match="Nothing was imported: 1 row of the file has errors"):
        services.school_devices_import(
            school=cast.a.school, actor=cast.a.users["it"], text="Asset Tag,Kind\nNEW-1,Laptop\nNEW-2,Fridge\n"
        )
    assert not SchoolDevice.objects.filter(asset_tag__startswith="NEW-").exists()


@pytest.mark.parametrize(
    ("text", "name", "message"),
    [
        ("Tag Number,Type\nX,Laptop\n", "register.csv", "This file has no Asset Tag column, which is needed to import devices."),
        ("Asset Tag,Kind\n", "register.csv", "The file has a header row but no devices under it."),
        ("Asset Tag,Kind\nX,Laptop\n", "register.xlsx", "This is not a CSV file."),
    ],
)
def test_a_file_that_cannot_be_used_says_why(cast, login, text, name, message):
    response = upload(login(cast.a.users["it"]), text, name=name)
    assert response.status_code == 400
    assert message in page(response)


def test_the_register_is_checked_again_on_confirmation(cast, login):
    """The tablet, encrypted when the file was checked, is changed before the import is confirmed: nothing is saved."""
    client = login(cast.a.users["it"])
    response = upload(client, "Asset Tag,Kind,Encrypted\nTAB-A1,Tablet,Yes\nNEW-1,Laptop,No\n")
    assert not response.context["checked"].errors
    services.school_device_change(
        device=cast.a.tablet, actor=cast.a.users["office"], **{"asset_tag": "TAB-A1", "kind": "tablet", "is_encrypted": False}
    )
    response = client.post(CONFIRM, {"upload": signed_upload(response)})
    assert response.status_code == 400
    body = page(response)
    assert "Nothing was imported: 1 row of the file has errors." in body
    assert "Encrypted is Yes, but the file has no Encryption column to say how: add one." in body
    assert not SchoolDevice.objects.filter(asset_tag="NEW-1").exists()


def test_a_confirmation_is_for_its_uploader_at_their_school_within_the_hour(cast, login):
    client = login(cast.a.users["it"])
    response = upload(client, "Asset Tag,Kind\nNEW-1,Laptop\n")
    signed = signed_upload(response)
    # Another keeper of the register cannot confirm it, nor a keeper at another school.
    other = login(cast.a.users["office"]).post(CONFIRM, {"upload": signed})
    assert other.status_code == 400 and "This upload cannot be read: upload the file again." in page(other)
    assert login(cast.b.users["it"]).post(CONFIRM, {"upload": signed}).status_code == 400
    assert login(cast.a.users["it"]).post(CONFIRM, {"upload": signed[:-2] + "xx"}).status_code == 400
    with time_machine.travel(timezone.now() + timedelta(hours=2)):
        late = login(cast.a.users["it"]).post(CONFIRM, {"upload": signed})
        assert "This upload was checked more than an hour ago: upload the file again." in page(late)
    assert not SchoolDevice.objects.filter(asset_tag="NEW-1").exists()
    with scope(school=cast.b.school):
        assert not SchoolDevice.objects.filter(asset_tag="NEW-1").exists()
    # A signature made for this user at this school still works.
    fresh = signed_for(school=cast.a.school, user=cast.a.users["it"], file_name="r.csv", text="Asset Tag,Kind\nNEW-1,Laptop\n")
    login(cast.a.users["it"]).post(CONFIRM, {"upload": fresh})
    assert SchoolDevice.objects.filter(asset_tag="NEW-1").exists()


def test_only_the_keepers_of_the_register_import(cast, login):
    teacher = login(cast.a.users["teacher"])
    assert teacher.get(IMPORT).status_code == 403
    assert teacher.get(TEMPLATE).status_code == 403
    assert upload(teacher, GOOD).status_code == 403
