"""A GenerationJob asks the engine for variants; each variant becomes a draft Timetable with its slots.
Approving one publishes it and archives the timetable published before it."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.db import models

from timetabling.web.academics.models import Batch, Course, Faculty, Organization, Room


class JobStatus(models.TextChoices):
    QUEUED = "queued"
    RUNNING = "running"
    COMPLETED = "completed"
    FAILED = "failed"
    CANCELLED = "cancelled"


ACTIVE_STATUSES = (JobStatus.QUEUED, JobStatus.RUNNING)
FINAL_STATUSES = (JobStatus.COMPLETED, JobStatus.FAILED, JobStatus.CANCELLED)


class GenerationJob(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="generation_jobs")
    status = models.CharField(max_length=20, choices=JobStatus.choices, default=JobStatus.QUEUED)
    progress = models.PositiveSmallIntegerField(default=0, help_text="0-100")
    academic_year = models.CharField(max_length=20)
    semester = models.PositiveSmallIntegerField()
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    error_message = models.TextField(blank=True)
    metadata = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ("-created_at",)

    def __str__(self) -> str:
        return f"{self.academic_year} sem {self.semester} ({self.status}, {self.progress}%)"


class TimetableStatus(models.TextChoices):
    DRAFT = "draft"
    PUBLISHED = "published"
    ARCHIVED = "archived"


class Timetable(models.Model):
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="timetables")
    name = models.CharField(max_length=200)
    academic_year = models.CharField(max_length=20)
    semester = models.PositiveSmallIntegerField()
    generation_job = models.ForeignKey(
        GenerationJob, null=True, blank=True, on_delete=models.SET_NULL, related_name="timetables"
    )
    is_active = models.BooleanField(default=False)
    status = models.CharField(max_length=20, choices=TimetableStatus.choices, default=TimetableStatus.DRAFT)
    created_at = models.DateTimeField(auto_now_add=True)
    # the engine's judgement of this variant
    score = models.FloatField(null=True, blank=True)
    metrics = models.JSONField(default=dict, blank=True)
    # goes up whenever the slots change; the stored checker report names the version it judged
    slots_version = models.PositiveIntegerField(default=0, editable=False)
    # versions: a draft made from another version (copied, edited, repaired) names it, and who made it
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL, related_name="children")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    # the departments it covers, canonical ("all", or sorted ids "3,7"): publishing replaces only this scope
    scope = models.CharField(max_length=400, default="all")
    # sessions a person pinned: [{"course", "session", "day", "period", "room"}]; repair never moves them
    locks = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ("-created_at", "id")
        constraints = [
            # the engine callback may be delivered twice: a variant is stored once per job
            models.UniqueConstraint(fields=["generation_job", "name"], name="unique_variant_per_job"),
            # one published version per scope; publishing archives the scope's published one first
            models.UniqueConstraint(fields=["organization", "academic_year", "semester", "scope"],
                                    condition=models.Q(status="published"), name="one_published_timetable_per_scope"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.academic_year} sem {self.semester}, {self.status})"


class TimetableSlot(models.Model):
    """One session of a course at one time: a row per (batch, faculty) it concerns; ``day`` and ``period``
    are 0-based indices into the organization's time grid."""

    timetable = models.ForeignKey(Timetable, on_delete=models.CASCADE, related_name="slots")
    day = models.PositiveSmallIntegerField()
    period = models.PositiveSmallIntegerField(default=0)
    start_time = models.TimeField()
    end_time = models.TimeField()
    course = models.ForeignKey(Course, on_delete=models.CASCADE)
    session = models.PositiveSmallIntegerField(default=0)
    faculty = models.ForeignKey(Faculty, null=True, blank=True, on_delete=models.SET_NULL)
    room = models.ForeignKey(Room, null=True, blank=True, on_delete=models.SET_NULL)
    batch = models.ForeignKey(Batch, null=True, blank=True, on_delete=models.SET_NULL)

    class Meta:
        ordering = ("day", "period", "id")
        # one owner's week is read through these (pages, exports, the API's filters)
        indexes = [
            models.Index(fields=["timetable", "day", "period"]),
            models.Index(fields=["timetable", "batch"], name="slot_timetable_batch"),
            models.Index(fields=["timetable", "faculty"], name="slot_timetable_faculty"),
            models.Index(fields=["timetable", "room"], name="slot_timetable_room"),
            models.Index(fields=["timetable", "course"], name="slot_timetable_course"),
        ]

    def __str__(self) -> str:
        return f"day {self.day} {self.start_time:%H:%M} {self.course.code}"

    # a slot changed one at a time (the admin) makes its timetable's stored report stale; bulk writes go
    # through ``services`` and call ``slots_changed`` themselves
    def save(self, *args: Any, **kwargs: Any) -> None:
        before = None
        if self.pk is not None:
            before = TimetableSlot.objects.filter(pk=self.pk).values_list("timetable_id", flat=True).first()
        super().save(*args, **kwargs)
        bump_slots_version({self.timetable_id, before} - {None})

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        timetable_id = self.timetable_id
        deleted = super().delete(*args, **kwargs)
        bump_slots_version({timetable_id})
        return deleted


