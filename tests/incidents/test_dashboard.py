"""
The DSL's triage dashboard: the queues in their order, acting on an incident
from its row and coming back, the trends and the home-page panels, and what
each handler may see there.
"""

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse
from django.utils import timezone

from esafety.models import AcademicYear, SchoolTerm
from esafety.terms import TermDates, term_dates_save
from incidents import services
from incidents.models import Incident, IncidentAction, IncidentEvent, IncidentSettings
from tests import factories as f
from tests.incidents.incident_factory import Part, log_incident, reload

Severity, Status = Incident.Severity, Incident.Status
DASHBOARD = "/incidents/"
TRENDS = "/incidents/trends/"  # fetched by the dashboard once its queues are shown; a page of its own without scripts
Term = SchoolTerm.Name


def queue(response, key):
    return [i.reference for i in next(q for q in response.context["queues"] if q.key == key).incidents]


def section(html: str, heading_id: str) -> str:
    """The HTML of one section of the page, from its heading to the next section."""
    start = html.index(f'id="{heading_id}"')
    end = html.find("<section", start)
    return html[start : end if end != -1 else len(html)]


def test_new_and_unassigned_come_first_the_most_serious_then_the_oldest(cast, login):
    dsl = cast.a.users["dsl"]
    now = timezone.now()
    old_low = log_incident(cast.a, severity=Severity.LOW, when=now - timedelta(days=9))
    new_immediate = log_incident(cast.a, severity=Severity.IMMEDIATE, when=now - timedelta(hours=1))
    old_medium = log_incident(cast.a, severity=Severity.MEDIUM, when=now - timedelta(days=5))
    recent_medium = log_incident(cast.a, severity=Severity.MEDIUM, when=now - timedelta(hours=3))
    assigned_high = log_incident(cast.a, severity=Severity.HIGH, when=now - timedelta(days=2))
    assigned_immediate = log_incident(cast.a, severity=Severity.IMMEDIATE, when=now - timedelta(hours=5))
    assigned_old_high = log_incident(cast.a, severity=Severity.HIGH, when=now - timedelta(days=20))
    for incident in (assigned_high, assigned_immediate, assigned_old_high):
        services.incident_assign(incident=incident, assignee=dsl, actor=dsl)
    waiting = log_incident(cast.a)
    services.incident_set_agency(incident=waiting, actor=dsl, agency="Police", reference="P-77", waiting=True)
    closed = log_incident(cast.a)
    services.incident_close(incident=closed, actor=dsl, outcome="Apology given")

    response = login(dsl).get(DASHBOARD)

    assert response.status_code == 200
    # The cast's own: its ordinary incident (unassigned, medium, yesterday) and its restricted one (high).
    cast_medium, cast_high = cast.a.incident.reference, cast.a.restricted.reference
    assert queue(response, "new") == [
        new_immediate.reference,
        cast_high,
        old_medium.reference,
        cast_medium,
        recent_medium.reference,
        old_low.reference,
    ]
    assert queue(response, "open") == [assigned_immediate.reference, assigned_old_high.reference, assigned_high.reference]
    assert queue(response, "waiting") == [waiting.reference]
    assert queue(response, "closed") == [closed.reference]
    html = response.content.decode()
    # On the page, in that order: new and unassigned, open, overdue tasks, waiting, recently closed.
    positions = [html.index(f'id="{key}"') for key in ("new", "open", "overdue", "waiting", "closed", "trends")]
    assert positions == sorted(positions)
    new_html = section(html, "queue-new")
    assert new_html.index(new_immediate.reference) < new_html.index(old_medium.reference) < new_html.index(old_low.reference)
    assert "Waiting on Police (ref. P-77)" in section(html, "queue-waiting")
    # The allegations about staff and about the head are not the DSL's.
    assert cast.a.staff_incident.reference not in html
    assert cast.a.head_incident.reference not in html


def test_each_handler_sees_only_their_audience_in_the_queues(cast, login, client):
    seen = {}
    for who in ("dsl", "head", "chair"):
        client.force_login(cast.a.users[who])
        response = client.get(DASHBOARD)
        assert response.status_code == 200
        seen[who] = set(queue(response, "new"))
    a = cast.a
    assert seen["dsl"] == {a.incident.reference, a.restricted.reference}
    assert seen["head"] == {a.incident.reference, a.restricted.reference, a.staff_incident.reference}
    assert seen["chair"] == {a.head_incident.reference}
    assert login(a.users["teacher"]).get(DASHBOARD).status_code == 403


