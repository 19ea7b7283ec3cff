"""The policies and staff training sections of the governors' report."""

from datetime import date

import pytest

from policies.models import Policy, PolicyAcknowledgement, PolicySettings, PolicyVersion, TrainingRecord
from reports.figures import policies
from reports.figures.base import Count, Measure, Text, section_builders
from tests import factories as f
from tests.reports.figures_data_school import DURING_THE_YEAR, at, figure_school


@pytest.fixture
def school(cast, time_machine):
    yield from figure_school(time_machine)


K = Policy.Kind
T = TrainingRecord.Kind
APPROVED, SUPERSEDED, DRAFT = PolicyVersion.Status.APPROVED, PolicyVersion.Status.SUPERSEDED, PolicyVersion.Status.DRAFT


def _staff(school, name, start=None, leaving=None, prefix=""):
    return f.make_staff(school.school, name, "Zebedee", mis_id=prefix + name, start_date=start, leaving_date=leaving)


def _policy(school, title, kind, versions, *, next_review_on=None, retired_on=None, acknowledge=False):
    """`versions`: (label, status, approved on, review it answered)."""
    policy = Policy.objects.create(
        school=school.school,
        title=title,
        kind=kind,
        next_review_on=next_review_on,
        retired_on=retired_on,
        staff_must_acknowledge=acknowledge,
    )
    made = {}
    for label, status, approved_on, review_due_on in versions:
        made[label] = PolicyVersion.objects.create(
            policy=policy,
            version=label,
            status=status,
            approved_on=approved_on,
            review_due_on=review_due_on,
            created_by=school.user,
            text="The policy.",
        )
    return made


def _acknowledge(version, staff, on):
    acknowledgement = PolicyAcknowledgement.objects.create(version=version, staff_member=staff)
    PolicyAcknowledgement.objects.filter(pk=acknowledgement.pk).update(acknowledged_at=at(on, 10))


def _documents(school):
    """
    Reviews are due 12 months after approval. At 31 August 2026:
    - Online safety (acknowledged): approved 1 Mar 2024, reviewed on time 20 Feb 2025 (due 1 Mar 2025), reviewed late
      15 Mar 2026 (due 20 Feb 2026).
    - Online safety for parents: first approved 1 Nov 2025.
    - Mobile phones: approved 1 Jun 2024; its review due 1 Jun 2025 was done only on 20 Sep 2026, after the year.
    - Images: first approved 1 Oct 2025.
    - Filtering: approved 10 Jan 2024, review due 10 Jan 2025 never done, retired 31 Jan 2026.
    - Safeguarding: approved 1 May 2025, review due 1 May 2026 not done.
    - Staff agreement: a draft only.
    - Pupil agreement: approved 1 Dec 2024, reviewed on time 20 Nov 2025.
    - Remote learning (another kind, acknowledged): approved 1 Dec 2025.
    Staff in post at 31 August 2026: S1, S2, S3, S6, S7. S4 left in July; S5 starts in September.
    """
    staff = {
        "S1": _staff(school, "S1"),
        "S2": _staff(school, "S2", start=date(2020, 9, 1)),
        "S3": _staff(school, "S3", start=date(2026, 1, 5)),
        "S4": _staff(school, "S4", leaving=date(2026, 7, 31)),
        "S5": _staff(school, "S5", start=date(2026, 9, 1)),
        "S6": _staff(school, "S6", start=date(2025, 10, 1)),
        "S7": _staff(school, "S7"),
    }
    online = _policy(
        school,
        "Online safety",
        K.ONLINE_SAFETY,
        [
            ("1", SUPERSEDED, date(2024, 3, 1), None),
            ("2", SUPERSEDED, date(2025, 2, 20), date(2025, 3, 1)),
            ("3", APPROVED, date(2026, 3, 15), date(2026, 2, 20)),
        ],
        next_review_on=date(2027, 3, 15),
        acknowledge=True,
    )
    _policy(
        school,
        "Online safety for parents",
        K.ONLINE_SAFETY,
        [("1", APPROVED, date(2025, 11, 1), None)],
        next_review_on=date(2026, 11, 1),
    )
    _policy(
        school,
        "Mobile phones",
        K.MOBILE_PHONES,
        [("1", SUPERSEDED, date(2024, 6, 1), None), ("2", APPROVED, date(2026, 9, 20), date(2025, 6, 1))],
        next_review_on=date(2027, 9, 20),
    )
    _policy(school, "Images", K.IMAGES, [("1", APPROVED, date(2025, 10, 1), None)], next_review_on=date(2026, 10, 1))
    _policy(
        school,
        "Filtering",
        K.FILTERING,
        [("1", APPROVED, date(2024, 1, 10), None)],
        next_review_on=date(2025, 1, 10),
        retired_on=date(2026, 1, 31),
    )
    _policy(
        school,
        "Safeguarding",
        K.SAFEGUARDING,
        [("1", APPROVED, date(2025, 5, 1), None)],
        next_review_on=date(2026, 5, 1),
        acknowledge=True,
    )
    _policy(school, "Staff agreement", K.STAFF_AUP, [("1", DRAFT, None, None)], acknowledge=True)
    _policy(
        school,
        "Pupil agreement",
        K.PUPIL_AUP,
        [("1", SUPERSEDED, date(2024, 12, 1), None), ("2", APPROVED, date(2025, 11, 20), date(2025, 12, 1))],
        next_review_on=date(2026, 11, 20),
    )
    remote = _policy(
        school,
        "Remote learning",
        K.OTHER,
        [("1", APPROVED, date(2025, 12, 1), None)],
        next_review_on=date(2026, 12, 1),
        acknowledge=True,
    )
    for name in ("S1", "S2", "S4"):
        _acknowledge(online["3"], staff[name], date(2026, 3, 20))
    _acknowledge(online["3"], staff["S3"], date(2026, 9, 10))
    for name in ("S1", "S2", "S3", "S6", "S7"):
        _acknowledge(remote["1"], staff[name], date(2026, 1, 10))


