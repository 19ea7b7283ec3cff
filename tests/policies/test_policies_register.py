"""
The register of policies: the e-safety lead and the head teacher add a policy, draft versions (a file or text),
record their approval (the version before superseded, the next review set), change the details and retire a policy;
every member of staff reads the policies in force. The list searches, filters and sorts; pages cost a fixed number
of queries.
"""

import html
from datetime import date, timedelta

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django.utils.html import strip_tags

from esafety.history import history_for
from esafety.scoping import scope
from policies.models import Policy, PolicySettings, PolicyVersion, add_months
from policies.services import policies as services
from tests import factories as f

pytestmark = pytest.mark.django_db

Kind = Policy.Kind
Status = PolicyVersion.Status
LIST = reverse("policies:policy_list")
NEW = reverse("policies:policy_new")
ACKNOWLEDGEMENT_MIDDLEWARE = "policies.middleware.PolicyAcknowledgementMiddleware"


@pytest.fixture(autouse=True)
def _acknowledgements_asked_and_files_kept_apart(settings, tmp_path):
    # The middleware as settings will have it (after the staff agreement's), and uploads kept out of the project.
    if ACKNOWLEDGEMENT_MIDDLEWARE not in settings.MIDDLEWARE:
        middleware = list(settings.MIDDLEWARE)
        middleware.insert(middleware.index("consents.middleware.StaffAgreementMiddleware") + 1, ACKNOWLEDGEMENT_MIDDLEWARE)
        settings.MIDDLEWARE = middleware
    settings.MEDIA_ROOT = tmp_path / "media"


def page_of(response) -> str:
    """The page's text as a reader sees it: no tags, white space folded."""
    return " ".join(html.unescape(strip_tags(response.content.decode())).split())


def rows(response) -> list[str]:
    body = response.content.decode().split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    return [" ".join(html.unescape(strip_tags("<tr" + row)).split()) for row in body.split("<tr")[1:]]


def detail(policy):
    return reverse("policies:policy_detail", args=[policy.pk])


def version_url(name, version):
    return reverse(f"policies:{name}", args=[version.pk])


def make_policy(cast, title="Mobile phones and devices policy", *, kind=Kind.MOBILE_PHONES, owner=None, acknowledge=False):
    return services.policy_create(
        school=cast.a.school, actor=cast.a.users["lead"], title=title, kind=kind, owner=owner, staff_must_acknowledge=acknowledge
    )


def approve(cast, policy, label, approved_on, **extra):
    draft = services.policy_version_create(
        policy=policy, actor=cast.a.users["lead"], version=label, document=None, text=f"Text of {label}", changes=""
    )
    return services.policy_version_approve(
        version=draft,
        actor=cast.a.users["lead"],
        approved_by="Full governing body",
        approved_at_meeting="",
        approved_on=approved_on,
        **extra,
    )


# --- Adding and changing a policy ------------------------------------------------------------------------------------


def test_the_lead_adds_a_policy_and_is_sent_to_add_its_first_version(cast, login):
    client = login(cast.a.users["lead"])
    assert "TeacherA, Tutor" in client.get(NEW).content.decode()
    response = client.post(
        NEW,
        {
            "title": " Images  and video policy ",
            "kind": Kind.IMAGES,
            "owner": cast.a.staff_member.pk,
            "staff_must_acknowledge": "on",
        },
    )
    policy = Policy.objects.get(title="Images and video policy")
    assert response["Location"] == reverse("policies:version_new", args=[policy.pk])
    assert (policy.kind, policy.owner, policy.staff_must_acknowledge, policy.next_review_on) == (
        Kind.IMAGES,
        cast.a.staff_member,
        True,
        None,
    )
    assert policy.history.get().history_change_reason == "Added to the register"
    assert "Images and video policy is on the register. Add its first version." in page_of(client.get(response["Location"]))


def test_a_title_already_on_the_register_is_refused_and_what_was_typed_is_kept(cast, login):
    client = login(cast.a.users["head"])
    response = client.post(NEW, {"title": "ONLINE-SAFETY POLICY", "kind": Kind.OTHER, "owner": cast.a.staff_member.pk})
    assert response.status_code == 400
    page = page_of(response)
    assert "There is already a policy called “ONLINE-SAFETY POLICY”: choose another title." in page
    assert 'value="ONLINE-SAFETY POLICY"' in response.content.decode()
    assert f'<option value="{cast.a.staff_member.pk}" selected>' in response.content.decode()
    assert Policy.objects.count() == 1


