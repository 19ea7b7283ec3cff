"""
The unsuitable-site reports of each school's cast (tests/filtering/cast.py): the teacher has reported a gambling
site that Alice saw in the ICT suite; it waits for a decision.
"""

from datetime import timedelta

from django.utils import timezone

from filtering.models import FilterSettings, SiteReport


def extend(cast, letter):
    FilterSettings.objects.filter(school=cast.school).update(last_report_number=1)
    cast.site_report = SiteReport.objects.create(
        school=cast.school,
        number=1,
        reported_by=cast.users["teacher"],
        url=f"https://casino-{letter}.example.com/free-spins",
        host=f"casino-{letter}.example.com",
        what_was_seen="A gambling site offering free spins, with flashing adverts",
        where="ICT suite, PC 4",
        seen_at=timezone.now() - timedelta(hours=2),
        found_by=f"Tutor Teacher{letter.upper()}",
    )
    cast.site_report.pupils.add(cast.pupil)