def test_a_handler_assigns_triages_notes_closes_and_reopens_from_the_dashboard(cast, login):
    dsl, head = cast.a.users["dsl"], cast.a.users["head"]
    client = login(dsl)
    incident = cast.a.restricted
    page = client.get(DASHBOARD).content.decode()
    row = page[page.index(f'id="row-{incident.pk}"') :]
    row = row[: row.index("</li>")]
    # Its row fetches its forms when opened, and links to the case for a browser without scripts.
    tools_url = reverse("incidents:dashboard_row_tools", args=[incident.pk])
    assert f'hx-get="{tools_url}"' in row and reverse("incidents:incident_detail", args=[incident.pk]) in row
    assert "<form" not in row
    tools = client.get(tools_url, headers={"HX-Request": "true"}).content.decode()
    # They offer the handlers of its audience (the DSL team and the head) and every form.
    assert f'<option value="{head.pk}"' in tools and f'<option value="{dsl.pk}"' in tools
    assert cast.a.users["chair"].full_name not in tools
    for action in ("incident_assign", "incident_triage", "incident_note", "incident_close"):
        assert reverse(f"incidents:{action}", args=[incident.pk]) in tools
    back = {"next": "dashboard"}

    response = client.post(reverse("incidents:incident_assign", args=[incident.pk]), {"assignee": head.pk, **back})
    assert response.status_code == 302 and response["Location"] == DASHBOARD
    assert reload(incident).assigned_to == head and reload(incident).status == Status.OPEN
    assert reload(incident).history.first().history_change_reason == "Assigned"

    triage = {"severity": Severity.IMMEDIATE, "category": incident.category_id, "matrix_row": "", "reason": "Shared more widely"}
    response = client.post(reverse("incidents:incident_triage", args=[incident.pk]), {**triage, **back})
    assert response["Location"] == DASHBOARD
    assert reload(incident).severity == Severity.IMMEDIATE

    response = client.post(reverse("incidents:incident_note", args=[incident.pk]), {"text": "Parents called in", **back})
    assert response["Location"] == DASHBOARD
    assert IncidentEvent.objects.filter(incident=incident, summary="Note", note="Parents called in").exists()

    response = client.post(reverse("incidents:incident_close", args=[incident.pk]), {"outcome": "Referred and supported", **back})
    assert response["Location"] == DASHBOARD
    assert reload(incident).status == Status.CLOSED
    page = client.get(DASHBOARD)
    assert queue(page, "closed") == [incident.reference]
    assert incident.reference not in queue(page, "open")
    assert reverse("incidents:incident_reopen", args=[incident.pk]) in client.get(tools_url).content.decode()

    response = client.post(reverse("incidents:incident_reopen", args=[incident.pk]), {"reason": "It happened again", **back})
    assert response["Location"] == DASHBOARD
    assert reload(incident).status == Status.OPEN
    summaries = list(IncidentEvent.objects.filter(incident=incident).values_list("summary", flat=True))
    assert [s for s in summaries if s in ("Note", "Closed", "Reopened")] == ["Note", "Closed", "Reopened"]


def test_closing_without_an_outcome_is_refused_and_says_why(cast, login):
    client = login(cast.a.users["dsl"])
    response = client.post(reverse("incidents:incident_close", args=[cast.a.incident.pk]), {"outcome": "", "next": "dashboard"})
    assert response.status_code == 400
    assert reload(cast.a.incident).status != Status.CLOSED