def test_the_owner_is_a_member_of_staff_in_post(cast, login):
    leaver = f.make_staff(cast.a.school, "Gone", "Away", mis_id="GA1", leaving_date=date(2020, 7, 31))
    client = login(cast.a.users["lead"])
    assert "Away, Gone" not in client.get(NEW).content.decode()
    response = client.post(NEW, {"title": "Images policy", "kind": Kind.IMAGES, "owner": leaver.pk})
    assert response.status_code == 400
    assert "Select a valid choice." in page_of(response)


def test_the_lead_changes_the_details_and_moves_the_review(cast, login):
    policy = cast.a.policy
    client = login(cast.a.users["lead"])
    edit = reverse("policies:policy_edit", args=[policy.pk])
    assert f'value="{policy.next_review_on.isoformat()}"' in client.get(edit).content.decode()
    moved = policy.next_review_on + timedelta(days=30)
    response = client.post(
        edit,
        {
            "title": "Online-safety policy",
            "kind": Kind.ONLINE_SAFETY,
            "owner": cast.a.staff_member.pk,
            "next_review_on": moved.isoformat(),
        },
        follow=True,
    )
    assert "The policy has been changed." in page_of(response)
    policy.refresh_from_db()
    assert (policy.owner, policy.staff_must_acknowledge, policy.next_review_on) == (cast.a.staff_member, False, moved)
    entry = history_for(policy)[0]
    assert entry.reason == "Details changed" and entry.who == "Lead A"
    assert {change.label for change in entry.changes} == {"Owner", "Staff must read and acknowledge it", "Next review due"}


def test_the_review_is_not_moved_before_the_approval_of_the_version_in_force(cast, login):
    policy = cast.a.policy
    client = login(cast.a.users["lead"])
    data = {"title": "Online-safety policy", "kind": Kind.ONLINE_SAFETY, "staff_must_acknowledge": "on"}
    response = client.post(reverse("policies:policy_edit", args=[policy.pk]), {**data, "next_review_on": "2001-01-01"})
    assert response.status_code == 400
    assert "The review is due after the version in force was approved" in page_of(response)
    response = client.post(reverse("policies:policy_edit", args=[policy.pk]), data)
    assert "Give the date the next review is due." in page_of(response)
    before = policy.next_review_on
    policy.refresh_from_db()
    assert policy.next_review_on == before


def test_a_policy_without_a_version_in_force_has_no_review_date_to_change(cast, login):
    policy = make_policy(cast)
    client = login(cast.a.users["lead"])
    assert 'name="next_review_on"' not in client.get(reverse("policies:policy_edit", args=[policy.pk])).content.decode()


def test_nothing_changed_says_so(cast, login):
    policy = cast.a.policy
    client = login(cast.a.users["lead"])
    data = {
        "title": policy.title,
        "kind": policy.kind,
        "staff_must_acknowledge": "on",
        "next_review_on": policy.next_review_on.isoformat(),
    }
    response = client.post(reverse("policies:policy_edit", args=[policy.pk]), data, follow=True)
    assert "Nothing was changed." in page_of(response)
    assert policy.history.count() == 2  # added, and its review set when version 1.0 was approved


# --- Versions ------------------------------------------------------------------------------------------------------


def test_a_new_version_is_a_draft_with_its_text(cast, login):
    client = login(cast.a.users["lead"])
    response = client.post(
        reverse("policies:version_new", args=[cast.a.policy.pk]),
        {"version": "2.0", "text": "New text on AI tools.", "changes": "Section on AI tools."},
    )
    draft = PolicyVersion.objects.get(policy=cast.a.policy, version="2.0")
    assert response["Location"] == version_url("version_detail", draft)
    assert (draft.status, draft.text, draft.changes, draft.created_by) == (
        Status.DRAFT,
        "New text on AI tools.",
        "Section on AI tools.",
        cast.a.users["lead"],
    )
    assert draft.history.get().history_change_reason == "Drafted"
    page = page_of(client.get(response["Location"]))
    assert "Version 2.0 is saved as a draft." in page and "Record its approval" in page
    # The version in force stays in force.
    cast.a.policy_version.refresh_from_db()
    assert cast.a.policy_version.status == Status.APPROVED


