"""What changed between two timetables: per session old -> new, and per batch, faculty member and student.

Sessions of one course are interchangeable, so each course's sessions in A are matched to its sessions in B
at the least cost (the same start and room, else the same start, else the same day) before anything is
called a move. A session of a course that B lacks is removed; one that A lacks is added.
"""

from __future__ import annotations

import csv
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from timetabling.engine.model import Assignment, Instance, Solution

DAY, PERIOD, ROOM, ADDED, REMOVED = "day", "period", "room", "added", "removed"
KINDS = (DAY, PERIOD, ROOM, ADDED, REMOVED)
MOVE_WEIGHTS = {DAY: 4, PERIOD: 3, ROOM: 1}  # another day > another period of the day > another room


@dataclass(frozen=True)
class SessionChange:
    course: str
    kind: str  # day | period | room | added | removed
    old: Assignment | None
    new: Assignment | None

    def to_dict(self, instance: Instance | None = None) -> dict[str, Any]:
        def side(a: Assignment | None) -> dict[str, Any] | None:
            if a is None:
                return None
            out: dict[str, Any] = {"session": a.session, "day": a.day, "period": a.period, "room": a.room}
            if instance is not None and a.day < instance.grid.n_days and a.period < instance.grid.n_periods:
                out["slot"] = instance.grid.slot_label(a.slot)
            return out

        return {"course": self.course, "change": self.kind, "old": side(self.old), "new": side(self.new)}


@dataclass
class Changes:
    sessions: list[SessionChange] = field(default_factory=list)
    unchanged: int = 0
    per_batch: dict[str, int] = field(default_factory=dict)
    per_faculty: dict[str, int] = field(default_factory=dict)
    per_student: dict[str, int] = field(default_factory=dict)

    def count(self, *kinds: str) -> int:
        return sum(1 for s in self.sessions if s.kind in kinds)

    @property
    def moved_in_time(self) -> int:
        return self.count(DAY, PERIOD)

    @property
    def weighted_moves(self) -> int:
        return sum(MOVE_WEIGHTS.get(s.kind, 0) for s in self.sessions)

    @property
    def empty(self) -> bool:
        return not self.sessions

    def summary(self) -> dict[str, int]:
        return {"moved_in_time": self.moved_in_time, "other_day": self.count(DAY), "other_period": self.count(PERIOD),
                "room_only": self.count(ROOM), "added": self.count(ADDED), "removed": self.count(REMOVED),
                "unchanged": self.unchanged, "weighted_moves": self.weighted_moves,
                "batches": len(self.per_batch), "faculty": len(self.per_faculty), "students": len(self.per_student)}

    def to_dict(self, instance: Instance | None = None) -> dict[str, Any]:
        return {"summary": self.summary(), "sessions": [s.to_dict(instance) for s in self.sessions],
                "per_batch": self.per_batch, "per_faculty": self.per_faculty, "per_student": self.per_student}

    def write_csv(self, path: str | Path) -> None:
        """One row per changed session, then one per batch, faculty member and student with a changed session."""
        with open(path, "w", newline="", encoding="utf-8") as fh:
            w = csv.writer(fh)
            w.writerow(["record", "id", "change", "old_session", "old_day", "old_period", "old_room",
                        "new_session", "new_day", "new_period", "new_room", "sessions_changed"])
            for s in self.sessions:
                o, n = s.old, s.new
                w.writerow(["session", s.course, s.kind, *_cells(o), *_cells(n), ""])
            for record, counts in (("batch", self.per_batch), ("faculty", self.per_faculty),
                                   ("student", self.per_student)):
                for key, n in counts.items():
                    w.writerow([record, key, "", "", "", "", "", "", "", "", "", n])


def _cells(a: Assignment | None) -> list[object]:
    return ["", "", "", ""] if a is None else [a.session, a.day, a.period, a.room or ""]


def _cost(a: Assignment, b: Assignment) -> int:
    if a.slot == b.slot:
        return 0 if a.room == b.room else MOVE_WEIGHTS[ROOM]
    return MOVE_WEIGHTS[PERIOD] if a.day == b.day else MOVE_WEIGHTS[DAY]


def match(old: list[Assignment], new: list[Assignment]) -> list[tuple[Assignment | None, Assignment | None]]:
    """The sessions of one course in two timetables paired at the least cost (greedy over sorted pairs:
    exact for the few sessions a course has in practice); the unpaired come with None."""
    pairs = sorted(((_cost(a, b), i, j) for i, a in enumerate(old) for j, b in enumerate(new)))
    used_a: set[int] = set()
    used_b: set[int] = set()
    out: list[tuple[Assignment | None, Assignment | None]] = []
    for _c, i, j in pairs:
        if i not in used_a and j not in used_b:
            used_a.add(i)
            used_b.add(j)
            out.append((old[i], new[j]))
    out += [(a, None) for i, a in enumerate(old) if i not in used_a]
    out += [(None, b) for j, b in enumerate(new) if j not in used_b]
    return out


def _by_course(solution: Solution) -> dict[str, list[Assignment]]:
    out: dict[str, list[Assignment]] = defaultdict(list)
    for a in solution.assignments:
        out[a.course].append(a)
    return out


def diff(instance: Instance, a: Solution, b: Solution) -> Changes:
    """The changes that turn timetable ``a`` into ``b``; people are counted by ``instance``'s enrolments."""
    old, new = _by_course(a), _by_course(b)
    changes = Changes()
    changed_per_course: dict[str, int] = defaultdict(int)
    for cid in sorted(set(old) | set(new)):
        for x, y in match(old.get(cid, []), new.get(cid, [])):
            if x is None:
                kind = ADDED
            elif y is None:
                kind = REMOVED
            elif x.slot != y.slot:
                kind = DAY if x.day != y.day else PERIOD
            elif x.room != y.room:
                kind = ROOM
            else:
                changes.unchanged += 1
                continue
            changes.sessions.append(SessionChange(cid, kind, x, y))
            changed_per_course[cid] += 1
    per_batch: dict[str, int] = defaultdict(int)
    per_faculty: dict[str, int] = defaultdict(int)
    for cid, n in changed_per_course.items():
        course = instance.course_by_id.get(cid)
        if course is None:
            continue
        for bid in course.batches:
            per_batch[bid] += n
        for f in course.faculty:
            per_faculty[f] += n
    per_student = {}
    if changed_per_course:
        for courses, students in instance.student_groups.items():
            n = sum(changed_per_course.get(c, 0) for c in courses)
            if n:
                for s in students:
                    per_student[s] = n
    changes.per_batch = dict(sorted(per_batch.items()))
    changes.per_faculty = dict(sorted(per_faculty.items()))
    changes.per_student = dict(sorted(per_student.items()))
    return changes
