"""The office imports pupils, parents/carers, staff and forms from MIS exports."""

from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from esafety.mis_import.kinds import MIS_FILES
from esafety.models import FormGroup, ImportJob, ParentCarer, Pupil, PupilContact, StaffMember

PUPILS_HEADER = "Adno,UPN,Legal Surname,Legal Forename,Preferred Forename,DOB,Year,Reg,Admission Date,Leaving Date\n"
GOOD_PUPILS = PUPILS_HEADER + (
    "200001,A100000000001,Smith,Amelia,Millie,14/03/2014,7,7S,01/09/2025,\n"
    "200002,,Jones,Noah,,02/11/2013,Year 7,7S,01/09/2025,\n"
    "200003,,Patel,Aisha,,21/05/2012,Y8,8P,01/09/2024,\n"
)
BAD_PUPILS = PUPILS_HEADER + (
    "200001,,Smith,Amelia,,14/03/2014,7,7S,,\n"
    "200002,,Jones,Noah,,31/02/2013,7,7S,,\n"  # no 31 February
    "200003,,,Aisha,,21/05/2012,Year 15,8P,,\n"  # no surname, no Year 15
    "200001,,Smith,Amelia,,14/03/2014,7,7S,,\n"  # the same pupil again
    "200004,A100000000009,Khan,Yusuf,,01/01/2014,7,7S,,\n"
    "200005,a100000000009,Khan,Zara,,01/01/2014,7,7S,,\n"  # Yusuf's UPN
)


def upload(client, text, kind="pupils", name="export.csv"):
    file = SimpleUploadedFile(name, text.encode("utf-8"), content_type="text/csv")
    return client.post(reverse("import_list"), {"kind": kind, "file": file})


def confirm(client, job, accept="all", **extra):
    return client.post(reverse("import_confirm", args=[job.pk]), {"accept": accept, **extra})


def latest_job(school):
    return ImportJob.objects.filter(school=school).latest("created_at")


def import_file(client, capture, school, text, kind="pupils", accept="all", name="export.csv", **extra):
    """Upload, let the check run, then confirm and let the import run: as the office would."""
    with capture(execute=True):
        upload(client, text, kind=kind, name=name)
    job = latest_job(school)
    with capture(execute=True):
        confirm(client, job, accept=accept, **extra)
    job.refresh_from_db()
    return job


def test_a_good_file_is_checked_previewed_and_imported(cast, login, django_capture_on_commit_callbacks):
    office = cast.a.users["office"]
    client = login(office)
    with django_capture_on_commit_callbacks(execute=True):
        response = upload(client, GOOD_PUPILS)
    job = latest_job(cast.a.school)
    assert response.status_code == 302 and response["Location"] == reverse("import_detail", args=[job.pk])
    assert job.status == ImportJob.Status.READY
    assert job.preview["create"] == 3 and job.error_count == 0

    page = client.get(reverse("import_detail", args=[job.pk])).content.decode()
    assert "3 new" in page and "Import now" in page
    assert not Pupil.objects.filter(mis_id="200001").exists(), "nothing is saved before the office confirms"

    with django_capture_on_commit_callbacks(execute=True):
        response = confirm(client, job)
    job.refresh_from_db()
    assert job.status == ImportJob.Status.DONE
    assert job.result["create"] == 3

    amelia = Pupil.objects.get(school=cast.a.school, mis_id="200001")
    assert (amelia.full_name, amelia.year_group.ncy, amelia.form.name) == ("Millie Smith", 7, "7S")
    assert amelia.date_of_birth.strftime("%d/%m/%Y") == "14/03/2014"
    assert FormGroup.objects.get(school=cast.a.school, name="8P").year_group.ncy == 8
    record = amelia.history.get()
    assert record.history_user == office and record.history_change_reason == "MIS import"

    # The office is told, under the bell and by e-mail.
    assert office.notifications.filter(title__startswith="Import finished").count() == 1
    assert [m.to for m in mail.outbox] == [[office.email]]
    assert "3 added" in mail.outbox[0].body