def test_a_new_version_with_a_file_is_downloaded_by_those_who_may_read_it(cast, login):
    client = login(cast.a.users["lead"])
    upload = SimpleUploadedFile("Online Safety Policy 2026.pdf", b"%PDF-1.4 the policy", content_type="application/pdf")
    client.post(reverse("policies:version_new", args=[cast.a.policy.pk]), {"version": "2.0", "document": upload})
    draft = PolicyVersion.objects.get(version="2.0")
    assert draft.document.name.startswith("policies/Online_Safety_Policy_2026")
    response = client.get(version_url("version_document", draft))
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == b"%PDF-1.4 the policy"
    assert response["Content-Disposition"] == 'attachment; filename="online-safety-policy-version-2-0.pdf"'
    assert response["Content-Type"] == "application/pdf"
    assert "no-store" in response["Cache-Control"]
    # A draft is not the teacher's to read; once approved, it is, even while they are asked to acknowledge it.
    teacher = login(cast.a.users["teacher"])
    assert teacher.get(version_url("version_document", draft)).status_code == 404
    approve_draft(cast, draft)
    teacher.logout()
    teacher = login(cast.a.users["teacher"])
    assert teacher.get(version_url("version_detail", draft))["Location"].startswith(reverse("policies:policies_to_read"))
    assert teacher.get(version_url("version_document", draft)).status_code == 200


def approve_draft(cast, draft, approved_on=None):
    return services.policy_version_approve(
        version=draft,
        actor=cast.a.users["lead"],
        approved_by="Head teacher",
        approved_at_meeting="",
        approved_on=approved_on or timezone.localdate(),
    )


def test_a_version_needs_a_file_or_its_text(cast, login):
    client = login(cast.a.users["lead"])
    url = reverse("policies:version_new", args=[cast.a.policy.pk])
    response = client.post(url, {"version": "2.0", "changes": "A new section"})
    assert response.status_code == 400
    page = page_of(response)
    assert "Upload the document as a file, or write its text here." in page
    assert "A new section" in page
    response = client.post(url, {"version": "2.0", "document": SimpleUploadedFile("policy.exe", b"MZ")})
    assert "Upload a PDF, Word, OpenDocument, RTF or text file." in page_of(response)
    assert "choose the file again" in page_of(response)
    response = client.post(url, {"version": "1.0", "text": "Again"})
    assert "This policy already has a version 1.0: give the new one another number." in page_of(response)
    assert PolicyVersion.objects.filter(policy=cast.a.policy).count() == 1


def test_a_long_file_name_is_shortened(cast):
    upload = SimpleUploadedFile("x" * 150 + ".DOCX", b"PK")
    version = services.policy_version_create(
        policy=cast.a.policy, actor=cast.a.users["lead"], version="2.0", document=upload, text="", changes=""
    )
    assert version.document.name == "policies/" + "x" * 60 + ".docx"


def test_the_lead_approves_a_draft_and_the_version_before_is_superseded(cast, login):
    policy, before = cast.a.policy, cast.a.policy_version
    previous_review = policy.next_review_on
    draft = services.policy_version_create(
        policy=policy, actor=cast.a.users["lead"], version="2.0", document=None, text="New", changes=""
    )
    client = login(cast.a.users["lead"])
    url = version_url("version_approve", draft)
    page = page_of(client.get(url))
    assert "Leave it empty for 12 months after the approval" in page
    assert f"Once approved, version 2.0 is in force and version {before.version} is superseded." in page
    assert f'value="{timezone.localdate().isoformat()}"' in client.get(url).content.decode()
    approved_on = timezone.localdate() - timedelta(days=3)
    response = client.post(
        url,
        {
            "approved_by": "Full governing body",
            "approved_at_meeting": "Spring term meeting",
            "approved_on": approved_on.isoformat(),
        },
        follow=True,
    )
    page = page_of(response)
    expected_review = add_months(approved_on, 12)
    assert f"Version 2.0 is approved and in force; the next review is due on {expected_review:%d/%m/%Y}." in page
    assert "Staff will be asked to read and acknowledge it at their next login." in page
    draft.refresh_from_db()
    before.refresh_from_db()
    policy.refresh_from_db()
    assert (draft.status, draft.approved_by, draft.approved_at_meeting, draft.approved_on) == (
        Status.APPROVED,
        "Full governing body",
        "Spring term meeting",
        approved_on,
    )
    assert draft.review_due_on == previous_review
    assert before.status == Status.SUPERSEDED
    assert policy.next_review_on == expected_review
    assert draft.history.first().history_change_reason == "Approved"
    assert before.history.first().history_change_reason == "Superseded by version 2.0"
    assert history_for(policy)[0].reason == "Version 2.0 approved"


