"""The progress of long jobs (MIS imports, whole rounds' slips), shared through the cache."""

from django.core.cache import cache
from django.urls import reverse

from esafety.models import ImportJob
from esafety.progress import Progress


def test_a_jobs_progress_is_kept_under_its_own_key_and_full_once_finished(cast):
    progress = Progress.for_job(cast.a.import_job)
    assert progress.percent() == 0
    progress.set(50, 200)
    assert Progress.for_job(cast.a.import_job).percent() == 25
    assert progress.percent(finished=True) == 100
    assert Progress.for_job(cast.a.batch).percent() == 0, "a slip batch has a key of its own"


def test_a_cache_that_is_down_costs_the_bar_not_the_job(cast, monkeypatch, caplog):
    def down(*args, **kwargs):
        raise ConnectionError("the cache is down")

    monkeypatch.setattr(cache, "set", down)
    monkeypatch.setattr(cache, "get", down)
    progress = Progress.for_job(cast.a.batch)
    progress.set(1, 2)  # does not raise
    assert "Could not record the progress" in caplog.text
    assert progress.percent() == 0


def test_the_import_and_the_slips_pages_each_poll_their_own_progress(cast, login):
    client = login(cast.a.users["office"])
    job = cast.a.import_job
    job.status = ImportJob.Status.CHECKING
    job.save()
    pages = [
        (reverse("import_detail", args=[job.pk]), reverse("import_progress", args=[job.pk])),
        (
            reverse("consents:slip_batch_detail", args=[cast.a.batch.pk]),
            reverse("consents:slip_batch_progress", args=[cast.a.batch.pk]),
        ),
    ]
    for page, poll_url in pages:
        assert f'hx-get="{poll_url}"' in client.get(page).content.decode()
        # The bar fetched from there asks for itself again while the job runs.
        assert f'hx-get="{poll_url}"' in client.get(poll_url).content.decode()
