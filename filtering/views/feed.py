"""
The allowlist feed the filter appliance pulls, its token, and the school's filtering settings and groups.

The feed (`feed_text`, `feed_json`) is for a machine: no login, no session, no personal data. The secret token in
its address says which school it is; the group's name on the appliance says which list. It lists what is open at
the moment of the request, worked out then: an exception is in it from the moment IT marks it applied (within its
dates) and out of it after its last day, without anyone acting. Its ETag is known from one query, so that the
appliance can poll every minute and be told "304 Not Modified" for next to nothing (docs/filter-feed.md).
"""

import hashlib
import json
import secrets
from datetime import date

from django.conf import settings as site_settings
from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import ValidationError
from django.http import HttpResponse, HttpResponseNotFound, HttpResponseNotModified
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import parse_etags
from django.views.decorators.http import require_POST, require_safe

from esafety.access import capability_required
from esafety.audit import client_ip
from esafety.history import history_for
from esafety.roles import Capability
from esafety.scoping import scope, scopes_disabled
from filtering import selectors
from filtering.forms.feed import FeedRotateForm, FilterGroupFormSet, FilterSettingsForm, SiteCategoryFormSet
from filtering.models import FilterExceptionRequest, FilterGroup, RequestedSite, SiteCategory
from filtering.services.feed import feed_fetch_due, feed_fetch_record, feed_token_rotate, filter_settings_save

Kind = RequestedSite.Kind
# Tokens are 43 characters (filtering.models.new_feed_token); the column holds 64.
TOKEN_MAX_LENGTH = 64
FEED_CACHE_CONTROL = "no-cache"  # a copy may be kept, but must be checked with the app (If-None-Match) every time


# --- The feed ---------------------------------------------------------------------


def feed_entries(kind: str, value: str) -> list[str]:
    """
    The lines of the plain-text feed for one site, as firewalls' external lists read them:

    - a domain as it is (`example.org`);
    - a domain and its subdomains as the domain and its wildcard (`example.org`, `*.example.org`): on many
      appliances the wildcard alone does not match the domain itself;
    - an exact address without its `http://` or `https://`, as URL lists take it (`example.org/page`).
    """
    if kind == Kind.SUBDOMAINS:
        return [value, f"*.{value}"]
    if kind == Kind.URL:
        return [value.split("://", 1)[-1]]
    return [value]


def _feed_group(token: str, slug: str) -> FilterGroup | None:
    """The school's group the address names, with its school and settings, in one query; None for a wrong address."""
    if not token or len(token) > TOKEN_MAX_LENGTH:
        return None
    # Which school's feed this is comes from the token alone, before any school is in scope: the look-up
    # concerns every school's token.
    with scopes_disabled():
        group = (
            FilterGroup.objects.select_related("school__filter_settings")
            .filter(school__filter_settings__feed_token=token, appliance_name=slug, is_active=True)
            .first()
        )
    # The database found it by the unique index; compared again in constant time, so that a collation that
    # ignored case or accents could not let a near miss in.
    if group is None or not secrets.compare_digest(group.school.filter_settings.feed_token.encode(), token.encode()):
        return None
    return group


def _etag(version: int, today: date, group: FilterGroup, fmt: str) -> str:
    """
    Known without building the list: what the feed lists changes only when its version is bumped (an exception
    applied, ended, removed; a group changed) or when the day changes (one opens, another ends). Weak: the JSON
    says when it was generated.
    """
    key = f"{version}|{today.isoformat()}|{group.pk}|{group.appliance_name}|{fmt}"
    return f'W/"{hashlib.sha256(key.encode()).hexdigest()[:32]}"'


def _not_modified(request, etag: str) -> bool:
    header = request.headers.get("If-None-Match")
    if not header:
        return False
    wanted = etag.removeprefix("W/")
    return any(tag == "*" or tag.removeprefix("W/") == wanted for tag in parse_etags(header))


def _open_sites(group: FilterGroup, today: date, *fields: str):
    """The sites open today for the group (those `fields` of each), in one query."""
    return selectors.open_exceptions(group.school, today).filter(request__groups=group).values_list(*fields)


def _feed_text(group: FilterGroup, today: date) -> HttpResponse:
    # Each site once, in any order: sorted here, after the lines are written.
    sites = _open_sites(group, today, "kind", "value").order_by().distinct()
    lines = sorted({entry for kind, value in sites for entry in feed_entries(kind, value)})
    return HttpResponse("".join(f"{line}\n" for line in lines), content_type="text/plain; charset=utf-8")


def _feed_json(group: FilterGroup, today: date) -> HttpResponse:
    rows = _open_sites(group, today, "kind", "value", "request_id", "request__number", "request__starts_on", "request__ends_on")
    exceptions: dict = {}
    for kind, value, request_id, number, starts_on, ends_on in rows:
        if request_id not in exceptions:
            exceptions[request_id] = {
                "reference": FilterExceptionRequest(number=number).reference,
                "starts_on": starts_on.isoformat(),
                "ends_on": ends_on.isoformat(),
                "sites": [],
            }
        exceptions[request_id]["sites"].append({"kind": kind, "value": value, "entries": feed_entries(kind, value)})
    entries = {entry for item in exceptions.values() for site in item["sites"] for entry in site["entries"]}
    payload = {
        "group": {"name": group.name, "appliance_name": group.appliance_name},
        "open_on": today.isoformat(),
        "generated_at": timezone.localtime().isoformat(timespec="seconds"),
        "entries": sorted(entries),
        "exceptions": sorted(exceptions.values(), key=lambda e: (e["starts_on"], e["reference"])),
    }
    return HttpResponse(json.dumps(payload, separators=(",", ":")), content_type="application/json")


