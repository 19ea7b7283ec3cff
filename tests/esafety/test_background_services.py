"""
Background work against a real Redis and a real Celery worker.

Each test module run starts its own Redis on a free port (so that it can be
stopped and started without touching anyone else's) and a worker process
that uses the test database. Waiting on the worker is bounded: a test fails
rather than hangs.
"""

import os
import shutil
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import redis
from django.conf import settings as django_settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.urls import reverse

from esafety.celery import app as celery_app
from esafety.models import ImportJob, Notification, OutboxMessage, Pupil
from esafety.notifications import notification_send_email
from esafety.outbox import outbox_drain

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]

ROOT = Path(__file__).resolve().parents[2]
WAIT_SECONDS = 90


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for(condition, what: str, seconds: float = WAIT_SECONDS, worker=None):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        result = condition()
        if result:
            return result
        time.sleep(0.1)
    log = "".join(worker.output[-60:]) if worker else ""
    raise AssertionError(f"gave up after {seconds:.0f}s waiting for {what}\n{log}")


class RedisServer:
    def __init__(self, tmp: Path):
        self.port = _free_port()
        self.tmp = tmp
        self.process = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self):
        binary = shutil.which("redis-server")
        assert binary, "redis-server is needed for these tests: `make test` installs it"
        self.process = subprocess.Popen(
            [binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", str(self.tmp)],
            stdout=subprocess.DEVNULL,
        )
        client = redis.Redis(port=self.port)
        wait_for(lambda: _pings(client), "Redis to start", 20)

    def stop(self):
        self.process.terminate()
        self.process.wait(timeout=20)


def _pings(client) -> bool:
    try:
        return client.ping()
    except redis.ConnectionError:
        return False


def _database_url() -> str:
    db = connection.settings_dict
    if db["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{db['NAME']}"
    return f"postgres://{db['USER'] or 'postgres'}{':' + db['PASSWORD'] if db['PASSWORD'] else ''}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


class Worker:
    def __init__(self, redis_server: RedisServer, mail_dir: Path):
        self.output: list[str] = []
        env = {
            **os.environ,
            "DATABASE_URL": _database_url(),
            "CELERY_BROKER_URL": redis_server.url,
            "CACHE_URL": redis_server.url.replace("/0", "/1"),
            "EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend",
            "EMAIL_FILE_PATH": str(mail_dir),
            "PYTHONUNBUFFERED": "1",
        }
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "esafety",
                "worker",
                "--pool=solo",
                "--without-gossip",
                "--without-mingle",
                "--without-heartbeat",
                "--loglevel=INFO",
            ],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        threading.Thread(target=self._read, daemon=True).start()
        wait_for(lambda: any("ready." in line for line in self.output), "the Celery worker to start", 60)

    def _read(self):
        for line in self.process.stdout:
            self.output.append(line)

    def stop(self):
        self.process.terminate()  # a warm shutdown: the current task finishes first
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()


@pytest.fixture(scope="module")
def services(django_db_setup, django_db_blocker, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("services")
    redis_server = RedisServer(tmp)
    redis_server.start()
    mail_dir = tmp / "mail"
    mail_dir.mkdir()
    with django_db_blocker.unblock():
        worker = Worker(redis_server, mail_dir)
    yield redis_server, worker, mail_dir
    # The worker must be gone before the test database is dropped.
    worker.stop()
    redis_server.stop()


@pytest.fixture
def real_broker(services, settings):
    redis_server, worker, mail_dir = services
    celery_app.conf.task_always_eager = False
    celery_app.conf.broker_url = redis_server.url
    # Progress is shared through the cache: Redis, as in production.
    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": redis_server.url.replace("/0", "/1")}
    }
    yield redis_server, worker, mail_dir
    celery_app.conf.task_always_eager = True
    celery_app.conf.broker_url = django_settings.CELERY_BROKER_URL or None


def emails_in(mail_dir: Path) -> list[str]:
    return [part for file in sorted(mail_dir.glob("*.log")) for part in file.read_text().split("Subject: ")[1:]]


def _pupil_rows(count: int) -> str:
    lines = ["Adno,UPN,Legal Surname,Legal Forename,Preferred Forename,DOB,Year,Reg,Admission Date,Leaving Date"]
    for n in range(count):
        year = 7 + n % 7
        lines.append(f"{500000 + n},,Surname{n},Pupil{n},,01/03/{2026 - year - 5},{year},{year}{'ABCD'[n % 4]},01/09/2025,")
    return "\n".join(lines) + "\n"


def test_a_worker_checks_and_imports_a_2000_row_file_in_the_background(real_broker, cast, client):
    _, worker, mail_dir = real_broker
    office = cast.a.users["office"]
    client.force_login(office)

    started = time.monotonic()
    response = client.post(
        reverse("import_list"), {"kind": "pupils", "file": SimpleUploadedFile("all.csv", _pupil_rows(2000).encode())}
    )
    assert response.status_code == 302, response.content.decode()[:500]
    job = ImportJob.objects.get(school=cast.a.school, file_name="all.csv")
    # The upload came straight back: the check runs in the worker.
    assert time.monotonic() - started < 10 and job.status == ImportJob.Status.CHECKING
    assert "Checking the file" in client.get(reverse("import_detail", args=[job.pk])).content.decode()

    seen = set()

    def checked():
        page = client.get(reverse("import_progress", args=[job.pk])).content.decode()
        seen.add(page.split('aria-valuenow="')[1].split('"')[0])
        job.refresh_from_db()
        return job.status == ImportJob.Status.READY

    wait_for(checked, "the worker to check the file", worker=worker)
    assert job.row_count == 2000 and job.error_count == 0 and job.preview["create"] == 2000
    # The bar only ever shows a percentage, and it reached 100 % when the check was done.
    assert "100" in seen and seen <= {str(n) for n in range(101)}

    client.post(reverse("import_confirm", args=[job.pk]), {"accept": "all"})
    wait_for(
        lambda: ImportJob.objects.get(pk=job.pk).status == ImportJob.Status.DONE, "the worker to import the file", worker=worker
    )
    assert Pupil.objects.filter(school=cast.a.school, mis_id__startswith="5").count() == 2000
    assert "2000 added" in client.get(reverse("import_detail", args=[job.pk])).content.decode()

    notification = wait_for(lambda: Notification.objects.filter(recipient=office, emailed_at__isnull=False).first(), "the e-mail")
    assert notification.title == "Import finished: pupils from all.csv"
    assert len(emails_in(mail_dir)) == 1


def test_work_queued_while_redis_is_down_is_done_exactly_once_when_it_is_back(real_broker, cast, client):
    redis_server, worker, mail_dir = real_broker
    already_sent = len(emails_in(mail_dir))
    office = cast.a.users["office"]
    client.force_login(office)
    job = cast.a.import_job

    redis_server.stop()
    try:
        started = time.monotonic()
        response = client.post(reverse("import_confirm", args=[job.pk]), {"accept": "all"})
        elapsed = time.monotonic() - started
    finally:
        redis_server.start()
    # The office's confirmation was saved, and the page did not wait on Redis.
    assert response.status_code == 302 and elapsed < 10
    job.refresh_from_db()
    assert job.status == ImportJob.Status.IMPORTING
    pending = OutboxMessage.objects.get(
        task_name="esafety.tasks.import_apply", kwargs={"school_id": job.school_id, "job_id": str(job.pk)}
    )
    assert pending.dispatched_at is None and pending.last_error

    # Redis is back: beat's next drain sends what was left; running it again sends nothing twice.
    assert outbox_drain() == 1
    wait_for(lambda: ImportJob.objects.get(pk=job.pk).status == ImportJob.Status.DONE, "the import queued while Redis was down")
    notification = wait_for(
        lambda: Notification.objects.filter(recipient=office, emailed_at__isnull=False, title__contains="pupils.csv").first(),
        "the notification e-mail",
    )
    assert outbox_drain() == 0
    assert notification_send_email(notification.pk) is False  # a second run of the task sends nothing
    assert len(emails_in(mail_dir)) == already_sent + 1
    assert Notification.objects.filter(recipient=office, title__contains="pupils.csv").count() == 1
    assert Pupil.objects.filter(school=cast.a.school, mis_id__in=["100001", "100002"]).count() == 2


def test_beat_installs_the_schedule_defined_in_settings(services, tmp_path):
    from django_celery_beat.models import PeriodicTask

    redis_server, _, _ = services
    env = {**os.environ, "DATABASE_URL": _database_url(), "CELERY_BROKER_URL": redis_server.url, "PYTHONUNBUFFERED": "1"}
    log = tmp_path / "beat.log"
    beat = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "esafety", "beat", "--loglevel=INFO", f"--pidfile={tmp_path / 'beat.pid'}"],
        cwd=ROOT,
        env=env,
        stdout=log.open("w"),
        stderr=subprocess.STDOUT,
    )
    try:
        wanted = set(django_settings.CELERY_BEAT_SCHEDULE)
        installed = wait_for(
            lambda: wanted <= set(PeriodicTask.objects.values_list("name", flat=True)) and PeriodicTask.objects.all(),
            "beat to write the schedule",
            60,
        )
        drain = next(task for task in installed if task.name == "drain-outbox")
        assert drain.task == "esafety.tasks.outbox_drain" and drain.interval.every == 60 and drain.enabled
    finally:
        # What this test checks is the schedule beat installs. Beat's own stop on SIGTERM can hang in Celery
        # when the signal lands while it is publishing a due task (systemd then kills it after TimeoutStopSec):
        # a beat still running after a minute is killed, so that it cannot hold the test database.
        beat.terminate()
        try:
            beat.wait(timeout=60)
        except subprocess.TimeoutExpired:
            beat.kill()
            beat.wait(timeout=30)
