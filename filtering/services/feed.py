"""The allowlist feed the filter appliance pulls, its token, and the school's filtering settings and groups."""

from datetime import timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from esafety.history import save_with_history
from esafety.models import School, User
from filtering.models import FilterGroup, FilterSettings, SiteCategory, new_feed_token

# A poll every few seconds writes the time and address of the last fetch at most this often (or when the
# address changes): the page says when the appliance last asked, to within this.
FETCH_RECORDED_EVERY = timedelta(minutes=1)


def feed_version_bump(*, school: School) -> None:
    """
    Something the feed lists has changed (an exception applied, ended or removed, a group renamed): the next
    poll gets the new list instead of 304 Not Modified. One UPDATE, in the caller's transaction.
    """
    FilterSettings.objects.filter(school=school).update(feed_version=F("feed_version") + 1)


@transaction.atomic
def feed_token_rotate(*, school: School, actor: User) -> FilterSettings:
    """
    A new secret for the feed's address. The old address stops working at once: the token is looked up on
    every request, never cached. The appliance must be given the new addresses.
    """
    settings = FilterSettings.objects.select_for_update().get(school=school)
    settings.feed_token = new_feed_token()
    settings.feed_token_rotated_at = timezone.now()
    save_with_history(settings, actor=actor, reason="Feed token changed")
    return settings


def feed_fetch_due(*, fetched_at, fetched_from, ip: str | None, now=None) -> bool:
    """Whether a fetch is worth writing down: the last one recorded is a minute old, or came from elsewhere."""
    now = now or timezone.now()
    return fetched_at is None or now - fetched_at >= FETCH_RECORDED_EVERY or fetched_from != ip


@transaction.atomic
def feed_fetch_record(*, settings_id: int, ip: str | None) -> bool:
    """
    When and from where the feed was last fetched, for the IT manager's page. A conditional UPDATE, so that an
    appliance polling every few seconds writes at most about once a minute, or when its address changes; no
    history (it is not a change anyone made). True when written.
    """
    now = timezone.now()
    due = Q(feed_fetched_at__isnull=True) | Q(feed_fetched_at__lte=now - FETCH_RECORDED_EVERY)
    due |= Q(feed_fetched_from__isnull=False) if ip is None else ~Q(feed_fetched_from=ip)
    return bool(FilterSettings.objects.filter(pk=settings_id).filter(due).update(feed_fetched_at=now, feed_fetched_from=ip))


SETTINGS_FIELDS = ("notice_school_days", "longest_period_days", "review_interval")


def _duplicates(rows, field: str, noun: str) -> list[str]:
    """A message for each name used by two rows of the school (as they will be after the save), case aside."""
    seen: dict[str, object] = {}
    problems = []
    for row in rows:
        key = str(getattr(row, field)).strip().casefold()
        if key in seen:
            problems.append(f"Two {noun} would be called “{getattr(row, field)}”: give each its own.")
        seen[key] = row
    return problems


@transaction.atomic
def filter_settings_save(
    *,
    school: School,
    settings: FilterSettings,
    groups: list[FilterGroup],
    categories: list[SiteCategory],
    actor: User,
) -> int:
    """
    The school's filtering settings, its filter groups and its kinds of site, from one form: every row is checked
    first, then all of them are saved with their history, or none (a ValidationError lists every problem).
    `groups` and `categories` are the new and changed rows only. Returns how many records changed.
    """
    current = FilterSettings.objects.select_for_update().get(school=school)
    # Copied onto the locked row: the feed's counters on `settings` may be out of date by now.
    settings_changed = any(getattr(current, name) != getattr(settings, name) for name in SETTINGS_FIELDS)
    for name in SETTINGS_FIELDS:
        setattr(current, name, getattr(settings, name))

    problems = []
    for model, rows, noun in ((FilterGroup, groups, "filter groups"), (SiteCategory, categories, "kinds of site")):
        # The school's rows as they will be after the save, for the names that must differ.
        after = {row.pk: row for row in model.objects.filter(school=school)}
        last = max((row.order for row in after.values()), default=-1)
        for row in rows:
            row.school = school
            if row.pk is None:
                last += 1
                row.order = last  # after the school's others
            after[row.pk or id(row)] = row
        problems += _duplicates(after.values(), "name", noun)
        if model is FilterGroup:
            problems += _duplicates(after.values(), "appliance_name", "filter groups on the appliance")
    for row in [current, *groups, *categories]:
        try:
            row.full_clean()
        except ValidationError as error:
            problems += [f"{row}: {message}" for message in error.messages]
    if problems:
        raise ValidationError(problems)

    if settings_changed:
        save_with_history(current, actor=actor, reason="Settings changed")
    for group in groups:
        save_with_history(group, actor=actor, reason="Filter group changed" if group.pk else "Filter group added")
    for category in categories:
        save_with_history(category, actor=actor, reason="Kind of site changed" if category.pk else "Kind of site added")
    if groups:
        # A group renamed, or taken out of use (its feed then answers 404), changes what the appliance reads.
        feed_version_bump(school=school)
    return int(settings_changed) + len(groups) + len(categories)
