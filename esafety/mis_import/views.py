"""The office's MIS import pages: upload, the check's progress and preview, confirm or cancel."""

from django.conf import settings
from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from esafety.access import capability_required
from esafety.history import history_for
from esafety.listing import page_of
from esafety.mis_import import services
from esafety.mis_import.forms import ImportConfirmForm, ImportUploadForm
from esafety.mis_import.kinds import MIS_FILES
from esafety.models import ImportJob
from esafety.progress import Progress, progress_response
from esafety.roles import Capability
from esafety.selectors import get_import_job_or_404, import_jobs_for


def _percent_done(job: ImportJob) -> int:
    return Progress.for_job(job).percent(finished=job.status in (ImportJob.Status.READY, ImportJob.Status.DONE))


@capability_required(Capability.IMPORT_MIS)
def import_list(request):
    form = ImportUploadForm(request.POST or None, request.FILES or None, max_rows=settings.IMPORT_MAX_ROWS)
    if request.method == "POST" and form.is_valid():
        job = services.import_start(
            school=request.access.school,
            kind=form.cleaned_data["kind"],
            file_name=form.cleaned_data["file"].name,
            text=form.cleaned_data["text"],
            actor=request.user,
        )
        job.refresh_from_db(fields=["status"])
        if job.is_running:
            messages.info(request, "The file has been uploaded and is being checked.")
        return redirect("import_detail", job_id=job.pk)
    return render(
        request,
        "esafety/import_list.html",
        {
            "form": form,
            "page": page_of(request, import_jobs_for(request.access), size=20),
            "kinds": ImportJob.Kind.choices,
            "columns": {kind: mis_file.columns for kind, mis_file in MIS_FILES.items()},
        },
        status=400 if form.is_bound else 200,
    )


@capability_required(Capability.IMPORT_MIS)
def import_template(request, kind):
    if kind not in MIS_FILES:
        return HttpResponse("There is no import template of that name.", status=404, content_type="text/plain")
    response = HttpResponse(MIS_FILES[kind].template_csv(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{kind}-template.csv"'
    return response


@capability_required(Capability.IMPORT_MIS)
def import_detail(request, job_id):
    job = get_import_job_or_404(request.access, job_id)
    confirm_form = ImportConfirmForm(job=job) if job.status == ImportJob.Status.READY else None
    return render(request, "esafety/import_detail.html", _import_context(job, confirm_form))


def _import_context(job, confirm_form=None):
    return {"job": job, "progress": _percent_done(job), "confirm_form": confirm_form, "history": history_for(job)}


@capability_required(Capability.IMPORT_MIS)
def import_progress(request, job_id):
    """The progress bar, polled by htmx while the check or the import runs."""
    job = get_import_job_or_404(request.access, job_id)
    return progress_response(request, percent=_percent_done(job), label=job.get_status_display(), running=job.is_running)


@require_POST
@capability_required(Capability.IMPORT_MIS)
def import_confirm(request, job_id):
    job = get_import_job_or_404(request.access, job_id)
    if job.status != ImportJob.Status.READY:
        messages.warning(request, "This import has already been confirmed or cancelled.")
        return redirect("import_detail", job_id=job.pk)
    form = ImportConfirmForm(request.POST, job=job)
    if not form.is_valid():
        return render(request, "esafety/import_detail.html", _import_context(job, form), status=400)
    services.import_confirm(
        job=job,
        accept=form.cleaned_data["accept"],
        mark_missing_as_left=form.cleaned_data.get("mark_missing_as_left", False),
        actor=request.user,
    )
    job.refresh_from_db(fields=["status"])
    if job.is_running:
        messages.info(request, "The import has started. You will be notified when it is done.")
    return redirect("import_detail", job_id=job.pk)


@require_POST
@capability_required(Capability.IMPORT_MIS)
def import_cancel(request, job_id):
    job = get_import_job_or_404(request.access, job_id)
    try:
        services.import_cancel(job=job, actor=request.user)
    except ValueError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, "The import was cancelled and the uploaded file removed. Nothing was imported.")
    return redirect("import_detail", job_id=job.pk)