def test_overdue_tasks_are_listed_the_oldest_first(cast, login):
    dsl, it = cast.a.users["dsl"], cast.a.users["it"]
    today = timezone.localdate()
    late = IncidentAction.objects.create(
        incident=cast.a.incident, title="Inform parents/carers", owner=dsl, due_on=today - timedelta(days=3)
    )
    later = IncidentAction.objects.create(incident=cast.a.incident, title="Warning", owner=it, due_on=today - timedelta(days=1))
    IncidentAction.objects.create(incident=cast.a.incident, title="Not yet due", owner=it, due_on=today + timedelta(days=1))
    done = IncidentAction.objects.create(
        incident=cast.a.incident, title="Done already", owner=it, due_on=today - timedelta(days=9)
    )
    services.incident_action_complete(action=done, actor=it)
    staff_task = IncidentAction.objects.create(
        incident=cast.a.staff_incident, title="Refer to local HR", owner=cast.a.users["head"], due_on=today - timedelta(days=2)
    )

    response = login(dsl).get(DASHBOARD)

    assert [a.pk for a in response.context["overdue"]] == [late.pk, later.pk]
    html = section(response.content.decode(), "overdue-heading")
    assert "Inform parents/carers" in html and "Not yet due" not in html and "Done already" not in html
    assert staff_task.title not in html  # the head's, on an incident the DSL may not see
    assert [a.pk for a in login(cast.a.users["head"]).get(DASHBOARD).context["overdue"]] == [late.pk, staff_task.pk, later.pk]


# --- Trends ---------------------------------------------------------------------------

LONDON = ZoneInfo("Europe/London")


@pytest.fixture
def spring_2026(time_machine):
    """10 March 2026: Spring 2 of 2025/26. With no dates entered, the default pattern: spring term from 5 January."""
    time_machine.move_to(datetime(2026, 3, 10, 10, 0, tzinfo=LONDON))


def at(y, m, d):
    return datetime(y, m, d, 11, 0, tzinfo=LONDON)


def test_trends_compare_half_terms_with_last_year_by_category(spring_2026, cast, login):
    year9 = f.make_pupil(cast.a.school, "Nina", "Ninth", year_group=f.make_year_group(cast.a.school, 9), mis_id="n9")
    log_incident(cast.a, when=at(2026, 3, 2), pupils=[(year9, Part.AFFECTED)])
    log_incident(cast.a, when=at(2026, 3, 3), location=Incident.Location.IN_SCHOOL)
    log_incident(cast.a, when=at(2025, 3, 4))  # last year, the same half-term
    log_incident(cast.a, when=at(2024, 3, 4))  # the year before: not shown
    log_incident(cast.a, kind="Use", when=at(2025, 10, 6), location=Incident.Location.IN_SCHOOL)  # Autumn 1

    response = login(cast.a.users["dsl"]).get(TRENDS)

    trends = response.context["trends"]
    half_terms = trends.half_terms
    assert (half_terms.this_year, half_terms.last_year) == ("2025/26", "2024/25")
    rows = {name: (cells, this, last) for name, cells, this, last in half_terms.categories}
    # Cyberbullying: the cast's (9 March) and two more in Spring 2 this year, one last year.
    assert rows["Cyberbullying"] == ([(0, 0), (0, 0), (0, 0), (3, 1), (0, 0), (0, 0)], 3, 1)
    assert rows["Sharing nudes or semi-nudes (self-generated images)"][1:] == (1, 0)  # restricted: the DSL team sees it
    assert rows["Use of a phone, camera or other device against the rules"][0][0] == (1, 0)
    assert "Staff online conduct" not in rows  # the head's and the chair's, not the DSL's
    assert half_terms.totals_this == [1, 0, 0, 4, 0, 0] and half_terms.totals_last == [0, 0, 0, 1, 0, 0]
    # The table's totals rows end with the whole year's, and say which figure is which year.
    page = response.content.decode()
    assert '<td class="text-end fw-semibold">5</td></tr>' in page and '<td class="text-end">1</td></tr></tfoot>' in page
    assert (
        'In each cell: <strong>this year</strong> (2025/26) / <span class="text-body-secondary">last year</span> (2024/25).'
        in page
    )
    # Year groups of the pupils involved this year: Alice (Year 7) in four, Nina (Year 9) in one.
    assert trends.year_groups == [("Year 7", 4), ("Year 9", 1)]
    assert dict(trends.locations) == {
        "In school": 2,
        "On a school trip or visit": 0,
        "Outside school, but linked to the school": 0,
        "Online": 3,
    }
    html = response.content.decode()
    table = section(html, "table-half-terms")
    assert "Cyberbullying" in table and "Staff online conduct" not in table
    assert '<th scope="col" class="text-end">Spring 2</th>' in table
    assert '3<span class="visually-hidden"> this year,</span>' in table
    assert response.context["chart_data"]["halfTerms"]["series"][0]["data"] == [1, 0, 0, 4, 0, 0]
    assert "chart.umd.min.js" in html and 'id="trend-data"' in html


