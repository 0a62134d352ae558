"""The week grid of one batch, faculty member, room or student in a stored timetable, and the checker's
judgement of the whole timetable (stored with it, see ``scheduling.reports``). Every page and every export
draws from ``WeekGrid``."""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import time
from typing import Any

from django.db.models import QuerySet

from timetabling.engine.model import TimeGrid
from timetabling.web.academics import models as am
from timetabling.web.academics.grid import organization_grid
from timetabling.web.scheduling import reports
from timetabling.web.scheduling.models import Timetable, TimetableReport, TimetableSlot, owner_q

OWNER_MODELS: dict[str, type[am.OrgScoped]] = {
    "batch": am.Batch, "faculty": am.Faculty, "room": am.Room, "student": am.Student,
}
KIND_LABELS = {"batch": "Batch", "faculty": "Faculty member", "room": "Room", "student": "Student"}


@dataclass
class Session:
    """One session of a course (a joint session is one Session, whatever its number of slot rows)."""

    course_code: str  # the catalogue code people know (the engine id when there is none)
    course_name: str
    session: int
    day: int
    period: int
    length: int
    start: time
    end: time
    faculty: list[str] = field(default_factory=list)
    batches: list[str] = field(default_factory=list)
    room: str = ""
    engine_id: str = ""  # the course's code as the engine and the checker name it
    faculty_names: list[str] = field(default_factory=list)  # as ``faculty``, the names people know
    room_name: str = ""

    @property
    def label(self) -> str:
        """As the checker names a session: ``course#index``."""
        return f"{self.engine_id}#{self.session}"

    @property
    def title(self) -> str:
        if not self.course_name or self.course_name == self.course_code:
            return self.course_code
        return f"{self.course_code} {self.course_name}"


@dataclass
class Cell:
    session: Session
    is_start: bool
    problems: list[str] = field(default_factory=list)  # what the checker finds wrong with it here


@dataclass
class Row:
    """One period of the week: its label and one list of cells per day; a break row has ``break_name``."""

    label: str
    start: str
    end: str
    cells: list[list[Cell]] = field(default_factory=list)
    conflict_days: set[int] = field(default_factory=set)  # days whose cell holds a clash
    break_name: str = ""
    index: int = -1  # the period's index in the grid (-1 for a break)


@dataclass
class WeekGrid:
    days: list[str]
    rows: list[Row]
    sessions: list[Session]
    conflict_slots: int = 0

    @property
    def is_empty(self) -> bool:
        return not self.sessions


def timetable_grid(timetable: Timetable) -> TimeGrid:
    """The grid the timetable was generated on (kept with its job), else the organization's current one."""
    job = timetable.generation_job
    if job is not None and "grid" in job.metadata:
        return TimeGrid.model_validate(job.metadata["grid"])
    return organization_grid(timetable.organization)


def owner_slots(timetable: Timetable, kind: str, owner: am.OrgScoped) -> QuerySet[TimetableSlot]:
    return TimetableSlot.objects.filter(owner_q(kind, owner), timetable=timetable)


def sessions_of(slots: QuerySet[TimetableSlot]) -> list[Session]:
    """Slot rows (one per batch and faculty member of a session) merged into sessions."""
    return merge_slots(slots.select_related("course", "faculty", "room", "batch")
                       .order_by("day", "period", "course__code", "id"))


def merge_slots(slots: Iterable[TimetableSlot]) -> list[Session]:
    """Slot rows, in day, period, course order, merged into sessions."""
    merged: dict[tuple[int, int, int, int], Session] = {}
    for s in slots:
        key = (s.course_id, s.session, s.day, s.period)
        session = merged.get(key)
        if session is None:
            session = merged[key] = Session(
                course_code=s.course.course_code or s.course.code, course_name=s.course.name, session=s.session,
                day=s.day, period=s.period, length=max(1, s.course.session_length), start=s.start_time,
                end=s.end_time, room=s.room.code if s.room else "", engine_id=s.course.code,
                room_name=(s.room.name or s.room.code) if s.room else "",
            )
        if s.faculty and s.faculty.code not in session.faculty:
            session.faculty.append(s.faculty.code)
            session.faculty_names.append(s.faculty.name or s.faculty.code)
        if s.batch and s.batch.code not in session.batches:
            session.batches.append(s.batch.code)
    return list(merged.values())


def week_grid(grid: TimeGrid, sessions: list[Session]) -> WeekGrid:
    """Lay sessions out on days x periods; a slot holding two sessions or more is a clash for its owner."""
    at: dict[tuple[int, int], list[Cell]] = defaultdict(list)
    for s in sessions:
        for p in range(s.period, min(s.period + s.length, grid.n_periods)):
            at[s.day, p].append(Cell(s, p == s.period))
    breaks = {b.after_period: b.name for b in grid.breaks}
    rows, clashes = [], 0
    for p, period in enumerate(grid.periods):
        row = Row(label=period.name, start=period.start.strftime("%H:%M"), end=period.end.strftime("%H:%M"), index=p)
        for d in range(grid.n_days):
            cells = at.get((d, p), [])
            row.cells.append(cells)
            if len(cells) > 1:
                row.conflict_days.add(d)
                clashes += 1
        rows.append(row)
        if p in breaks and p + 1 < grid.n_periods:
            rows.append(Row(label=breaks[p], start=period.end.strftime("%H:%M"),
                            end=grid.periods[p + 1].start.strftime("%H:%M"), break_name=breaks[p]))
    return WeekGrid(days=list(grid.days), rows=rows, sessions=sessions, conflict_slots=clashes)


