"""Academic data. Every record belongs to one Organization (a university); ``code`` is the id the engine
sees, unique within the organization. Slot lists (unavailable, fixed) are JSON ``[day, period]``
pairs, 0-based, as in the engine's native files; a faculty member's ``preferences`` are ``[day, period, level]``."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class Organization(models.Model):
    """The tenant: one university. Nothing of one organization is visible to another."""

    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=80, unique=True)
    rules = models.JSONField(default=dict, blank=True, help_text="engine rules (hard set, soft weights); {} = defaults")
    time_zone = models.CharField(max_length=64, blank=True,
                                 help_text="IANA name, e.g. Asia/Kolkata; empty: the server's (TIMETABLE_TIME_ZONE)")
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.name


class OrgScoped(models.Model):
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    code = models.CharField(max_length=200, help_text="identifier used in files and by the engine")
    name = models.CharField(max_length=300, blank=True)

    class Meta:
        abstract = True
        ordering = ("code",)

    def __str__(self) -> str:
        return f"{self.code} {self.name}".strip()


def _unique_code(name: str) -> list[models.UniqueConstraint]:
    return [models.UniqueConstraint(fields=["organization", "code"], name=f"unique_{name}_code_per_org")]


class TimeGridConfig(models.Model):
    """The weekly grid: working days, periods per day with their clock times, and the lunch break."""

    organization = models.OneToOneField(Organization, on_delete=models.CASCADE, related_name="time_grid")
    working_days = models.JSONField(default=list, help_text='day names, e.g. ["Mon", "Tue", "Wed", "Thu", "Fri"]')
    periods_per_day = models.PositiveSmallIntegerField(default=8)
    start_time = models.TimeField(help_text="start of the first period")
    end_time = models.TimeField(help_text="end of the last period (computed)", null=True, blank=True)
    period_minutes = models.PositiveSmallIntegerField(default=60)
    lunch_after_period = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="1-based: lunch follows this period; empty for none"
    )
    lunch_minutes = models.PositiveSmallIntegerField(default=60)

    def __str__(self) -> str:
        return f"{len(self.working_days)} days x {self.periods_per_day} periods"


class School(OrgScoped):
    class Meta(OrgScoped.Meta):
        constraints = _unique_code("school")


class Department(OrgScoped):
    school = models.ForeignKey(School, null=True, blank=True, on_delete=models.SET_NULL, related_name="departments")

    class Meta(OrgScoped.Meta):
        constraints = _unique_code("department")


class Program(OrgScoped):
    department = models.ForeignKey(Department, null=True, blank=True, on_delete=models.SET_NULL)
    level = models.CharField(max_length=40, blank=True, help_text="UG, PG, ...")
    duration_years = models.PositiveSmallIntegerField(default=4)

    class Meta(OrgScoped.Meta):
        constraints = _unique_code("program")


class Batch(OrgScoped):
    """Students of one program, year and section who attend their core courses together."""

    department = models.ForeignKey(Department, null=True, blank=True, on_delete=models.SET_NULL)
    program = models.ForeignKey(Program, null=True, blank=True, on_delete=models.SET_NULL)
    year = models.PositiveSmallIntegerField(default=1)
    section = models.CharField(max_length=20, blank=True)
    size = models.PositiveIntegerField(default=0)

    class Meta(OrgScoped.Meta):
        constraints = _unique_code("batch")
        verbose_name_plural = "batches"


class Room(OrgScoped):
    capacity = models.PositiveIntegerField()
    room_type = models.CharField(max_length=40, default="lecture")
    features = models.JSONField(default=list, blank=True)
    building = models.CharField(max_length=200, blank=True)
    department = models.ForeignKey(Department, null=True, blank=True, on_delete=models.SET_NULL)
    shared = models.BooleanField(default=True, help_text="may other departments use it?")
    unavailable = models.JSONField(default=list, blank=True)

    class Meta(OrgScoped.Meta):
        constraints = _unique_code("room")


# a faculty member's level for a slot, UniTime's scale (the engine's ``PreferenceLevel``), least wanted first
PREFERENCE_LEVELS = ("prohibited", "strongly_discouraged", "discouraged", "neutral", "preferred", "strongly_preferred")
PROHIBITED, NEUTRAL = "prohibited", "neutral"


class Faculty(OrgScoped):
    user = models.OneToOneField("auth.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="faculty")
    department = models.ForeignKey(Department, null=True, blank=True, on_delete=models.SET_NULL)
    max_hours_per_week = models.PositiveSmallIntegerField(default=20)
    max_hours_per_day = models.PositiveSmallIntegerField(default=6)
    max_consecutive = models.PositiveSmallIntegerField(default=4)
    preferences = models.JSONField(
        default=list, blank=True,
        help_text='[[day, period, level], ...] for every slot that is not neutral; level: one of PREFERENCE_LEVELS')

    class Meta(OrgScoped.Meta):
        constraints = _unique_code("faculty")
        verbose_name_plural = "faculty"

    @property
    def unavailable(self) -> list[list[int]]:
        """The prohibited slots, ``[[day, period], ...]`` (the engine's ``unavailable``)."""
        return sorted([p[0], p[1]] for p in self.preferences if _level_of(p) == PROHIBITED)

    @unavailable.setter
    def unavailable(self, slots: list[list[int]]) -> None:
        """Make exactly ``slots`` prohibited; the other slots keep their levels."""
        wanted = {(s[0], s[1]) for s in slots}
        kept = [p for p in self.preferences if _level_of(p) != PROHIBITED and (p[0], p[1]) not in wanted]
        self.preferences = sorted(kept + [[d, p, PROHIBITED] for d, p in wanted], key=lambda x: (x[0], x[1]))


def _level_of(stored: object) -> str | None:
    return stored[2] if isinstance(stored, list | tuple) and len(stored) >= 3 else None


class CourseKind(models.TextChoices):
    """NEP 2020 course kinds (the engine's ``CourseKind``)."""

    CORE = "core", "Core"
    DEPARTMENT_ELECTIVE = "department_elective", "Department elective"
    OPEN_ELECTIVE = "open_elective", "Open elective"


class Course(OrgScoped):
    """A scheduled course section: ``sessions_per_week`` sessions of ``session_length`` periods."""

    department = models.ForeignKey(Department, null=True, blank=True, on_delete=models.SET_NULL)
    course_code = models.CharField(max_length=60, blank=True, help_text="catalogue code shared by sections")
    kind = models.CharField(max_length=30, choices=CourseKind.choices, default=CourseKind.CORE)
    credits = models.PositiveSmallIntegerField(default=3)
    faculty = models.ManyToManyField(Faculty, blank=True, related_name="courses")
    batches = models.ManyToManyField(Batch, blank=True, related_name="courses")
    sessions_per_week = models.PositiveSmallIntegerField(default=1)
    session_length = models.PositiveSmallIntegerField(default=1)
    min_days = models.PositiveSmallIntegerField(default=1)
    max_per_day = models.PositiveSmallIntegerField(default=1)
    room_type = models.CharField(max_length=40, default="lecture")
    room_features = models.JSONField(default=list, blank=True)
    size = models.PositiveIntegerField(null=True, blank=True, help_text="attendees when known; else derived")
    fixed = models.JSONField(default=list, blank=True)
    unavailable = models.JSONField(default=list, blank=True)

    class Meta(OrgScoped.Meta):
        constraints = _unique_code("course")


class Student(OrgScoped):
    user = models.OneToOneField("auth.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="student")
    batch = models.ForeignKey(Batch, null=True, blank=True, on_delete=models.SET_NULL, related_name="students")
    electives = models.ManyToManyField(Course, blank=True, through="ElectiveChoice", related_name="elective_students")

    class Meta(OrgScoped.Meta):
        constraints = _unique_code("student")


class ElectiveChoice(models.Model):
    """A student's individual enrolment in a course beyond their batch's courses (an elective choice)."""

    student = models.ForeignKey(Student, on_delete=models.CASCADE, related_name="choices")
    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="choices")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["student", "course"], name="unique_elective_choice")]

    def __str__(self) -> str:
        return f"{self.student.code} -> {self.course.code}"