def test_rows_with_errors_are_listed_in_plain_words_and_can_be_left_out(cast, login, django_capture_on_commit_callbacks):
    client = login(cast.a.users["office"])
    with django_capture_on_commit_callbacks(execute=True):
        upload(client, BAD_PUPILS)
    job = latest_job(cast.a.school)
    assert job.error_count == 4
    errors = {(e["row"], e["column"]): e["message"] for e in job.row_errors}
    assert errors[(7, "UPN")] == "is the same as on row 6: a UPN belongs to one pupil."
    assert errors[(3, "DOB")].startswith("is not a date")
    assert errors[(4, "Legal Surname")] == "is empty, and it is needed."
    assert errors[(4, "Year")].startswith("is not a year group")
    assert errors[(5, "Adno")] == "repeats row 2: each person once per file."
    page = client.get(reverse("import_detail", args=[job.pk])).content.decode()
    assert "DOB is not a date: write it as dd/mm/yyyy" in page

    # Importing every row is refused while some have errors; nothing is saved.
    response = confirm(client, job, accept="all")
    assert response.status_code == 400
    assert "Some rows have errors" in response.content.decode()
    job.refresh_from_db()
    assert job.status == ImportJob.Status.READY
    assert not Pupil.objects.filter(mis_id__startswith="2000").exists()

    with django_capture_on_commit_callbacks(execute=True):
        confirm(client, job, accept="valid")
    job.refresh_from_db()
    assert job.status == ImportJob.Status.DONE
    assert job.result["create"] == 2 and job.result["skipped"] == 4
    assert list(Pupil.objects.filter(mis_id__startswith="2000").values_list("last_name", flat=True)) == ["Khan", "Smith"]


def test_importing_the_same_file_again_changes_nothing_and_a_later_export_updates(
    cast, login, django_capture_on_commit_callbacks
):
    client = login(cast.a.users["office"])
    for _ in range(2):
        second = import_file(client, django_capture_on_commit_callbacks, cast.a.school, GOOD_PUPILS)
    assert second.preview == {"create": 0, "update": 0, "unchanged": 3, "leavers": 0, "missing": 1}
    assert second.result["unchanged"] == 3
    assert Pupil.objects.filter(school=cast.a.school, mis_id__startswith="2000").count() == 3

    renamed = GOOD_PUPILS.replace("Jones,Noah", "Jones-Khan,Noah")
    import_file(client, django_capture_on_commit_callbacks, cast.a.school, renamed)
    noah = Pupil.objects.get(school=cast.a.school, mis_id="200002")
    assert noah.last_name == "Jones-Khan"
    change = noah.history.latest().diff_against(noah.history.earliest())
    assert [(c.field, c.old, c.new) for c in change.changes] == [("last_name", "Jones", "Jones-Khan")]


def test_leavers_are_marked_not_deleted_and_drop_out_of_the_lists(cast, login, django_capture_on_commit_callbacks):
    client = login(cast.a.users["office"])
    left = GOOD_PUPILS.replace("21/05/2012,Y8,8P,01/09/2024,", "21/05/2012,Y8,8P,01/09/2024,20/07/2026")
    job = import_file(client, django_capture_on_commit_callbacks, cast.a.school, left, mark_missing_as_left="on")
    assert job.preview["leavers"] == 1
    # Alice (cast) was on roll but is not in the export: marked as left today, not deleted.
    alice = Pupil.objects.get(pk=cast.a.pupil.pk)
    assert alice.leaving_date is not None and job.result["left"] == 1
    pupil_list = client.get(reverse("pupil_list")).content.decode()
    assert "Aardvark" not in pupil_list and "Patel" not in pupil_list and "Smith" in pupil_list
    with_leavers = client.get(reverse("pupil_list") + "?leavers=on").content.decode()
    assert "Aardvark" in with_leavers and "Patel" in with_leavers


def test_a_file_in_the_wrong_format_is_refused_with_a_clear_message_and_nothing_saved(cast, login):
    client = login(cast.a.users["office"])
    cases = [
        ("pupils.xlsx", b"PK\x03\x04\x00\x00binary", "This is not a CSV file"),
        (
            "pupils.csv",
            b"Name,Class\nAmelia Smith,7S\n",
            "This file has no Adno, Legal Surname, Legal Forename, DOB, Year columns",
        ),
        ("pupils.csv", b"", "The file is empty"),
        ("pupils.csv", PUPILS_HEADER.encode(), "no pupils under it"),
    ]
    for name, content, message in cases:
        response = client.post(reverse("import_list"), {"kind": "pupils", "file": SimpleUploadedFile(name, content)})
        assert response.status_code == 400
        assert message in response.content.decode(), name
        # What was chosen stays chosen.
        assert 'value="pupils" selected' in response.content.decode()
    assert ImportJob.objects.filter(school=cast.a.school).count() == 1  # the cast's own


