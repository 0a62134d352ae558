"""A GenerationJob asks the engine for variants; each variant becomes a draft Timetable with its slots.
Approving one publishes it and archives the timetable published before it."""

from __future__ import annotations

import uuid

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

    class Meta:
        ordering = ("-created_at", "id")
        constraints = [
            # the engine callback may be delivered twice: a variant is stored once per job
            models.UniqueConstraint(fields=["generation_job", "name"], name="unique_variant_per_job"),
            # one published timetable per scope; approval archives the organization's published one first, so
            # the scope is the organization
            models.UniqueConstraint(fields=["organization"], condition=models.Q(status="published"),
                                    name="one_published_timetable_per_organization"),
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
        indexes = [models.Index(fields=["timetable", "day", "period"])]

    def __str__(self) -> str:
        return f"day {self.day} {self.start_time:%H:%M} {self.course.code}"
