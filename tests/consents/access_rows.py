"""Access rules of the consents URLs, merged into the matrix of tests/esafety/test_access_matrix.py."""

from django.utils import timezone

from consents.models import ConsentType
from tests.access_rules import ALL, OFFICE, STAFF, Row

SET_UP = frozenset({"office", "head", "lead"})
COVERAGE = frozenset({"head", "governor", "lead", "trust"})


def _type(c):
    return {"type_id": c.a.consent_types[ConsentType.Kind.PHOTO_WEB].pk}


def _round(c):
    return {"round_id": c.a.round.pk}


def _round_form(c):
    return {"round_id": c.a.round.pk, "form_id": c.a.form.pk}


def _slip_answers(c):
    return {
        f"answer_{c.a.consent_types[ConsentType.Kind.PHOTO_PRINT].pk}": "no",
        "method": "paper",
        "signed_on": timezone.localdate().strftime("%d/%m/%Y"),
    }


ROWS = {
    "consents:consent_type_list": Row(SET_UP, query="?q=photo&sort=-title"),
    "consents:consent_type_create": Row(SET_UP),
    "consents:consent_type_detail": Row(SET_UP, kwargs=_type, record_of_a=True),
    "consents:consent_type_edit": Row(SET_UP, kwargs=_type, record_of_a=True),
    "consents:consent_settings": Row(SET_UP),
    "consents:round_list": Row(OFFICE, query="?status=open&sort=title"),
    "consents:round_create": Row(OFFICE),
    "consents:round_detail": Row(OFFICE, kwargs=_round, record_of_a=True),
    # An open round cannot be edited: the office is sent back to it.
    "consents:round_edit": Row(OFFICE, kwargs=_round, ok=302, record_of_a=True),
    "consents:round_open": Row(OFFICE, kwargs=_round, method="post", ok=302, record_of_a=True),
    "consents:round_close": Row(OFFICE, kwargs=_round, method="post", ok=302, record_of_a=True),
    "consents:round_chasing": Row(OFFICE, kwargs=_round, query="?q=a&sort=-missing", record_of_a=True),
    "consents:slip_batch_start": Row(
        OFFICE, kwargs=_round, method="post", data=lambda c: {"only_missing": "1", "per_page": "1"}, ok=302, record_of_a=True
    ),
    "consents:round_form_slips": Row(OFFICE, kwargs=_round_form, record_of_a=True),
    "consents:round_form_reminders": Row(OFFICE, kwargs=_round_form, record_of_a=True),
    "consents:round_form_grid": Row(OFFICE, kwargs=_round_form, record_of_a=True),
    "consents:slip_batch_detail": Row(OFFICE, kwargs=lambda c: {"batch_id": c.a.batch.pk}, record_of_a=True),
    "consents:slip_batch_progress": Row(OFFICE, kwargs=lambda c: {"batch_id": c.a.batch.pk}, record_of_a=True),
    # Not built yet: the office is sent to the batch's page.
    "consents:slip_batch_download": Row(OFFICE, kwargs=lambda c: {"batch_id": c.a.batch.pk}, ok=302, record_of_a=True),
    "consents:return_entry": Row(OFFICE),
    "consents:slip_record": Row(
        OFFICE, kwargs=lambda c: {"slip_id": c.a.slip.pk}, method="post", data=_slip_answers, ok=302, record_of_a=True
    ),
    "consents:pupil_consents": Row(OFFICE, kwargs=lambda c: {"pupil_id": c.a.pupil.pk}, record_of_a=True),
    "consents:answer_detail": Row(OFFICE, kwargs=lambda c: {"answer_id": c.a.answer.pk}, record_of_a=True),
    "consents:answer_withdraw": Row(
        OFFICE,
        kwargs=lambda c: {"answer_id": c.a.answer.pk},
        method="post",
        data=lambda c: {"withdrawn_on": timezone.localdate().strftime("%d/%m/%Y")},
        ok=302,
        record_of_a=True,
    ),
    "consents:photo_check": Row(STAFF, query="?q=a"),
    "consents:coverage": Row(COVERAGE),
    "consents:staff_agreement_list": Row(COVERAGE),
    # Anyone may read it; staff who have not accepted it are sent here.
    "consents:staff_agreement_accept": Row(ALL),
}