def _tables(section):
    return {table.key: table for table in section.tables}


def _rows(table):
    return {row.label: row.cells for row in table.rows}


def _counts(*values):
    return [Count(v) for v in values]


def _share(text, base, number):
    # `part`, the staff counted, follows from the share of the base.
    return Measure(text, base, "none", pytest.approx(number) if base else None, round(number * base / 100) if base else None)


def test_the_sections_are_registered_in_order():
    builders = section_builders()
    assert builders.index(policies.build) + 1 == builders.index(policies.build_training)


def test_documents_in_use_and_reviews_overdue_at_the_end_of_each_year(school):
    _documents(school)
    section = policies.build(school.context())
    assert (section.key, section.title) == ("policies", "Policies")
    assert [t.key for t in section.tables] == ["summary", "reviews", "by_kind", "acknowledgements"]
    summary = _tables(section)["summary"]
    assert summary.columns == ["2025/26", "2024/25"]
    assert _rows(summary) == {
        "In use (an approved version in force)": _counts(7, 5),
        "With a review overdue": _counts(2, 2),
    }


def test_reviews_due_in_the_year_on_time_late_or_not_done(school):
    _documents(school)
    table = _tables(policies.build(school.context()))["reviews"]
    assert [(row.label, row.total) for row in table.rows] == [
        ("Reviewed on time", False),
        ("Reviewed late", False),
        ("Not reviewed by the end of the year", False),
        ("Not yet due (the year is not over)", False),
        ("Reviews due in the year", True),
    ]
    assert [row.cells for row in table.rows] == [_counts(1, 1), _counts(1, 0), _counts(1, 2), _counts(0, 0), _counts(3, 3)]
    assert table.chart == "bar"


def test_during_the_year_reviews_due_later_are_not_yet_overdue(school, time_machine):
    _documents(school)
    time_machine.move_to(DURING_THE_YEAR, tick=False)
    tables = _tables(policies.build(school.context()))
    # On 10 March 2026: the online-safety review due on 20 February is overdue, safeguarding's (1 May) is not yet due;
    # the pupil agreement was reviewed on time. Filtering was retired in January.
    assert [row.cells[0] for row in tables["reviews"].rows] == _counts(1, 0, 1, 1, 3)
    # In use: online safety, for parents, mobile phones, images, safeguarding, pupil agreement, remote learning.
    assert _rows(tables["summary"])["In use (an approved version in force)"][0] == Count(7)
    # Overdue: online safety (due 20 Feb), mobile phones (due 1 Jun 2025).
    assert _rows(tables["summary"])["With a review overdue"][0] == Count(2)


