"""
Incidents of school A over 2023/24 and 2024/25 for the incidents section of the governors' report, logged through
the service as staff would, then dated and closed as the case went (an update: the services stamp "now").

The clock stands at 15 October 2025 (2025/26), so the cast's own incidents (14 October 2025) are in neither year.
The school entered its own dates for 2024/25; 2023/24 follows the usual pattern.

    2024/25                                                         2023/24
    A  Cyberbullying    10 Sep   Nina (Year 8)      closed in 10 days      H  Cyberbullying  2 Oct 2023   Nina (Year 7)  closed in 3 days
    B  Cyberbullying     1 Nov   Nina and Owen      closed the same day    I  Phone         12 Mar 2024   Zeb (Year 10)  CEOP, closed in 1 day
    C  Sharing nudes     3 Nov 23:30  Zeb (Year 11) police and social care, closed in 2 days (restricted)
    D  Cyberbullying     4 Nov 00:00  Owen (Year 7) police, closed after the year ended
    E  Staff conduct     3 Mar   the tutor          LADO, open                                 J  Cyberbullying 31 Aug 2024 23:30  Nina (Year 7)  open
    F  Cyberbullying    31 Aug 22:00  a visitor     another agency (IWF), open
    and one on 1 September 2025 00:30, in 2025/26.
"""

from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from esafety.models import AcademicYear, SchoolTerm
from esafety.terms import TermDates, term_dates_save
from incidents.models import Incident
from incidents.services import Involved
from tests import factories as f
from tests.incidents.incident_factory import Part, log_incident

LONDON = ZoneInfo("Europe/London")
Term = SchoolTerm.Name
Status = Incident.Status

RESTRICTED_DESCRIPTION = "Zeb was sent a picture at the bus stop by a boy from the leisure centre."
RESTRICTED_AGENCY = "DC Marlowe, Kent Police, and children's social care (Sandra Pike)"

SHARING = "Sharing nudes or semi-nudes (self-generated images)"
PHONE = "Use of a phone, camera or other device against the rules"
STAFF_CONDUCT = "Staff online conduct"


def at(y, m, d, hour=11, minute=0) -> datetime:
    return datetime(y, m, d, hour, minute, tzinfo=LONDON)


@dataclass
class YearsOfIncidents:
    nina: object  # Year 9 now
    owen: object  # Year 8 now
    zeb: object  # left in July 2025 from Year 11
    restricted: Incident


def enter_term_dates_2024(cast) -> None:
    """The school's own dates for 2024/25: the October break from 28 October to 1 November."""
    term_dates_save(
        school=cast.a.school,
        academic_year=AcademicYear.objects.for_date(date(2024, 9, 1)),
        terms=[
            TermDates(Term.AUTUMN, date(2024, 9, 4), date(2024, 12, 20), date(2024, 10, 28), date(2024, 11, 1)),
            TermDates(Term.SPRING, date(2025, 1, 6), date(2025, 4, 4), date(2025, 2, 17), date(2025, 2, 21)),
            TermDates(Term.SUMMER, date(2025, 4, 22), date(2025, 7, 22), date(2025, 5, 26), date(2025, 5, 30)),
        ],
        closures=[],
        actor=cast.a.users["office"],
    )


def incident(cast, kind, when, *, pupils=(), people=(), logged=None, closed=None, agency="", description=None) -> Incident:
    made = log_incident(
        cast.a,
        kind=kind,
        pupils=[(pupil, Part.AFFECTED) for pupil in pupils],
        people=list(people),
        when=when,
        **({"description": description} if description else {}),
    )
    Incident.objects.filter(pk=made.pk).update(
        reported_at=logged or when,
        status=Status.CLOSED if closed else Status.OPEN,
        closed_at=closed,
        agency=agency,
    )
    return made


def make_years_of_incidents(cast) -> YearsOfIncidents:
    school = cast.a.school
    nina = f.make_pupil(school, "Nina", "Ninefold", year_group=f.make_year_group(school, 9), mis_id="rep-n9")
    owen = f.make_pupil(school, "Owen", "Eightley", year_group=f.make_year_group(school, 8), mis_id="rep-o8")
    zeb = f.make_pupil(
        school,
        "Zebedee",
        "Quillfeather",
        year_group=f.make_year_group(school, 11),
        mis_id="rep-z11",
        leaving_date=date(2025, 7, 18),
    )
    enter_term_dates_2024(cast)

    # 2024/25
    incident(cast, "Cyberbullying", at(2024, 9, 10), pupils=[nina], closed=at(2024, 9, 20, 15))
    incident(cast, "Cyberbullying", at(2024, 11, 1), pupils=[nina, owen], logged=at(2024, 11, 4, 9), closed=at(2024, 11, 4, 16))
    restricted = incident(
        cast,
        SHARING,
        at(2024, 11, 3, 23, 30),
        pupils=[zeb],
        logged=at(2024, 11, 4, 8),
        closed=at(2024, 11, 6, 12),
        agency=RESTRICTED_AGENCY,
        description=RESTRICTED_DESCRIPTION,
    )
    incident(cast, "Cyberbullying", at(2024, 11, 4, 0, 0), pupils=[owen], closed=at(2025, 9, 10), agency="Police")
    incident(
        cast,
        STAFF_CONDUCT,
        at(2025, 3, 3),
        people=[Involved(Part.ALLEGED, staff=cast.a.staff_member)],
        agency="LADO",
    )
    incident(
        cast,
        "Cyberbullying",
        at(2025, 8, 31, 22),
        people=[Involved(Part.AFFECTED, outsider="A visitor to the library")],
        agency="Internet Watch Foundation",
    )
    incident(cast, "Cyberbullying", at(2025, 9, 1, 0, 30), pupils=[nina])  # 2025/26

    # 2023/24
    incident(cast, "Cyberbullying", at(2023, 10, 2), pupils=[nina], closed=at(2023, 10, 5))
    incident(cast, PHONE, at(2024, 3, 12), pupils=[zeb], closed=at(2024, 3, 13), agency="CEOP")
    incident(cast, "Cyberbullying", at(2024, 8, 31, 23, 30), pupils=[nina])
    return YearsOfIncidents(nina=nina, owen=owen, zeb=zeb, restricted=restricted)
