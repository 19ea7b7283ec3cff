"""
Web filtering records of school A over 2023/24 and 2024/25 for the filtering section of the governors' report.

The clock stands at 15 October 2025 (2025/26): the cast's own request, site report, change and review of the logs
are of 2025/26; its yearly review (signed off on 15 September 2025) is that of 2024/25. The school reviews its
logs every half-term and asks for 3 school days' notice; it entered its own term dates for 2024/25 (half-terms
ending 25 October, 20 December, 14 February, 4 April, 23 May and 22 July), and 2023/24 follows the usual pattern.
"""

from datetime import date, datetime
from zoneinfo import ZoneInfo

from filtering.models import AnnualReview, AnnualReviewAction, FilterChange, FilterExceptionRequest, LogReview, SiteReport
from tests.filtering.cast_reviews import make_change, make_report, make_request
from tests.reports.figures_data_incidents import enter_term_dates_2024

LONDON = ZoneInfo("Europe/London")
Status = FilterExceptionRequest.Status
Report = SiteReport.Status
Agreement = FilterChange.Agreement

SECRET_WORDS = [
    "Lesson number",  # the requests' purposes
    "site-12.example.com",  # a reported site
    "Adult content",  # what was seen
    "Blocked the proxy",  # a change's description (make_change: "Blocked <what>")
    "Mr Fenwick",  # a name in the yearly review's findings
    "Ask Ms Dorrit",  # an action of the yearly review
    "Every request had a lesson behind it",  # the findings of a review of the logs
]


def at(y, m, d, hour=9, minute=0) -> datetime:
    return datetime(y, m, d, hour, minute, tzinfo=LONDON)


def review_of_the_logs(cast, signed: datetime, due: date | None) -> LogReview:
    return LogReview.objects.create(
        school=cast.a.school,
        covers_to=signed,
        findings="Every request had a lesson behind it.",
        reviewed_by=cast.a.users["dsl"],
        signed_at=signed,
        was_due_on=due,
    )


def make_years_of_filtering(cast) -> None:
    enter_term_dates_2024(cast)

    # Requests to open sites. 2024/25: decided in 24, 2, 0.5, 72 and 6 hours (median 6 hours); two asked late.
    make_request(
        cast,
        101,
        created=at(2024, 9, 10),
        status=Status.REMOVED,
        head_decided_at=at(2024, 9, 10, 12),
        it_decided_at=at(2024, 9, 11),
    )
    make_request(cast, 102, created=at(2024, 10, 1), status=Status.ACTIVE, it_decided_at=at(2024, 10, 1, 11), is_late=True)
    make_request(
        cast, 103, created=at(2024, 11, 5), status=Status.HEAD_DECLINED, head_decided_at=at(2024, 11, 5, 9, 30), is_late=True
    )
    make_request(
        cast,
        104,
        created=at(2025, 1, 10),
        status=Status.IT_DECLINED,
        head_decided_at=at(2025, 1, 10, 10),
        it_decided_at=at(2025, 1, 13),
    )
    make_request(cast, 105, created=at(2025, 3, 1), status=Status.WITHDRAWN)
    make_request(cast, 106, created=at(2025, 5, 1), status=Status.REVOKED, it_decided_at=at(2025, 5, 1, 15))
    make_request(cast, 107, created=at(2025, 8, 31, 23), status=Status.SUBMITTED)
    # 2023/24: one decided in 24 hours, asked late; one waiting for IT.
    make_request(cast, 108, created=at(2024, 6, 3), status=Status.EXPIRED, it_decided_at=at(2024, 6, 4), is_late=True)
    make_request(cast, 109, created=at(2023, 9, 5), status=Status.HEAD_APPROVED, head_decided_at=at(2023, 9, 5, 10))

    # Sites reported. 2024/25: six; 2023/24: one (the one just after midnight on 1 September 2024 is 2024/25's).
    for number, when, status in [
        (11, at(2024, 9, 1, 0, 10), Report.BLOCKED),
        (12, at(2024, 10, 20), Report.BLOCKED),
        (13, at(2025, 2, 1), Report.TO_BLOCK),
        (14, at(2025, 3, 1), Report.ESCALATED),
        (15, at(2025, 6, 1), Report.NO_ACTION),
        (16, at(2025, 8, 31, 23, 30), Report.NEW),
        (17, at(2024, 1, 15), Report.NO_ACTION),
    ]:
        make_report(cast, number, reported=when, status=status)

    # Changes made to the filter. 2024/25: agreed before, an emergency agreed after, two not yet agreed; 2023/24: one.
    make_change(cast, "the proxy", made=at(2024, 9, 15), agreed=at(2024, 9, 15, 10))
    make_change(cast, "a chat site", made=at(2024, 12, 1), agreement=Agreement.EMERGENCY, agreed=at(2024, 12, 2))
    make_change(cast, "a game", made=at(2025, 4, 1))
    make_change(cast, "a forum", made=at(2025, 4, 2), agreement=Agreement.EMERGENCY)
    make_change(cast, "a video site", made=at(2024, 2, 1), agreed=at(2024, 2, 2))

    # Reviews of the logs, the first ever on 1 February 2024 (so 2023/24 had four due: Spring 1 to Summer 2).
    review_of_the_logs(cast, at(2024, 2, 1), None)
    review_of_the_logs(cast, at(2024, 6, 10), date(2024, 5, 24))  # late
    # 2024/25: six due, three on time, two late (one signed half an hour after midnight after the day it was due).
    review_of_the_logs(cast, at(2024, 10, 26, 0, 30), date(2024, 10, 25))
    review_of_the_logs(cast, at(2024, 12, 18), date(2024, 12, 20))
    review_of_the_logs(cast, at(2025, 2, 14, 16), date(2025, 2, 14))
    review_of_the_logs(cast, at(2025, 4, 10), date(2025, 4, 4))
    review_of_the_logs(cast, at(2025, 7, 20), date(2025, 7, 22))

    # The yearly reviews: 2024/25's is the cast's, signed off, with five actions; 2023/24's was left a draft.
    review = cast.a.annual_review
    AnnualReview.objects.filter(pk=review.pk).update(findings="Mr Fenwick's laptop was on the staff profile.")
    for text, due, done in [
        ("Check the guest profile", date(2025, 9, 30), date(2025, 9, 20)),
        ("Ask Ms Dorrit about the tablets", date(2025, 9, 30), date(2025, 10, 2)),
        ("Test the filter on the new laptops", date(2025, 10, 1), None),
        ("Train the new staff", date(2025, 11, 30), None),
        ("Write the monitoring procedure", date(2025, 10, 15), None),
    ]:
        AnnualReviewAction.objects.create(review=review, text=text, owner="Network manager", due_on=due, done_on=done)
    AnnualReview.objects.create(
        school=cast.a.school,
        start_year=2023,
        status=AnnualReview.Status.DRAFT,
        next_review_on=date(2024, 7, 1),
        created_by=cast.a.users["lead"],
    )
