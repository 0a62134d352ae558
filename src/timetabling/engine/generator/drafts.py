"""Mutable drafts that the generator fills step by step before it freezes them into the model."""

from __future__ import annotations

from dataclasses import dataclass, field

from timetabling.engine.model import CourseKind


@dataclass
class SchoolDraft:
    id: str
    name: str
    departments: list[DepartmentDraft] = field(default_factory=list)


@dataclass
class DepartmentDraft:
    id: str
    name: str
    school: str


@dataclass
class BatchDraft:
    id: str
    department: str
    school: str
    program: str
    year: int
    section: str
    students: list[str] = field(default_factory=list)


@dataclass
class CourseDraft:
    id: str
    code: str
    name: str
    department: str
    school: str
    kind: CourseKind
    sessions: int
    length: int = 1
    room_type: str = "lecture"
    batches: list[str] = field(default_factory=list)
    size: int = 0  # attendees: batch sizes plus individual choices
    cap: int = 0  # most individual choices it accepts (electives)
    faculty: str = ""

    @property
    def periods(self) -> int:
        return self.sessions * self.length
