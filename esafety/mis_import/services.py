"""
An import's life, one function per step: upload (`import_start`), the check in the background
(`import_check`), the office's confirmation or cancellation, the import in the background
(`import_apply`), and the nightly removal of old files (`imports_purge_files`). What each kind of
file means is in `kinds.py`; this module only moves an `ImportJob` from one state to the next.
"""

import logging
from datetime import datetime

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from esafety.history import save_with_history
from esafety.mis_import.kinds import MIS_FILES, read_job_file
from esafety.mis_import.parsing import ImportFileError
from esafety.models import ImportJob, School, User
from esafety.notifications import notify
from esafety.outbox import outbox_enqueue
from esafety.progress import Progress

logger = logging.getLogger(__name__)

MAX_LISTED_ERRORS = 500


@transaction.atomic
def import_start(*, school: School, kind: str, file_name: str, text: str, actor: User) -> ImportJob:
    """Save an uploaded file (already read by the form) and queue its check."""
    job = ImportJob(school=school, kind=kind, file_name=file_name[:200], csv_text=text, created_by=actor)
    save_with_history(job, actor=actor)
    outbox_enqueue("esafety.tasks.import_check", school_id=job.school_id, job_id=str(job.pk))
    return job


def import_check(job_id) -> None:
    """Check every row and store the preview. Runs in the background; safe to run twice."""
    job = ImportJob.objects.select_related("school", "created_by").get(pk=job_id)
    if job.status != ImportJob.Status.CHECKING:
        return
    # The check only reads, so it runs outside a transaction; only the result is written under a lock.
    mis_file = read_job_file(job)
    valid, errors = mis_file.check(progress=Progress.for_job(job).set)
    with transaction.atomic():
        job = ImportJob.objects.select_for_update(of=("self",)).select_related("created_by").get(pk=job_id)
        if job.status != ImportJob.Status.CHECKING:
            return  # cancelled meanwhile, or checked by another run
        job.row_count = len(mis_file.parsed.rows)
        job.error_count = len({e.row for e in errors})
        job.row_errors = [e.as_dict() for e in errors[:MAX_LISTED_ERRORS]]
        job.preview = mis_file.plan(valid)
        job.status = ImportJob.Status.READY
        save_with_history(job, actor=job.created_by, reason="File checked")


def import_confirm(*, job: ImportJob, accept: str, mark_missing_as_left: bool, actor: User) -> None:
    """The office has read the preview and wants the import to go ahead."""
    if job.status != ImportJob.Status.READY:
        raise ValueError("This import has already been confirmed or cancelled.")
    if accept == ImportJob.Accept.ALL and job.error_count:
        raise ValueError("Some rows have errors: correct the file and upload it again, or import only the rows without errors.")
    with transaction.atomic():
        job.status = ImportJob.Status.IMPORTING
        job.accept = accept
        job.mark_missing_as_left = mark_missing_as_left and MIS_FILES[job.kind].marks_leavers
        job.confirmed_by = actor
        save_with_history(job, actor=actor, reason="Confirmed")
        outbox_enqueue("esafety.tasks.import_apply", school_id=job.school_id, job_id=str(job.pk))


@transaction.atomic
def import_cancel(*, job: ImportJob, actor: User) -> None:
    if job.status not in (ImportJob.Status.READY, ImportJob.Status.CHECKING):
        raise ValueError("Only an import that has not started can be cancelled.")
    job.status = ImportJob.Status.CANCELLED
    job.csv_text = ""
    job.row_errors = []
    job.file_removed_at = timezone.now()
    save_with_history(job, actor=actor, reason="Cancelled")


def import_apply(job_id) -> None:
    """Import the confirmed rows in one transaction: all of them, or none. Safe to run twice."""
    try:
        with transaction.atomic():
            # The lock makes a second run wait, then find the job done and leave it alone.
            job = ImportJob.objects.select_for_update(of=("self",)).select_related("school", "confirmed_by").get(pk=job_id)
            if job.status != ImportJob.Status.IMPORTING:
                return
            actor = job.confirmed_by
            progress = Progress.for_job(job)
            mis_file = read_job_file(job)
            valid, errors = mis_file.check(progress=progress.set)
            if errors and job.accept != ImportJob.Accept.VALID:
                raise ImportFileError(
                    f"{len({e.row for e in errors})} rows no longer pass the checks (the school's records changed "
                    "since the file was checked). Upload the file again."
                )
            counts = mis_file.apply_rows(valid, actor, progress=progress.set)
            counts["skipped"] = len({e.row for e in errors})
            counts["left"] = mis_file.mark_not_in_file_as_left(actor) if job.mark_missing_as_left else 0
            job.result = counts
            job.status = ImportJob.Status.DONE
            job.finished_at = timezone.now()
            save_with_history(job, actor=actor, reason="Imported")
            notify(
                recipients=[actor],
                school=job.school,
                title=f"Import finished: {job.get_kind_display().lower()} from {job.file_name}",
                body=(
                    f"{counts['create']} added, {counts['update']} updated, {counts['unchanged']} unchanged, "
                    f"{counts['left']} marked as left, {counts['skipped']} rows skipped."
                ),
                link=f"/imports/{job.pk}/",
                email=True,
            )
    except ImportFileError as exc:
        _import_failed(job_id, str(exc))
    except Exception:
        logger.exception("Import %s failed", job_id)
        _import_failed(job_id, "Something went wrong while importing; nothing was imported. Try again, or tell your IT support.")


def _import_failed(job_id, why: str) -> None:
    job = ImportJob.objects.get(pk=job_id)
    if job.status != ImportJob.Status.IMPORTING:
        return  # another run finished it: its result stands
    job.status = ImportJob.Status.FAILED
    job.failure = why
    job.finished_at = timezone.now()
    save_with_history(job, actor=job.confirmed_by, reason="Failed")


def imports_purge_files(*, finished_before: datetime) -> int:
    """
    Remove the uploaded files (personal data) of imports that finished before
    the given time, and cancel those checked then but never confirmed.
    """
    jobs = ImportJob.objects.filter(file_removed_at__isnull=True).filter(
        Q(finished_at__lt=finished_before)
        | Q(status__in=[ImportJob.Status.READY, ImportJob.Status.CHECKING], created_at__lt=finished_before)
    )
    count = 0
    for job in jobs:
        if job.status in (ImportJob.Status.READY, ImportJob.Status.CHECKING):
            job.status = ImportJob.Status.CANCELLED
        job.csv_text = ""
        job.row_errors = []
        job.file_removed_at = timezone.now()
        save_with_history(job, actor=None, reason="Uploaded file removed after the retention period")
        count += 1
    return count
