"""
Web-filter exceptions: a member of staff asks for blocked sites to be opened for a lesson, the head teacher
signs it off, the IT manager has the final say and applies it, and it ends by itself.

The app is built in steps; this is its first model, which later steps fill in (sites, filter groups, the
decisions). It follows docs/adding-an-app.md: school-owned, scoped, with its history.
"""

import uuid

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from simple_history.models import HistoricalRecords

from esafety.models import School, SchoolScopedQuerySet
from esafety.scoping import SchoolScopedManager


class FilterExceptionRequestQuerySet(SchoolScopedQuerySet):
    def waiting(self):
        return self.filter(status__in=[FilterExceptionRequest.Status.SUBMITTED, FilterExceptionRequest.Status.HEAD_APPROVED])


class FilterExceptionRequest(models.Model):
    class Status(models.TextChoices):
        SUBMITTED = "submitted", "Waiting for the head teacher"
        HEAD_APPROVED = "head_approved", "Waiting for IT"
        HEAD_DECLINED = "head_declined", "Declined by the head teacher"
        IT_APPROVED = "it_approved", "Approved, to be applied by IT"
        IT_DECLINED = "it_declined", "Declined by IT"
        ACTIVE = "active", "Open on the filter"
        EXPIRED = "expired", "Ended, removal to be confirmed"
        REMOVED = "removed", "Ended and removed from the filter"
        WITHDRAWN = "withdrawn", "Withdrawn"
        REVOKED = "revoked", "Revoked early"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    school = models.ForeignKey(School, on_delete=models.CASCADE, related_name="filter_exception_requests")
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="asked by", on_delete=models.PROTECT, related_name="+"
    )
    purpose = models.TextField("lesson or purpose", help_text="What the sites are needed for: an educational reason.")
    starts_on = models.DateField("open from")
    ends_on = models.DateField("open until")
    status = models.CharField("status", max_length=20, choices=Status.choices, default=Status.SUBMITTED)
    created_at = models.DateTimeField("asked on", auto_now_add=True)
    history = HistoricalRecords()

    objects = SchoolScopedManager(FilterExceptionRequestQuerySet)

    class Meta:
        verbose_name = "filter exception request"
        ordering = ["starts_on", "created_at"]
        constraints = [
            models.CheckConstraint(condition=Q(ends_on__gte=F("starts_on")), name="filter_request_ends_after_start"),
        ]
        indexes = [
            # The queues of the head and IT: what waits, soonest lesson first.
            models.Index(fields=["school", "status", "starts_on"], name="filter_request_queue"),
        ]

    def __str__(self):
        return f"{self.purpose[:60]} ({self.starts_on:%d/%m/%Y}–{self.ends_on:%d/%m/%Y})"
