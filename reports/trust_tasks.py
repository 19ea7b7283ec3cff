"""
The Celery task of a trust's report. A trust's report is not one school's, so the task is a plain task (no school
scope): the build opens each school's scope in turn (`reports.trust`).
"""

from celery import shared_task

from reports import trust_services


@shared_task(acks_late=True)
def trust_report_build(report_id: str) -> None:
    trust_services.trust_report_build(report_id)