class Term(models.Model):
    """An academic year's semester: its teaching dates and holidays (``holidays``: ISO dates), which the
    calendar exports follow."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="terms")
    academic_year = models.CharField(max_length=20, help_text="e.g. 2026-27")
    semester = models.PositiveSmallIntegerField()
    start_date = models.DateField()
    end_date = models.DateField()
    holidays = models.JSONField(default=list, blank=True, help_text='["2026-10-02", ...]')

    class Meta:
        ordering = ("-academic_year", "-semester")
        constraints = [models.UniqueConstraint(fields=["organization", "academic_year", "semester"],
                                               name="unique_term_per_org")]

    def __str__(self) -> str:
        return f"{self.academic_year} semester {self.semester} ({self.start_date} to {self.end_date})"


class ChangeRecord(models.Model):
    """One change of one record, who made it and when: ``changes`` is ``{field: [old, new]}`` in words."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=30, help_text="departments, courses, ..., users")
    record_id = models.PositiveBigIntegerField()
    code = models.CharField(max_length=200)
    action = models.CharField(max_length=20, help_text="created, updated, deleted")
    changes = models.JSONField(default=dict, blank=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                             related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ("-created_at", "-id")
        indexes = [models.Index(fields=["organization", "kind", "record_id"], name="change_record_lookup")]

    def __str__(self) -> str:
        return f"{self.action} {self.kind} {self.code}"
