"""Access rules of the filtering reviews URLs (tests/filtering/access_rows.py)."""

from filtering.models import AnnualReview
from tests.access_rules import Row

# Those who keep the logs under review and write the yearly review.
REVIEWERS = frozenset({"dsl", "head", "it", "lead"})
# ... and the governors, who read the signed yearly reviews.
READERS = REVIEWERS | {"governor"}


def _log_review(cast):
    return {"review_id": cast.a.log_review.pk}


def _annual_review(cast):
    return {"review_id": cast.a.annual_review.pk}


def _back_to_draft(cast):
    AnnualReview.objects.filter(pk=cast.a.annual_review.pk).update(
        status=AnnualReview.Status.DRAFT, signed_by=None, signed_at=None
    )


ROWS = {
    "filtering:log_review_list": Row(REVIEWERS),
    "filtering:log_review_new": Row(REVIEWERS),
    "filtering:log_review_detail": Row(REVIEWERS, kwargs=_log_review, record_of_a=True),
    "filtering:annual_review_list": Row(READERS),
    # The cast's review is last year's: this year's is still to start.
    "filtering:annual_review_new": Row(REVIEWERS),
    "filtering:annual_review_detail": Row(READERS, kwargs=_annual_review, record_of_a=True),
    "filtering:annual_review_sign": Row(
        REVIEWERS, kwargs=_annual_review, method="post", ok=302, record_of_a=True, reset=_back_to_draft
    ),
    "filtering:annual_review_pdf": Row(READERS, kwargs=_annual_review, record_of_a=True),
}