def test_each_kind_of_document_with_its_state_and_dates(school):
    _documents(school)
    table = _tables(policies.build(school.context()))["by_kind"]
    assert table.columns == ["State", "Last approved", "Next review due"]
    assert [(row.label, [cell.text for cell in row.cells]) for row in table.rows] == [
        ("Online-safety (e-safety) policy: Online safety", ["Up to date", "15/03/2026", "15/03/2027"]),
        ("Online-safety (e-safety) policy: Online safety for parents", ["Up to date", "01/11/2025", "01/11/2026"]),
        ("Staff acceptable-use agreement", ["Not yet approved", "never", "not set"]),
        ("Pupil acceptable-use agreement", ["Up to date", "20/11/2025", "20/11/2026"]),
        ("Visitor and community-user agreement", ["None recorded", "never", "not set"]),
        ("Mobile phones and devices policy", ["Review overdue", "01/06/2024", "01/06/2025"]),
        ("Images and video policy", ["Up to date", "01/10/2025", "01/10/2026"]),
        ("Filtering and monitoring", ["None recorded", "never", "not set"]),
        ("Safeguarding and child protection policy", ["Review overdue", "01/05/2025", "01/05/2026"]),
        ("Remote learning", ["Up to date", "01/12/2025", "01/12/2026"]),
    ]
    assert all(isinstance(cell, Text) for row in table.rows for cell in row.cells)


def test_acknowledgements_are_shares_of_the_staff_in_post(school):
    _documents(school)
    table = _tables(policies.build(school.context()))["acknowledgements"]
    assert table.columns == ["Approved on", "Staff in post who acknowledged it"]
    # S4 has left and S3 acknowledged only after the year: two of the five in post.
    assert [(row.label, row.cells) for row in table.rows] == [
        ("Remote learning, version 1", [Text("01/12/2025"), _share("100%", 5, 100)]),
        ("Online safety, version 3", [Text("15/03/2026"), _share("40%", 5, 40)]),
    ]


def test_no_version_to_acknowledge_leaves_the_table_empty_with_a_note(school):
    table = _tables(policies.build(school.context()))["acknowledgements"]
    assert table.rows == []
    assert table.note == "No version approved in the year asked staff to acknowledge it."


def _training(school):
    """
    Refresher training every 12 months; induction within 30 days of starting. At 31 August 2026 in post: S1, S2, S3,
    S6, S7 and the new S8, S9, S10; at 31 August 2025: S1, S2, S4, S7.
    """

    def member(name, start=None, leaving=None):
        return _staff(school, name, start, leaving, prefix="T")

    staff = {
        "S1": member("S1"),
        "S2": member("S2", start=date(2020, 9, 1)),
        "S3": member("S3", start=date(2026, 1, 5)),
        "S4": member("S4", leaving=date(2026, 7, 31)),
        "S5": member("S5", start=date(2026, 9, 1)),
        "S6": member("S6", start=date(2025, 10, 1)),
        "S7": member("S7"),
        "S8": member("S8", start=date(2026, 6, 1)),
        "S9": member("S9", start=date(2026, 8, 15)),
        "S10": member("S10", start=date(2026, 7, 20)),
        "S11": member("S11", start=date(2025, 3, 1), leaving=date(2025, 7, 1)),
    }

    def course(name, kind, completed_on, expires_on=None):
        TrainingRecord.objects.create(
            school=school.school,
            staff_member=staff[name],
            kind=kind,
            course="A course",
            completed_on=completed_on,
            expires_on=expires_on,
            recorded_by=school.user,
        )

    course("S1", T.ONLINE_SAFETY, date(2024, 9, 1))
    course("S1", T.ONLINE_SAFETY, date(2025, 9, 15))
    # Due again on 31 August 2026: in date at the end of 2024/25, not at the end of 2025/26.
    course("S1", T.SAFEGUARDING, date(2025, 8, 31))
    course("S2", T.SAFEGUARDING, date(2024, 1, 10), expires_on=date(2027, 1, 1))
    course("S2", T.ONLINE_SAFETY, date(2024, 9, 1), expires_on=date(2025, 6, 30))
    course("S3", T.INDUCTION, date(2026, 1, 20))
    course("S6", T.INDUCTION, date(2025, 11, 15))
    course("S7", T.DSL, date(2026, 2, 1))
    course("S4", T.ONLINE_SAFETY, date(2026, 1, 1))
    course("S10", T.INDUCTION, date(2026, 9, 1))
    course("S11", T.INDUCTION, date(2025, 3, 31))
    return staff