def test_the_next_review_follows_the_schools_review_period_or_the_date_given(cast):
    PolicySettings.objects.filter(school=cast.a.school).update(review_months=24)
    policy = make_policy(cast)
    approve(cast, policy, "1", date(2025, 1, 31))
    policy.refresh_from_db()
    assert policy.next_review_on == date(2027, 1, 31)
    version = approve(cast, policy, "2", date(2025, 3, 1), next_review_on=date(2025, 9, 1))
    policy.refresh_from_db()
    assert policy.next_review_on == date(2025, 9, 1)
    assert version.review_due_on == date(2027, 1, 31)


def test_an_approval_in_the_future_or_before_the_version_in_force_is_refused(cast, login):
    draft = services.policy_version_create(
        policy=cast.a.policy, actor=cast.a.users["lead"], version="2.0", document=None, text="New", changes=""
    )
    client = login(cast.a.users["head"])
    url = version_url("version_approve", draft)
    tomorrow = timezone.localdate() + timedelta(days=1)
    response = client.post(url, {"approved_by": "Head teacher", "approved_on": tomorrow.isoformat()})
    assert response.status_code == 400
    page = page_of(response)
    assert "This is in the future. Record the approval once it has been given." in page
    assert 'value="Head teacher"' in response.content.decode()
    long_ago = cast.a.policy_version.approved_on - timedelta(days=1)
    response = client.post(url, {"approved_by": "Head teacher", "approved_on": long_ago.isoformat()})
    assert "Version 1.0, in force now, was approved on" in page_of(response)
    response = client.post(
        url, {"approved_by": "Head teacher", "approved_on": timezone.localdate().isoformat(), "next_review_on": "2001-01-01"}
    )
    assert "The next review is due after the approval: give a later date." in page_of(response)
    response = client.post(url, {"approved_on": timezone.localdate().isoformat()})
    assert "Say who approved it." in page_of(response)
    draft.refresh_from_db()
    assert draft.status == Status.DRAFT


def test_a_version_approved_already_is_not_approved_again(cast, login):
    client = login(cast.a.users["lead"])
    response = client.get(version_url("version_approve", cast.a.policy_version), follow=True)
    assert "Version 1.0 is not a draft waiting for approval." in page_of(response)
    draft = services.policy_version_create(
        policy=cast.a.policy, actor=cast.a.users["lead"], version="2.0", document=None, text="New", changes=""
    )
    approve_draft(cast, draft)
    with pytest.raises(services.AlreadyDone, match="Version 2.0 was approved on"):
        approve_draft(cast, draft)


def test_a_draft_is_discarded_with_its_file(cast, login, settings, django_capture_on_commit_callbacks):
    upload = SimpleUploadedFile("draft.pdf", b"%PDF")
    draft = services.policy_version_create(
        policy=cast.a.policy, actor=cast.a.users["lead"], version="2.0", document=upload, text="", changes=""
    )
    stored = settings.MEDIA_ROOT / draft.document.name
    assert stored.exists()
    client = login(cast.a.users["lead"])
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(version_url("version_discard", draft), follow=True)
    assert "The draft version 2.0 has been discarded." in page_of(response)
    assert not PolicyVersion.objects.filter(pk=draft.pk).exists()
    assert not stored.exists()
    assert PolicyVersion.history.filter(id=draft.pk, history_type="-").get().history_change_reason == "Discarded"
    response = client.post(version_url("version_discard", cast.a.policy_version), follow=True)
    assert "Version 1.0 has been approved: only a draft can be discarded." in page_of(response)


