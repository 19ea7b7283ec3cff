"""
The consents' measurements on the large school with five years of answers:
slips for one form and for the whole school (time and peak memory), one
returned slip recorded through the page, the photo check for a year group
and the chasing list.
"""

import random
import resource
import tempfile
import time

from django.conf import settings
from django.db import connection
from django.test.utils import override_settings
from django.urls import reverse
from django.utils import timezone

from bench.core import login
from bench.measure import BenchRun, PeakMemory, ProcessTreeMemory, QueryCounter, Section
from consents import printing, services
from consents.demo import seed_answers
from consents.models import ConsentAnswer, ConsentRound, ConsentSlip, SlipBatch
from consents.selectors import pupils_with_answers_missing
from esafety.models import FormGroup, User, YearGroup
from esafety.roles import Role

YEARS = 5


def open_round(school) -> ConsentRound:
    return ConsentRound.objects.for_school(school).filter(status=ConsentRound.Status.OPEN).select_related("school").first()


def add_answers(run: BenchRun) -> None:
    office = User.objects.get(email=login(Role.OFFICE))
    started = time.perf_counter()
    added = seed_answers(school=run.school, office=office, rng=random.Random(4), years=YEARS)
    seconds = time.perf_counter() - started
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")  # as after the demo (bench/__main__.py)
    total = ConsentAnswer.objects.filter(school=run.school).count()
    current = ConsentAnswer.objects.current().filter(school=run.school).count()
    lines = [f"{added:,} answers added in {seconds:.1f} s (bulk); {total:,} in all, {current:,} in force."]
    run.report.sections.append(Section(f"Consents: {YEARS} years of answers in {run.school.name}", lines, ok=total > 0))
    run.report.facts.append(("Consent answers", f"{total:,} over {YEARS} years"))


def slips(run: BenchRun) -> None:
    consent_round = open_round(run.school)
    form = FormGroup.objects.for_school(run.school).get(name="9C")
    lines, ok = [], True
    with PeakMemory() as memory, QueryCounter() as queries:
        started = time.perf_counter()
        pdf, count = services.form_slips_pdf(consent_round=consent_round, form=form, only_missing=False, per_page=1)
        seconds = time.perf_counter() - started
    lines.append(
        f"one form (9C): {count} slips, {len(pdf) / 1024:.0f} KB in {seconds:.2f} s, {queries.total} queries, peak {memory.peak_mb:.0f} MB"
    )
    ok &= count > 0
    started = time.perf_counter()
    pdf, count = services.form_slips_pdf(consent_round=consent_round, form=form, only_missing=False, per_page=2)
    lines.append(f"one form (9C), two a page: {count} slips, {len(pdf) / 1024:.0f} KB in {time.perf_counter() - started:.2f} s")
    started = time.perf_counter()
    pupils = pupils_with_answers_missing(consent_round).filter(form=form)
    pages = services.round_slip_pages(consent_round=consent_round, pupils=pupils, only_missing=True)
    pdf = printing.render_reminders(consent_round, pages, today=timezone.localdate())
    lines.append(
        f"reminder letters (9C): {len(pages)} letters, {len(pdf) / 1024:.0f} KB in {time.perf_counter() - started:.2f} s"
    )

    office = User.objects.get(email=login(Role.OFFICE))
    with tempfile.TemporaryDirectory() as media, override_settings(MEDIA_ROOT=media):
        batch = SlipBatch.objects.create(round=consent_round, only_missing=False, per_page=1, created_by=office)
        with PeakMemory() as memory, ProcessTreeMemory() as machine, QueryCounter() as queries:
            started = time.perf_counter()
            services.slip_batch_build(batch.pk)
            seconds = time.perf_counter() - started
        batch.refresh_from_db()
        size = batch.file.size if batch.file else 0
    peak = f"{memory.peak_mb:.0f} MB (+{memory.peak_mb - memory.start_mb:.0f}){'*' if memory.since_start else ''}"
    lines.append(
        f"whole school: {batch.pupil_count:,} slips, {size / 1024 / 1024:.1f} MB in {seconds:.1f} s, {queries.total} queries, peak {peak}"
    )
    # The forms are rendered in PDF_PROCESSES processes of their own: their memory is not the task's.
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    lines.append(
        f"  rendered in {settings.PDF_PROCESSES} processes besides the task's, the largest peaking at {children:.0f} MB; "
        f"all together {machine.peak_mb:.0f} MB at most at once (sampled every 50 ms)"
    )
    if memory.since_start:
        lines.append("* This system cannot reset the peak: it is the peak since the bench started.")
    ok &= batch.status == SlipBatch.Status.READY
    if not ok:
        lines.append(f"PROBLEM: the whole school's slips ended as {batch.status}: {batch.failure}")
    run.report.sections.append(Section("Consent slips (WeasyPrint, one shared FontConfiguration)", lines, ok=ok))


def record_return(run: BenchRun) -> None:
    consent_round = open_round(run.school)
    slip = ConsentSlip.objects.filter(round=consent_round, returned_at__isnull=True).select_related("pupil").first()
    client = run.client_for(login(Role.OFFICE))
    types = list(consent_round.consent_types.all())
    data = {f"answer_{t.pk}": "yes" for t in types}
    data.update({"method": "paper", "signed_on": timezone.localdate().strftime("%d/%m/%Y")})
    with QueryCounter() as queries:
        started = time.perf_counter()
        response = client.post(reverse("consents:slip_record", args=[slip.pk]), data)
        seconds = time.perf_counter() - started
    recorded = ConsentAnswer.objects.filter(slip=slip).count()
    lines = [f"one slip, {len(types)} answers: {seconds * 1000:.0f} ms, {queries.total} queries, answered {response.status_code}"]
    ok = response.status_code == 302 and recorded >= 1
    if not ok:
        lines.append(f"PROBLEM: {recorded} answers recorded")
    run.report.sections.append(Section("Recording one returned slip (POST, as the office)", lines, ok=ok))
    run.page("return entry (slip code)", f"{reverse('consents:return_entry')}?code={slip.code}", as_user=login(Role.OFFICE))


def pages(run: BenchRun) -> None:
    consent_round = open_round(run.school)
    year9 = YearGroup.objects.get(school=run.school, ncy=9)
    run.page("photo check, Year 9", f"{reverse('consents:photo_check')}?year_group={year9.pk}", as_user=login(Role.STAFF))
    run.page("chasing list", reverse("consents:round_chasing", args=[consent_round.pk]), as_user=login(Role.OFFICE))
    run.page("consent round", reverse("consents:round_detail", args=[consent_round.pk]), as_user=login(Role.OFFICE))
    run.page("consent coverage", reverse("consents:coverage"), as_user=login(Role.HEAD))


BENCHES = [add_answers, slips, record_return, pages]
