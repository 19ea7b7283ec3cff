"""Notifications: a row under the bell for each recipient, and an e-mail when it matters."""

from collections.abc import Iterable

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone

from esafety.models import Notification, School, User
from esafety.outbox import outbox_enqueue


def notify(
    *, recipients: Iterable, school: School, title: str, body: str = "", link: str = "", email: bool = False
) -> list[Notification]:
    """Notify each recipient in-app; with `email`, also send them an e-mail after commit."""
    created = []
    with transaction.atomic():
        for user in {u.pk: u for u in recipients}.values():
            notification = Notification.objects.create(
                school=school, recipient=user, title=title, body=body, link=link, send_email=email
            )
            if email and user.email:
                outbox_enqueue("esafety.tasks.notification_send_email", notification_id=notification.pk)
            created.append(notification)
    return created


def notifications_withdraw(*, link: str, keep) -> int:
    """
    Remove the notifications that point at `link` from every recipient for whom `keep(user)` is false, e.g.
    when a record becomes restricted: its title may name it. An e-mail not yet sent goes with it.
    """
    gone = [n.pk for n in Notification.objects.filter(link=link).select_related("recipient") if not keep(n.recipient)]
    Notification.objects.filter(pk__in=gone).delete()
    return len(gone)


@transaction.atomic
def notification_send_email(notification_id: int) -> bool:
    """Send a notification's e-mail once, however often the task runs. Returns whether it sent."""
    notification = (
        Notification.objects.select_for_update(of=("self",))
        .select_related("recipient", "school")
        .filter(pk=notification_id, emailed_at__isnull=True)
        .first()
    )
    if notification is None:
        return False
    context = {
        "notification": notification,
        "user": notification.recipient,
        "school": notification.school,
        "link": f"{settings.SITE_URL}{notification.link}" if notification.link else settings.SITE_URL,
    }
    subject = render_to_string("emails/notification_subject.txt", context).strip()
    message = EmailMultiAlternatives(
        subject=subject,
        body=render_to_string("emails/notification_body.txt", context),
        to=[notification.recipient.email],
    )
    message.attach_alternative(render_to_string("emails/notification_body.html", context), "text/html")
    message.send()
    notification.emailed_at = timezone.now()
    notification.save(update_fields=["emailed_at"])
    return True


def notification_mark_read(*, notification: Notification) -> None:
    if notification.read_at is None:
        notification.read_at = timezone.now()
        notification.save(update_fields=["read_at"])


def notifications_mark_all_read(*, user: User, school: School) -> int:
    return Notification.objects.for_user(user).unread().filter(school=school).update(read_at=timezone.now())