def owner_week(timetable: Timetable, kind: str, owner: am.OrgScoped) -> WeekGrid:
    return week_grid(timetable_grid(timetable), sessions_of(owner_slots(timetable, kind, owner)))


def owner_weeks(timetable: Timetable, kind: str, owners: Iterable[am.OrgScoped]) -> list[tuple[am.OrgScoped, WeekGrid]]:
    """The weeks of several batches, faculty members or rooms (not students), their slots read in one query."""
    owners = list(owners)
    by_owner: dict[int, list[TimetableSlot]] = defaultdict(list)
    slots = (TimetableSlot.objects.filter(timetable=timetable, **{f"{kind}_id__in": [o.pk for o in owners]})
             .select_related("course", "faculty", "room", "batch")
             .order_by("day", "period", "course__code", "id"))
    for slot in slots.iterator(chunk_size=2000):
        by_owner[getattr(slot, f"{kind}_id")].append(slot)
    grid = timetable_grid(timetable)
    return [(o, week_grid(grid, merge_slots(by_owner.get(o.pk, [])))) for o in owners]


def owners_in(timetable: Timetable, kind: str) -> QuerySet:
    """The batches, faculty or rooms that have sessions in the timetable (students: all of them)."""
    model = OWNER_MODELS[kind]
    qs = model.objects.filter(organization=timetable.organization)
    if kind != "student":
        qs = qs.filter(pk__in=TimetableSlot.objects.filter(timetable=timetable).values(f"{kind}_id"))
    return qs.order_by("code")


# ------------------------------------------------------------------------------------------ the checker


@dataclass
class Judgement:
    """The checker's report of a whole timetable, or why it could not run."""

    hard: dict[str, int] = field(default_factory=dict)
    hard_total: int = 0
    offenders: list[tuple[str, str]] = field(default_factory=list)  # (rule, what)
    soft_cost: int = 0
    metrics: dict[str, Any] = field(default_factory=dict)
    error: str = ""
    flagged_at: dict[tuple[str, str], list[str]] = field(default_factory=dict)  # (session, "Mon P1") -> why
    flagged: dict[str, list[str]] = field(default_factory=dict)  # session -> why, wherever it is


_PAIR_AT = re.compile(r"(\S+#\d+) and (\S+#\d+) at (.+)$")
_SESSION = re.compile(r"\S+#\d+")


def _flag(judgement: Judgement, rule: str, offender: str) -> None:
    """Tie a hard offender to the sessions it names: a clash to its slot, anything else to the session."""
    why = f"{rule.replace('_', ' ')}: {offender}"
    pair = _PAIR_AT.search(offender)
    if pair is not None:
        for label in pair.group(1, 2):
            judgement.flagged_at.setdefault((label, pair.group(3)), []).append(why)
        return
    for label in _SESSION.findall(offender):
        judgement.flagged.setdefault(label.rstrip(":,"), []).append(why)


def mark(week: WeekGrid, judgement: Judgement) -> WeekGrid:
    """Put the checker's findings on the cells of ``week``; a cell with any is a conflict."""
    for row in week.rows:
        if row.break_name:
            continue
        for d, cells in enumerate(row.cells):
            where = f"{week.days[d]} {row.label}"
            for cell in cells:
                label = cell.session.label
                problems = [*judgement.flagged_at.get((label, where), ()), *judgement.flagged.get(label, ())]
                cell.problems = problems[:3] + ([f"and {len(problems) - 3} more"] if len(problems) > 3 else [])
                if cell.problems and d not in row.conflict_days:
                    row.conflict_days.add(d)
                    week.conflict_slots += 1
    return week


def judgement_of(report: TimetableReport, max_offenders: int = 50) -> Judgement:
    """The stored checker report as the pages show it, its findings tied to the sessions they name."""
    if report.error:
        return Judgement(error=report.error)
    offenders = [(rule, what) for rule, what in report.offenders]
    judgement = Judgement(hard=dict(report.hard), hard_total=report.hard_total, offenders=offenders[:max_offenders],
                          soft_cost=report.soft_cost, metrics=dict(report.metrics))
    for rule, what in offenders:
        _flag(judgement, rule, what)
    return judgement


def judge(timetable: Timetable, max_offenders: int = 50) -> Judgement:
    """The checker's judgement of the timetable's current slots, as stored with it (``reports``)."""
    return judgement_of(reports.report_of(timetable), max_offenders)