class TimetableEdit(models.Model):
    """One edit of a draft, who made it and when, with the placements (and locks) before and after it, so that
    it can be undone and redone: ``{"placements": [[course, session, day, period, room], ...], "locks": [...]}``."""

    timetable = models.ForeignKey(Timetable, on_delete=models.CASCADE, related_name="edits")
    op = models.CharField(max_length=20)
    summary = models.CharField(max_length=300, blank=True)
    before = models.JSONField(default=dict)
    after = models.JSONField(default=dict)
    undone = models.BooleanField(default=False)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ("id",)

    def __str__(self) -> str:
        return f"{self.op} on timetable {self.timetable_id}: {self.summary}"


def owner_q(kind: str, owner: Any) -> models.Q:
    """The slot rows of one batch, faculty member or room; a student's are their batch's and their electives'."""
    if kind == "student":
        return models.Q(batch_id=owner.batch_id) | models.Q(course__in=owner.electives.all())
    return models.Q(**{f"{kind}_id": owner.pk})


def bump_slots_version(timetable_ids: Iterable[int]) -> None:
    """Mark the timetables' slots as changed: their stored checker reports no longer apply."""
    Timetable.objects.filter(pk__in=list(timetable_ids)).update(slots_version=models.F("slots_version") + 1)


class TimetableReport(models.Model):
    """The checker's judgement of one version of a timetable's slots (``slots_version``), computed once when the
    slots are stored or changed, so that pages read it instead of running the checker."""

    timetable = models.OneToOneField(Timetable, on_delete=models.CASCADE, primary_key=True, related_name="report")
    slots_version = models.PositiveIntegerField()
    hard = models.JSONField(default=dict, blank=True)  # rule -> count
    hard_total = models.PositiveIntegerField(default=0)
    soft_cost = models.BigIntegerField(default=0)  # under the university's own weights
    metrics = models.JSONField(default=dict, blank=True)
    offenders = models.JSONField(default=list, blank=True)  # [[rule, what], ...]: every hard offender
    error = models.TextField(blank=True)  # why the checker could not run
    sessions = models.PositiveIntegerField(default=0)
    slot_rows = models.PositiveIntegerField(default=0)
    seconds = models.FloatField(default=0.0)  # what computing it took
    computed_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"report of timetable {self.timetable_id} v{self.slots_version}: {self.hard_total} hard"


class PriorityProfile(models.Model):
    """Chosen priorities saved under a name: the weight of each soft criterion (``engine.priorities``), for
    the organization or one of its departments; a generation uses it by name as a variant beside the presets."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="priority_profiles")
    department = models.ForeignKey("academics.Department", null=True, blank=True, on_delete=models.CASCADE,
                                   related_name="priority_profiles")
    name = models.CharField(max_length=60)
    weights = models.JSONField(default=dict)  # criterion -> weight, as ``SoftWeights.given()`` writes them
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ("name",)
        constraints = [models.UniqueConstraint(fields=("organization", "name"), name="one_priority_profile_name")]

    def __str__(self) -> str:
        return self.name