def test_the_lead_retires_a_policy_and_staff_no_longer_see_it(cast, login):
    client = login(cast.a.users["lead"])
    response = client.post(
        reverse("policies:policy_retire", args=[cast.a.policy.pk]), {"retired_on": timezone.localdate().isoformat()}, follow=True
    )
    assert "Online-safety policy has been retired" in page_of(response)
    cast.a.policy.refresh_from_db()
    assert cast.a.policy.retired_on == timezone.localdate()
    assert history_for(cast.a.policy)[0].reason == "Retired"
    assert "Retired on" in page_of(client.get(LIST, {"status": "retired"}))
    assert "No policies match these filters." in page_of(client.get(LIST, {"q": "online"}))
    teacher = login(cast.a.users["teacher"])
    assert teacher.get(detail(cast.a.policy)).status_code == 404
    assert teacher.get(version_url("version_detail", cast.a.policy_version)).status_code == 404
    client = login(cast.a.users["lead"])
    # A retired policy gets no new version and is not changed.
    response = client.get(reverse("policies:version_new", args=[cast.a.policy.pk]), follow=True)
    assert "This policy has been retired: it has no new versions." in page_of(response)
    response = client.post(
        reverse("policies:policy_retire", args=[cast.a.policy.pk]), {"retired_on": timezone.localdate().isoformat()}, follow=True
    )
    assert "a retired policy is not changed" in page_of(response)


def test_a_policy_is_not_retired_on_a_day_to_come(cast, login):
    client = login(cast.a.users["lead"])
    tomorrow = timezone.localdate() + timedelta(days=1)
    response = client.post(
        reverse("policies:policy_retire", args=[cast.a.policy.pk]), {"retired_on": tomorrow.isoformat()}, follow=True
    )
    assert "This is in the future." in page_of(response)
    cast.a.policy.refresh_from_db()
    assert cast.a.policy.retired_on is None


# --- What each person sees -------------------------------------------------------------------------------------------


def test_staff_read_the_version_in_force_and_not_the_drafts(cast, login):
    draft_only = make_policy(cast, "Filtering and monitoring statement", kind=Kind.FILTERING)
    services.policy_version_create(
        policy=cast.a.policy, actor=cast.a.users["lead"], version="2.0", document=None, text="Secret draft", changes=""
    )
    client = login(cast.a.users["teacher"])
    page = page_of(client.get(LIST))
    assert "Online-safety policy" in page and "Filtering and monitoring statement" not in page
    assert "Next review" not in page and "Draft waiting" not in page
    page = page_of(client.get(detail(cast.a.policy)))
    assert "Pupils and staff use the school's systems safely and responsibly." in page
    assert "Secret draft" not in page and "Versions" not in page
    assert f"You read and acknowledged this version on {timezone.localdate():%-d %b %Y}" in page
    assert client.get(detail(draft_only)).status_code == 404
    lead = login(cast.a.users["lead"])
    page = page_of(lead.get(detail(cast.a.policy)))
    assert "Read and acknowledged by 2 of the 2 members of staff in post." in page
    assert "2.0 Draft" in page and "1.0 Approved, in force" in page
    assert "Created by Lead A" in page and "(Added to the register)" in page


def test_the_register_searches_filters_and_sorts(cast, login):
    overdue = make_policy(cast, "Mobile phones and devices policy", owner=cast.a.staff_member)
    approve(cast, overdue, "1.0", date(2020, 9, 1))
    make_policy(cast, "Images and video policy", kind=Kind.IMAGES)
    client = login(cast.a.users["lead"])
    assert [row.split(" ")[0] for row in rows(client.get(LIST))] == ["Images", "Mobile", "Online-safety"]
    assert [row.split(" ")[0] for row in rows(client.get(LIST, {"sort": "review"}))] == ["Mobile", "Online-safety", "Images"]
    only = rows(client.get(LIST, {"overdue": "on"}))
    assert len(only) == 1 and "Mobile phones" in only[0] and "Overdue" in only[0]
    assert [r.split(" ")[0] for r in rows(client.get(LIST, {"status": "not_approved"}))] == ["Images"]
    assert [r.split(" ")[0] for r in rows(client.get(LIST, {"kind": Kind.ONLINE_SAFETY}))] == ["Online-safety"]
    assert [r.split(" ")[0] for r in rows(client.get(LIST, {"q": "teacher"}))] == ["Mobile"]
    response = client.get(LIST, {"kind": "nonsense"})
    assert response.status_code == 400
    assert "Select a valid choice." in page_of(response)


