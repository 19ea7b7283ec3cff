"""
The office's main journey: upload a pupils export from the MIS, read the
preview and the row with an error, import only the good rows, and find the
new pupils in the pupil list.
"""

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import assert_accessible, log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# Row 3 (the header is row 1) has a date of birth that does not exist.
PUPILS_CSV = (
    "Adno,UPN,Legal Surname,Legal Forename,Preferred Forename,DOB,Year,Reg,Admission Date,Leaving Date\n"
    "200001,A123456789012,Smith,Amelia,Millie,14/03/2014,7,7S,01/09/2025,\n"
    "200002,,Brown,Ava,,31/02/2014,7,7S,01/09/2025,\n"
    "200003,,Jones,Noah,,02/11/2013,Year 7,7S,01/09/2025,\n"
)


def test_the_office_imports_only_the_good_rows_of_a_pupils_export(cast, live_server, page: Page):
    log_in(page, live_server, cast.a.users["office"])
    page.get_by_role("navigation", name="Main").get_by_role("link", name="MIS import").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Import from the MIS")
    assert_accessible(page)

    upload = page.get_by_role("region", name="Upload a file")
    upload.get_by_label("What the file holds").select_option(label="Pupils")
    upload.get_by_label("CSV file exported from the MIS").set_input_files(
        {"name": "autumn-pupils.csv", "mimeType": "text/csv", "buffer": PUPILS_CSV.encode()}
    )
    upload.get_by_role("button", name="Upload and check").click()

    # The check ran while the upload was answered: the preview is there at once.
    expect(page.get_by_role("heading", level=1)).to_have_text("Pupils from autumn-pupils.csv")
    # … so the page does not claim it is still being checked.
    expect(page.get_by_role("status").filter(has_text="being checked")).to_have_count(0)
    preview = page.get_by_role("region", name="What the file holds")
    expect(preview.get_by_role("listitem")).to_contain_text(["3 rows read", "2 new", "1 row with errors"])
    errors = page.get_by_role("table", name="Errors by row and column")
    expect(errors.get_by_role("row")).to_have_count(2)  # the header and the one bad row
    expect(errors.get_by_role("row").nth(1).get_by_role("cell")).to_have_text(
        ["3", "DOB", "DOB is not a date: write it as dd/mm/yyyy, e.g. 14/03/2014."]
    )
    assert_accessible(page)

    confirm = page.get_by_role("region", name="Import")
    confirm.get_by_role("radio", name="Only the rows without errors").check()
    confirm.get_by_role("button", name="Import now").click()

    result = page.get_by_role("status").filter(has_text="Imported on")
    expect(result).to_contain_text("2 added, 0 updated, 0 unchanged, 1 row with errors skipped.")
    expect(page.get_by_role("region", name="Import")).to_have_count(0)  # nothing left to confirm
    assert_accessible(page)

    page.get_by_role("navigation", name="Main").get_by_role("link", name="Pupils", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Pupils")
    expect(page.get_by_role("link", name="Smith, Millie")).to_be_visible()
    expect(page.get_by_role("link", name="Jones, Noah")).to_be_visible()
    expect(page.get_by_role("link", name="Aardvark, Alice")).to_be_visible()
    expect(page.get_by_text("Brown")).to_have_count(0)

    page.get_by_role("navigation", name="Main").get_by_role("link", name="unread notifications").click()
    expect(page.get_by_role("button", name="Import finished: pupils from autumn-pupils.csv")).to_be_visible()