def test_excel_csv_in_windows_encoding_with_other_column_names_is_read(cast, login, django_capture_on_commit_callbacks):
    client = login(cast.a.users["office"])
    text = "Admission Number,Surname,Forename,Date of Birth,Year Group,Registration Group\r\n300001,Ó Briain,Siobhán,01/02/2015,R,RB\r\n"
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("import_list"), {"kind": "pupils", "file": SimpleUploadedFile("sims.csv", text.encode("cp1252"))})
    with django_capture_on_commit_callbacks(execute=True):
        confirm(client, latest_job(cast.a.school))
    pupil = Pupil.objects.get(mis_id="300001")
    assert (pupil.first_name, pupil.last_name, str(pupil.year_group), pupil.year_group.key_stage) == (
        "Siobhán",
        "Ó Briain",
        "Reception",
        "EYFS",
    )


def test_contacts_are_linked_to_their_pupils_once_however_often_imported(cast, login, django_capture_on_commit_callbacks):
    client = login(cast.a.users["office"])
    contacts = (
        "Contact ID,Pupil Adno,Title,Forename,Surname,Relationship,Parental Responsibility,Priority,Email,Telephone\n"
        "C9001,a001,Mrs,Anna,Aardvark,Mother,Yes,1,Anna@Example.org,07700 900001\n"
        "C9002,a001,Mr,Tom,Aardvark,Step Father,No,2,,\n"
        "C9005,a001,,Sam,Aardvark,Parent,Yes,4,,\n"
        "C9003,zzz,Mr,Nobody,Known,Father,Yes,1,,\n"
        "C9004,a001,Ms,Jo,Carer,Neighbour,Maybe,3,not-an-email,\n"
    )
    for _ in range(2):
        job = import_file(client, django_capture_on_commit_callbacks, cast.a.school, contacts, kind="contacts", accept="valid")
    messages = sorted((e["row"], e["column"], e["message"]) for e in job.row_errors)
    assert (5, "Pupil Adno", "no pupil has Adno zzz: import the pupils first.") in messages
    assert {(6, "Relationship"), (6, "Parental Responsibility"), (6, "Email")} <= {(r, c) for r, c, _ in messages}
    links = PupilContact.objects.filter(pupil=cast.a.pupil).select_related("contact").order_by("priority")
    assert [(link.contact.mis_id, link.relationship, link.parental_responsibility) for link in links] == [
        ("Ca001", "mother", True),
        ("C9001", "mother", True),
        ("C9002", "step_parent", False),
        ("C9005", "parent", True),
    ]
    assert ParentCarer.objects.get(mis_id="C9001").email == "anna@example.org"
    assert job.result == {"create": 0, "update": 0, "unchanged": 3, "skipped": 2, "left": 0}


def test_staff_import_links_line_managers_even_when_listed_later(cast, login, django_capture_on_commit_callbacks):
    client = login(cast.a.users["office"])
    staff = (
        "Staff Code,Title,Forename,Surname,Work Email,Role,Line Manager Code,Start Date,Leaving Date\n"
        "ABC,Ms,Amy,Brown,a.brown@school.example,Teacher,HDT,01/09/2020,\n"
        "HDT,Dr,Hugh,Dent,h.dent@school.example,Head teacher,,01/09/2015,\n"
    )
    import_file(client, django_capture_on_commit_callbacks, cast.a.school, staff, kind="staff")
    amy = StaffMember.objects.get(school=cast.a.school, mis_id="ABC")
    assert amy.line_manager.full_name == "Hugh Dent"
    page = client.get(reverse("staff_detail", args=[amy.pk])).content.decode()
    assert "Hugh Dent" in page


def test_a_cancelled_import_saves_nothing_and_removes_the_file(cast, login, django_capture_on_commit_callbacks):
    client = login(cast.a.users["office"])
    with django_capture_on_commit_callbacks(execute=True):
        upload(client, GOOD_PUPILS)
    job = latest_job(cast.a.school)
    client.post(reverse("import_cancel", args=[job.pk]))
    job.refresh_from_db()
    assert job.status == ImportJob.Status.CANCELLED and job.csv_text == ""
    assert not Pupil.objects.filter(mis_id__startswith="2000").exists()
    response = confirm(client, job)
    assert "already been confirmed or cancelled" in client.get(response["Location"]).content.decode()


def test_the_progress_bar_reports_the_state_of_the_job(cast, login):
    client = login(cast.a.users["office"])
    job = cast.a.import_job
    job.status = ImportJob.Status.CHECKING
    job.save()
    response = client.get(reverse("import_progress", args=[job.pk]), HTTP_HX_REQUEST="true")
    assert 'role="progressbar"' in response.content.decode()
    assert 'hx-trigger="every 1s"' in response.content.decode()
    assert "HX-Refresh" not in response
    job.status = ImportJob.Status.READY
    job.save()
    response = client.get(reverse("import_progress", args=[job.pk]), HTTP_HX_REQUEST="true")
    assert response["HX-Refresh"] == "true" and 'aria-valuenow="100"' in response.content.decode()