def test_another_schools_policies_are_not_found(cast, login):
    with scope(school=cast.b.school):
        b_policy, b_version = cast.b.policy, cast.b.policy_version
    client = login(cast.a.users["lead"])
    assert client.get(detail(b_policy)).status_code == 404
    assert client.get(version_url("version_detail", b_version)).status_code == 404
    assert client.get(version_url("version_acknowledgements", b_version)).status_code == 404
    assert client.post(reverse("policies:policy_retire", args=[b_policy.pk]), {"retired_on": "2026-01-01"}).status_code == 404


# --- Queries ------------------------------------------------------------------------------------------------------


# Each page's shell, once the session's first page has made its checks: the session, the user, their memberships,
# the bell's unread count.
SHELL = 4


def _queries(client, url, data=None) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url, data or {}).status_code == 200
    return len(queries)


@pytest.mark.parametrize("role", ["lead", "teacher"])
def test_the_register_runs_the_same_queries_however_many_policies(cast, login, role, django_assert_num_queries):
    client = login(cast.a.users[role])
    _queries(client, LIST)  # warm: the session's checks are made on the first page
    few = _queries(client, LIST)
    # The count and the page.
    assert few == SHELL + 2
    for i in range(30):
        policy = make_policy(cast, f"Policy {i}", owner=cast.a.staff_member)
        approve(cast, policy, "1", date(2025, 1, 1))
        services.policy_version_create(
            policy=policy, actor=cast.a.users["lead"], version="2", document=None, text="Next", changes=""
        )
    with django_assert_num_queries(few):
        assert "Policy 9" in client.get(LIST, {"sort": "owner"}).content.decode()


@pytest.mark.parametrize("role", ["lead", "teacher"])
def test_a_policys_page_runs_the_same_queries_however_many_versions(cast, login, role, django_assert_num_queries):
    policy = cast.a.policy
    services.policy_update(
        policy=policy,
        actor=cast.a.users["lead"],
        title=policy.title,
        kind=policy.kind,
        owner=cast.a.staff_member,
        staff_must_acknowledge=True,
    )
    client = login(cast.a.users[role])
    url = detail(policy)
    _queries(client, url)
    few = _queries(client, url)
    # The policy, its versions, the history and the owners' names in it; the acknowledgements counted (the lead), or
    # the reader's own (staff).
    assert few == SHELL + 5
    with time_machine.travel(timezone.now() + timedelta(days=1)):
        for i in range(8):
            approve(cast, policy, f"{i + 2}.0", timezone.localdate())
            services.policy_update(
                policy=policy,
                actor=cast.a.users["lead"],
                title=policy.title,
                kind=policy.kind,
                owner=cast.a.staff_member if i % 2 else None,
                staff_must_acknowledge=False,
                next_review_on=None,
            )
    with django_assert_num_queries(few):
        assert "9.0" in client.get(url).content.decode()


def test_a_versions_pages_run_a_fixed_number_of_queries(cast, login, django_assert_num_queries):
    client = login(cast.a.users["lead"])
    url = version_url("version_detail", cast.a.policy_version)
    ack_url = version_url("version_acknowledgements", cast.a.policy_version)
    _queries(client, url)
    few, ack_few = _queries(client, url), _queries(client, ack_url)
    assert (few, ack_few) == (SHELL + 3, SHELL + 2)  # version, history, counts; version, staff
    for i in range(20):
        member = f.make_staff(cast.a.school, f"S{i}", "Staff", mis_id=f"S{i}")
        if i % 2:
            services.policy_acknowledge(version=cast.a.policy_version, staff_member=member, actor=cast.a.users["lead"])
    with django_assert_num_queries(few):
        assert "Read and acknowledged by 12 of the 22" in page_of(client.get(url))
    with django_assert_num_queries(ack_few):
        client.get(ack_url)