def _feed(request, token: str, slug: str, fmt: str, build) -> HttpResponse:
    group = _feed_group(token, slug)
    if group is None:
        # No detail: a wrong token, a group the school does not have and one out of use all look the same.
        return HttpResponseNotFound("Not found.\n", content_type="text/plain; charset=utf-8")
    feed = group.school.filter_settings
    today = timezone.localdate()
    etag = _etag(feed.feed_version, today, group, fmt)
    ip = client_ip(request)
    with scope(school=group.school):
        # Decided on the row already read, so that most polls write nothing.
        if feed_fetch_due(fetched_at=feed.feed_fetched_at, fetched_from=feed.feed_fetched_from, ip=ip):
            feed_fetch_record(settings_id=feed.pk, ip=ip)
        if _not_modified(request, etag):
            response = HttpResponseNotModified()
        else:
            response = build(group, today)
    response["ETag"] = etag
    response["Cache-Control"] = FEED_CACHE_CONTROL
    response["X-Robots-Tag"] = "noindex, nofollow"
    return response


@login_not_required
@require_safe
def feed_text(request, token, group):
    """The group's allowlist as plain text: one domain or address a line, sorted, nothing else."""
    return _feed(request, token, group, "txt", _feed_text)


@login_not_required
@require_safe
def feed_json(request, token, group):
    """The group's allowlist as JSON: the same lines, and each exception's reference and dates."""
    return _feed(request, token, group, "json", _feed_json)


# --- The IT manager's page of the feed ------------------------------------------------


def feed_urls(token: str, group: FilterGroup) -> tuple[str, str]:
    """The group's two feed addresses, whole (SITE_URL), as the appliance is given them."""
    site = site_settings.SITE_URL.rstrip("/")
    kwargs = {"token": token, "group": group.appliance_name}
    return site + reverse("filtering:feed_text", kwargs=kwargs), site + reverse("filtering:feed_json", kwargs=kwargs)


def _feed_page(request, rotate_form, status=200):
    school = request.access.school
    feed = selectors.settings_for(school)
    today = timezone.localdate()
    groups = list(FilterGroup.objects.filter(school=school).order_by("-is_active", "order", "name"))
    # What each group's feed lists today: the open sites of every group in one query.
    listed: dict[int, set] = {}
    for group_id, kind, value in (
        selectors.open_exceptions(school, today).order_by().values_list("request__groups", "kind", "value")
    ):
        listed.setdefault(group_id, set()).add((kind, value))
    rows = [
        {
            "group": group,
            "urls": feed_urls(feed.feed_token, group) if group.is_active else None,
            "sites": len(listed.get(group.pk, ())),
        }
        for group in groups
    ]
    context = {"feed": feed, "rows": rows, "rotate_form": rotate_form, "today": today, "history": history_for(feed)}
    return render(request, "filtering/feed_settings.html", context, status=status)


@capability_required(Capability.RUN_WEB_FILTER)
def feed_settings(request):
    return _feed_page(request, FeedRotateForm())


@require_POST
@capability_required(Capability.RUN_WEB_FILTER)
def feed_rotate(request):
    form = FeedRotateForm(request.POST)
    if not form.is_valid():
        return _feed_page(request, form, status=400)
    feed_token_rotate(school=request.access.school, actor=request.user)
    messages.success(
        request,
        "The feed has new addresses, shown below. The old ones stopped working at once: "
        "put the new ones into the filter appliance now.",
    )
    return redirect("filtering:feed_settings")


# --- The school's filtering settings ------------------------------------------------------


@capability_required(Capability.RUN_WEB_FILTER, Capability.SIGN_OFF_FILTER_EXCEPTION)
def filtering_settings(request):
    school = request.access.school
    feed = selectors.settings_for(school)
    data = request.POST if request.method == "POST" else None
    form = FilterSettingsForm(data, instance=feed, prefix="settings")
    groups = FilterGroupFormSet(
        data, queryset=FilterGroup.objects.filter(school=school).order_by("order", "name"), prefix="groups", school=school
    )
    categories = SiteCategoryFormSet(
        data,
        queryset=SiteCategory.objects.filter(school=school).order_by("order", "name"),
        prefix="categories",
        school=school,
    )
    problems = []
    if data is not None and all([form.is_valid(), groups.is_valid(), categories.is_valid()]):
        try:
            changed = filter_settings_save(
                school=school,
                settings=form.instance,
                groups=groups.changed_rows(),
                categories=categories.changed_rows(),
                actor=request.user,
            )
        except ValidationError as error:
            problems = error.messages
        else:
            if changed:
                messages.success(request, "The filtering settings have been saved.")
            else:
                messages.info(request, "Nothing was changed.")
            return redirect("filtering:settings")
    context = {
        "form": form,
        "groups": groups,
        "categories": categories,
        "problems": problems,
        "history": history_for(feed),
    }
    return render(request, "filtering/settings.html", context, status=400 if data is not None else 200)