def test_the_templates_hold_the_columns_the_import_reads(cast, login):
    client = login(cast.a.users["office"])
    response = client.get(reverse("import_template", args=["pupils"]))
    assert response["Content-Disposition"] == 'attachment; filename="pupils-template.csv"'
    assert response.content.decode().splitlines()[0] == PUPILS_HEADER.strip()
    assert client.get(reverse("import_template", args=["sheep"])).status_code == 404


def test_every_kind_of_file_has_its_class_and_its_template(cast, login):
    assert set(MIS_FILES) == set(ImportJob.Kind.values)
    client = login(cast.a.users["office"])
    for kind, mis_file in MIS_FILES.items():
        assert mis_file.kind == kind
        header = client.get(reverse("import_template", args=[kind])).content.decode().splitlines()[0]
        assert header == ",".join(column.header for column in mis_file.columns)


def test_a_file_without_some_columns_leaves_those_details_as_they_were(cast, login, django_capture_on_commit_callbacks):
    client = login(cast.a.users["office"])
    import_file(client, django_capture_on_commit_callbacks, cast.a.school, GOOD_PUPILS)
    # A later export of names and years only: UPNs, forms and admission dates stay.
    short = "Adno,Legal Surname,Legal Forename,DOB,Year\n200001,Smith,Amelia,14/03/2014,8\n"
    job = import_file(client, django_capture_on_commit_callbacks, cast.a.school, short)
    assert job.result["update"] == 1
    amelia = Pupil.objects.get(school=cast.a.school, mis_id="200001")
    assert (amelia.upn, amelia.form.name, amelia.preferred_name, amelia.year_group.ncy) == ("A100000000001", "7S", "Millie", 8)


def test_people_on_rows_with_errors_are_not_marked_as_left(cast, login, django_capture_on_commit_callbacks):
    client = login(cast.a.users["office"])
    broken = "Adno,Legal Surname,Legal Forename,DOB,Year\na001,Aardvark,Alice,not a date,7\n"
    job = import_file(
        client, django_capture_on_commit_callbacks, cast.a.school, broken, accept="valid", mark_missing_as_left="on"
    )
    assert job.status == ImportJob.Status.DONE and job.result["left"] == 0
    assert Pupil.objects.get(pk=cast.a.pupil.pk).leaving_date is None


def test_a_file_over_the_size_limit_is_refused(cast, login, settings):
    settings.IMPORT_MAX_BYTES = 1024
    response = upload(login(cast.a.users["office"]), GOOD_PUPILS + "x" * 2048)
    assert response.status_code == 400
    assert "the most we take is" in response.content.decode()


def test_old_uploads_are_removed_and_unconfirmed_imports_cancelled(django_capture_on_commit_callbacks, cast):
    import time_machine
    from django.utils import timezone

    from esafety.tasks import imports_purge_files, imports_purge_files_all

    waiting = cast.a.import_job  # checked, never confirmed
    with time_machine.travel(timezone.now() + timezone.timedelta(days=8)):
        assert imports_purge_files.apply(args=[cast.a.school.pk]).result == 1  # school A's alone
        with django_capture_on_commit_callbacks(execute=True):
            assert imports_purge_files_all.apply().result == 2  # one task for each school
    waiting.refresh_from_db()
    assert waiting.status == ImportJob.Status.CANCELLED and waiting.csv_text == "" and waiting.file_removed_at
    assert waiting.history.latest().history_change_reason == "Uploaded file removed after the retention period"


def test_forms_import_sets_year_groups_and_tutors(cast, login, django_capture_on_commit_callbacks):
    client = login(cast.a.users["office"])
    forms = "Reg Group,Year,Tutor Staff Code\n7A,7,\nRB,R,TA\n9Q,Year 9,NOPE\n"
    job = import_file(client, django_capture_on_commit_callbacks, cast.a.school, forms, kind="forms", accept="valid")
    assert [(e["row"], e["column"]) for e in job.row_errors] == [(4, "Tutor Staff Code")]
    assert job.result == {"create": 1, "update": 1, "unchanged": 0, "skipped": 1, "left": 0}
    reception = FormGroup.objects.get(school=cast.a.school, name="RB")
    assert (str(reception.year_group), reception.tutor, reception.year_group.key_stage) == (
        "Reception",
        cast.a.staff_member,
        "EYFS",
    )
    # 7A had a tutor; the file's blank tutor cell clears it (a missing column would have left it).
    assert FormGroup.objects.get(pk=cast.a.form.pk).tutor is None