def test_staff_in_post_with_training_in_date(school):
    _training(school)
    section = policies.build_training(school.context())
    assert (section.key, section.title) == ("training", "Staff training")
    assert [t.key for t in section.tables] == ["staff_trained", "staff_trained_share", "induction", "courses"]
    tables = _tables(section)
    assert _rows(tables["staff_trained"]) == {
        "In post": _counts(8, 4),
        "With online-safety training in date": _counts(3, 1),
        "With safeguarding training in date": _counts(4, 2),
    }
    assert _rows(tables["staff_trained_share"]) == {
        "Online safety": [_share("38%", 8, 37.5), _share("25%", 4, 25)],
        "Safeguarding and child protection": [_share("50%", 8, 50), _share("50%", 4, 50)],
    }
    assert tables["staff_trained_share"].chart == "bar"


def test_new_staff_and_their_induction(school):
    _training(school)
    table = _tables(policies.build_training(school.context()))["induction"]
    assert table.caption == "New staff and their induction within 30 days of starting"
    assert [(row.label, row.total) for row in table.rows] == [
        ("Induction completed within 30 days", False),
        ("Induction completed later", False),
        ("Induction not completed, and overdue", False),
        ("Induction not yet due", False),
        ("Started in the year", True),
    ]
    # 2025/26: S3 in time, S6 late, S8 and S10 (done only in September) overdue, S9 not yet due.
    # 2024/25: S11, on the 30th day.
    assert [row.cells for row in table.rows] == [_counts(1, 1), _counts(1, 0), _counts(2, 0), _counts(1, 0), _counts(5, 1)]


def test_a_longer_induction_period_puts_more_in_time(school):
    _training(school)
    PolicySettings.objects.filter(school=school.school).update(induction_days=60)
    table = _tables(policies.build_training(school.context()))["induction"]
    # S6 (45 days) is now in time; S10's deadline (18 September) is after the year.
    assert [row.cells[0] for row in table.rows] == _counts(2, 0, 1, 2, 5)


def test_courses_completed_in_the_year_by_kind(school):
    _training(school)
    table = _tables(policies.build_training(school.context()))["courses"]
    assert table.chart == "bar"
    assert [(row.label, row.cells, row.total) for row in table.rows] == [
        ("Induction (e-safety and safeguarding)", _counts(2, 1), False),
        ("Online safety", _counts(2, 2), False),
        ("Safeguarding and child protection", _counts(0, 1), False),
        ("Designated safeguarding lead", _counts(1, 0), False),
        ("Prevent duty", _counts(0, 0), False),
        ("Filtering and monitoring", _counts(0, 0), False),
        ("Other", _counts(0, 0), False),
        ("All courses", _counts(5, 4), True),
    ]


def test_no_name_or_course_title_is_shown(school):
    _documents(school)
    _training(school)
    ctx = school.context()
    for section in (policies.build(ctx), policies.build_training(ctx)):
        words = " ".join(
            [section.intro]
            + [t.caption + t.note + " ".join(t.columns) for t in section.tables]
            + [row.label for t in section.tables for row in t.rows]
            + [c.text for t in section.tables for row in t.rows for c in row.cells if isinstance(c, Text | Measure)]
        )
        assert "Zebedee" not in words and "A course" not in words and "The policy." not in words


def _years_of_data(school, years: int) -> None:
    for n in range(years):
        start = 2025 - n
        member = _staff(school, f"Y{n}", start=date(start, 10, 1))
        versions = _policy(
            school,
            f"Policy {n}",
            K.OTHER,
            [("1", APPROVED, date(start, 10, 5), date(start, 10, 1))],
            next_review_on=date(start + 1, 10, 5),
            acknowledge=True,
        )
        _acknowledge(versions["1"], member, date(start, 10, 6))
        TrainingRecord.objects.create(
            school=school.school, staff_member=member, kind=T.INDUCTION, course="A course", completed_on=date(start, 10, 20)
        )


@pytest.mark.parametrize("years", [1, 3])
def test_the_sections_cost_the_same_queries_however_many_years_of_data(school, years, django_assert_num_queries):
    _years_of_data(school, years)
    ctx = school.context()
    # The documents, their approvals, the staff in post, and the versions to acknowledge with their counts.
    with django_assert_num_queries(4):
        policies.build(ctx)
    # The settings, then one grouped query each: training in date, induction, courses.
    with django_assert_num_queries(4):
        policies.build_training(ctx)