def test_trends_follow_the_schools_own_half_terms(spring_2026, cast, login):
    # The school's February half-term is a week earlier than the default pattern's (16 to 20 February 2026).
    term_dates_save(
        school=cast.a.school,
        academic_year=AcademicYear.objects.for_date(date(2025, 9, 1)),
        terms=[
            TermDates(Term.AUTUMN, date(2025, 9, 3), date(2025, 12, 19), date(2025, 10, 27), date(2025, 10, 31)),
            TermDates(Term.SPRING, date(2026, 1, 6), date(2026, 3, 27), date(2026, 2, 9), date(2026, 2, 13)),
            TermDates(Term.SUMMER, date(2026, 4, 13), date(2026, 7, 22), date(2026, 5, 26), date(2026, 5, 29)),
        ],
        closures=[],
        actor=cast.a.users["office"],
    )
    log_incident(cast.a, when=at(2026, 2, 11))  # in the school's half-term: Spring 1, with the weeks before it
    log_incident(cast.a, when=at(2026, 2, 17))  # the default pattern's half-term, but Spring 2 at this school
    log_incident(cast.a, when=at(2025, 10, 29))  # the October half-term: Autumn 1
    log_incident(cast.a, when=at(2025, 12, 27))  # Christmas: Autumn 2, the half-term before
    log_incident(cast.a, when=at(2026, 2, 17) - timedelta(days=365))  # last year: no dates entered, the default pattern

    response = login(cast.a.users["dsl"]).get(TRENDS)

    half_terms = response.context["trends"].half_terms
    assert half_terms.labels == ["Autumn 1", "Autumn 2", "Spring 1", "Spring 2", "Summer 1", "Summer 2"]
    # Spring 2 also holds the cast's two incidents of 9 March.
    assert half_terms.totals_this == [1, 1, 1, 3, 0, 0]
    # 17 February 2025 was in the default pattern's half-term (17 to 21 February 2025), so in Spring 1.
    assert half_terms.totals_last == [0, 0, 1, 0, 0, 0]
    spring_2 = half_terms.periods_this[3]
    assert (spring_2.starts_on, spring_2.ends_on) == (date(2026, 2, 16), date(2026, 4, 12))
    assert not spring_2.is_default and half_terms.periods_last[3].is_default
    assert half_terms.default_dates  # last year's dates are the default pattern's
    # The DSL reads which dates the table counts by, and that last year's are not the school's own.
    page = response.content.decode()
    assert "Spring 2 from 16 Feb" in page
    assert "These are the usual dates, not the school's own" in page
    assert "Enter the school's term dates" not in page  # the DSL does not keep the calendar
    assert "Enter the school's term dates" in login(cast.a.users["head"]).get(TRENDS).content.decode()
    # "This term" starts on the school's first day of the spring term.
    assert response.context["trends"].term_since == date(2026, 1, 6)


def test_the_chair_sees_trends_of_allegations_about_the_head_alone(spring_2026, cast, login):
    trends = login(cast.a.users["chair"]).get(TRENDS).context["trends"]
    assert [name for name, *_ in trends.half_terms.categories] == ["Staff online conduct"]
    assert trends.year_groups == []
    assert sum(n for _, n in trends.locations) == 1


def test_pupils_with_the_threshold_of_incidents_this_term_are_listed(spring_2026, cast, login):
    dsl = cast.a.users["dsl"]
    # Alice is in the cast's two incidents (9 March); one more this term makes three.
    log_incident(cast.a, when=at(2026, 1, 12))
    log_incident(cast.a, when=at(2025, 12, 1))  # last term: does not count
    bert = f.make_pupil(cast.a.school, "Bert", "Bystander", form=cast.a.form, mis_id="bb1")
    for day in (5, 6, 7):
        # A witness to three allegations about staff: incidents the DSL team may not see.
        log_incident(
            cast.a,
            kind="Staff",
            when=at(2026, 2, day),
            pupils=[(bert, Part.WITNESS)],
            people=[services.Involved(Part.ALLEGED, staff=cast.a.staff_member)],
            reporter="lead",
        )

    response = login(dsl).get(TRENDS)

    frequent = [(p.full_name, p.incident_count) for p in response.context["trends"].frequent_pupils]
    assert frequent == [("Alice Aardvark", 3)]
    html = section(response.content.decode(), "frequent")
    assert "Pupils with 3 or more incidents this term" in html
    assert reverse("pupil_chronology", args=[cast.a.pupil.pk]) in html
    assert "Bystander" not in html
    head_view = [p.full_name for p in login(cast.a.users["head"]).get(TRENDS).context["trends"].frequent_pupils]
    assert head_view == ["Alice Aardvark", "Bert Bystander"]

    IncidentSettings.objects.filter(school=cast.a.school).update(repeat_threshold=4)
    html = login(dsl).get(TRENDS).content.decode()
    assert "No pupil has 4 or more incidents this term." in html


