"""The bell, the notification list, and e-mails sent after commit."""

from django.core import mail
from django.urls import reverse

from esafety.models import Notification, OutboxMessage
from esafety.notifications import notify


def test_the_bell_counts_unread_notifications_of_this_school(cast, login):
    office = cast.a.users["office"]
    Notification.objects.create(school=cast.a.school, recipient=office, title="Second")
    Notification.objects.create(school=cast.b.school, recipient=office, title="Elsewhere")  # another school's
    page = login(office).get(reverse("home")).content.decode()
    assert '2<span class="visually-hidden"> unread notifications</span>' in page
    assert "Hello office a" in page and "Elsewhere" not in page


def test_opening_a_notification_marks_it_read_and_follows_its_link(cast, login):
    office = cast.a.users["office"]
    note = Notification.objects.create(school=cast.a.school, recipient=office, title="Import done", link="/imports/")
    client = login(office)
    response = client.post(reverse("notification_open", args=[note.pk]))
    assert response["Location"] == "/imports/"
    note.refresh_from_db()
    assert note.read_at is not None
    assert "no unread notifications" not in client.get(reverse("home")).content.decode()  # the cast's one is still unread
    client.post(reverse("notifications_read_all"))
    assert "no unread notifications" in client.get(reverse("home")).content.decode()


def test_a_notification_never_sends_you_off_site(cast, login):
    office = cast.a.users["office"]
    note = Notification.objects.create(school=cast.a.school, recipient=office, title="Phish", link="https://evil.example/")
    response = login(office).post(reverse("notification_open", args=[note.pk]))
    assert response["Location"] == reverse("notification_list")


def test_notify_emails_after_commit_once_per_recipient(cast, django_capture_on_commit_callbacks):
    dsl, head = cast.a.users["dsl"], cast.a.users["head"]
    with django_capture_on_commit_callbacks(execute=True):
        notify(recipients=[dsl, head, dsl], school=cast.a.school, title="Urgent", body="Please look", link="/", email=True)
        assert mail.outbox == []  # nothing leaves before the transaction commits
    assert sorted(m.to[0] for m in mail.outbox) == ["dsl@a.example", "head@a.example"]
    assert mail.outbox[0].subject == "[School A] Urgent"
    assert "Please look" in mail.outbox[0].body and "Please look" in mail.outbox[0].alternatives[0][0]
    assert OutboxMessage.objects.filter(dispatched_at__isnull=True).count() == 0
    assert Notification.objects.filter(title="Urgent").count() == 2


def test_in_process_a_failing_email_stays_in_the_outbox_and_the_page_still_works(
    cast, django_capture_on_commit_callbacks, monkeypatch
):
    from django.core.mail import EmailMessage

    from esafety.celery import app
    from esafety.outbox import outbox_drain

    def smtp_down(self, *args, **kwargs):
        raise ConnectionRefusedError("SMTP server down")

    app.conf.task_eager_propagates = False  # as on a laptop: the autouse fixture sets it back for the next test
    with monkeypatch.context() as patch:
        patch.setattr(EmailMessage, "send", smtp_down)
        with django_capture_on_commit_callbacks(execute=True):
            notify(recipients=[cast.a.users["dsl"]], school=cast.a.school, title="Urgent", email=True)
    message = OutboxMessage.objects.get()
    assert message.dispatched_at is None and "SMTP server down" in message.last_error
    assert Notification.objects.get(title="Urgent").emailed_at is None

    assert outbox_drain() == 1  # the server is back: the drain sends it
    assert [m.subject for m in mail.outbox] == ["[School A] Urgent"]