# --- Home page --------------------------------------------------------------------------


def test_the_home_page_offers_logging_to_staff_and_the_queues_to_handlers(cast, login, client):
    today = timezone.localdate()
    IncidentAction.objects.create(
        incident=cast.a.incident, title="Call home", owner=cast.a.users["it"], due_on=today - timedelta(days=1)
    )
    home = reverse("home")

    it_page = login(cast.a.users["it"]).get(home).content.decode()
    assert reverse("incidents:incident_log") in it_page
    # The cast's task (due in three days) and this overdue one.
    assert "You have 2 open tasks on incidents, <strong>1 overdue</strong>." in it_page
    assert "Incidents to handle" not in it_page

    dsl_page = login(cast.a.users["dsl"]).get(home).content.decode()
    assert "Incidents to handle" in dsl_page
    triage = section(dsl_page, "panel-incidents-triage")
    # New or unassigned: the cast's ordinary and restricted incidents; overdue: the task above.
    assert f'{reverse("incidents:dashboard")}#new">2</a>' in triage
    assert f'{reverse("incidents:dashboard")}#overdue">1</a>' in triage

    chair_page = login(cast.a.users["chair"]).get(home).content.decode()
    assert "Incidents to handle" in chair_page and reverse("incidents:incident_log") not in chair_page
    governor_page = login(cast.a.users["governor"]).get(home).content.decode()
    assert "Incidents" not in governor_page


def test_the_menu_takes_handlers_to_the_dashboard_and_other_staff_to_their_reports(cast, login):
    nav = {}
    for who in ("teacher", "dsl", "chair", "governor"):
        html = login(cast.a.users[who]).get(reverse("home")).content.decode()
        nav[who] = html[html.index('id="main-nav"') : html.index("</nav>")]
    assert f'href="{reverse("incidents:my_reports")}">Incidents</a>' in nav["teacher"]
    assert f'href="{reverse("incidents:dashboard")}">Incidents</a>' in nav["dsl"]
    assert f'href="{reverse("incidents:dashboard")}">Incidents</a>' in nav["chair"]
    assert "Log an incident" in nav["teacher"] and "Log an incident" in nav["dsl"]
    assert "Log an incident" not in nav["chair"]
    assert "Incidents" not in nav["governor"]


def test_the_dashboard_offers_logging_an_incident_only_to_those_who_may(cast, login, client):
    log_link = f'href="{reverse("incidents:incident_log")}"'
    client.force_login(cast.a.users["chair"])
    assert log_link not in client.get(DASHBOARD).content.decode()  # the chair may not log incidents
    assert log_link in login(cast.a.users["dsl"]).get(DASHBOARD).content.decode()


def test_the_trends_come_after_the_queues_and_stand_alone_without_scripts(cast, login):
    client = login(cast.a.users["dsl"])
    dashboard = client.get(DASHBOARD).content.decode()
    # The queues come at once; the trends section fetches its counts when the page has loaded.
    assert f'hx-get="{TRENDS}"' in dashboard and 'id="table-half-terms"' not in dashboard
    fragment = client.get(TRENDS, headers={"HX-Request": "true"}).content.decode()
    assert 'id="table-half-terms"' in fragment and 'id="trend-data"' in fragment and "<html" not in fragment
    # Without scripts the link shows them on a page of their own, with the way back.
    page = client.get(TRENDS).content.decode()
    assert "<html" in page and 'id="table-half-terms"' in page and 'href="/incidents/">Back to the queues' in page
