"""Records -> JSON-able dicts. One function per kind; ``ACADEMIC_KINDS`` drives the read endpoints."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.db.models import Model, QuerySet

from timetabling.web.academics import models as am
from timetabling.web.scheduling.models import GenerationJob, Timetable, TimetableSlot


def ref(obj: am.OrgScoped | None) -> dict[str, Any] | None:
    return None if obj is None else {"id": obj.pk, "code": obj.code, "name": obj.name}


def job_json(job: GenerationJob) -> dict[str, Any]:
    return {
        "job_id": str(job.id), "status": job.status, "progress": job.progress,
        "academic_year": job.academic_year, "semester": job.semester,
        "created_at": job.created_at.isoformat(), "updated_at": job.updated_at.isoformat(),
        "completed_at": job.completed_at.isoformat() if job.completed_at else None,
        "created_by": job.created_by.username if job.created_by else None,
        "error_message": job.error_message, "phase": job.metadata.get("phase", ""),
        "eta_seconds": job.metadata.get("eta_seconds"), "review": job.metadata.get("review"),
        "engine_wait": job.metadata.get("engine_wait"), "rerun_of": job.metadata.get("rerun_of"),
        "priorities": job.metadata.get("priorities"),
    }


def slot_json(slot: TimetableSlot, days: list[str]) -> dict[str, Any]:
    return {
        "id": slot.pk, "day": slot.day, "day_name": days[slot.day] if slot.day < len(days) else str(slot.day),
        "period": slot.period, "start_time": slot.start_time.strftime("%H:%M"),
        "end_time": slot.end_time.strftime("%H:%M"), "session": slot.session,
        "course": ref(slot.course), "faculty": ref(slot.faculty), "room": ref(slot.room), "batch": ref(slot.batch),
    }


# a slot as one row of plain values (what ``slot_row_json`` turns into ``slot_json``'s shape): the result API's
# pages and downloads serialise thousands of slots, and a model instance per slot and relation is most of the work
SLOT_VALUES = ("id", "timetable_id", "day", "period", "start_time", "end_time", "session",
               "course_id", "course__code", "course__name", "faculty_id", "faculty__code", "faculty__name",
               "room_id", "room__code", "room__name", "batch_id", "batch__code", "batch__name")


def _ref_of(pk: int | None, code: str, name: str) -> dict[str, Any] | None:
    return None if pk is None else {"id": pk, "code": code, "name": name}


def slot_row_json(row: tuple[Any, ...], days: list[str]) -> dict[str, Any]:
    """A ``SLOT_VALUES`` row as ``slot_json`` answers it, with the slot's timetable."""
    pk, timetable_id, day, period, start, end, session = row[:7]
    return {
        "id": pk, "day": day, "day_name": days[day] if day < len(days) else str(day), "period": period,
        "start_time": start.strftime("%H:%M"), "end_time": end.strftime("%H:%M"), "session": session,
        "course": _ref_of(*row[7:10]), "faculty": _ref_of(*row[10:13]), "room": _ref_of(*row[13:16]),
        "batch": _ref_of(*row[16:19]), "timetable_id": timetable_id,
    }


def slots_of(qs: QuerySet[TimetableSlot], days: list[str]) -> list[dict[str, Any]]:
    return [slot_json(s, days) for s in qs.select_related("course", "faculty", "room", "batch")]


def timetable_json(t: Timetable) -> dict[str, Any]:
    return {
        "id": t.pk, "name": t.name, "status": t.status, "is_active": t.is_active,
        "academic_year": t.academic_year, "semester": t.semester, "score": t.score, "metrics": t.metrics,
        "job_id": str(t.generation_job_id) if t.generation_job_id else None, "created_at": t.created_at.isoformat(),
    }


def _school(o: am.School) -> dict[str, Any]:
    return {"id": o.pk, "code": o.code, "name": o.name}


def _department(o: am.Department) -> dict[str, Any]:
    return {"id": o.pk, "code": o.code, "name": o.name, "school": ref(o.school)}


def _program(o: am.Program) -> dict[str, Any]:
    return {"id": o.pk, "code": o.code, "name": o.name, "department": ref(o.department), "level": o.level,
            "duration_years": o.duration_years}


def _batch(o: am.Batch) -> dict[str, Any]:
    return {"id": o.pk, "code": o.code, "name": o.name, "department": ref(o.department), "program": ref(o.program),
            "year": o.year, "section": o.section, "size": o.size}


def _room(o: am.Room) -> dict[str, Any]:
    return {"id": o.pk, "code": o.code, "name": o.name, "capacity": o.capacity, "room_type": o.room_type,
            "features": o.features, "building": o.building, "department": ref(o.department), "shared": o.shared}


def _faculty(o: am.Faculty) -> dict[str, Any]:
    return {"id": o.pk, "code": o.code, "name": o.name, "department": ref(o.department),
            "max_hours_per_week": o.max_hours_per_week, "max_hours_per_day": o.max_hours_per_day,
            "max_consecutive": o.max_consecutive, "unavailable": o.unavailable}


def _course(o: am.Course) -> dict[str, Any]:
    return {"id": o.pk, "code": o.code, "name": o.name, "course_code": o.course_code, "department": ref(o.department),
            "kind": o.kind, "credits": o.credits, "sessions_per_week": o.sessions_per_week,
            "session_length": o.session_length, "room_type": o.room_type,
            "faculty": [ref(f) for f in o.faculty.all()], "batches": [ref(b) for b in o.batches.all()]}


def _student(o: am.Student) -> dict[str, Any]:
    return {"id": o.pk, "code": o.code, "name": o.name, "batch": ref(o.batch),
            "electives": [ref(c) for c in o.electives.all()]}


# kind in the URL -> (model, serializer, related fields to fetch at once)
ACADEMIC_KINDS: dict[str, tuple[type[Model], Callable[[Any], dict[str, Any]], tuple[str, ...], tuple[str, ...]]] = {
    "schools": (am.School, _school, (), ()),
    "departments": (am.Department, _department, ("school",), ()),
    "programs": (am.Program, _program, ("department",), ()),
    "batches": (am.Batch, _batch, ("department", "program"), ()),
    "rooms": (am.Room, _room, ("department",), ()),
    "faculty": (am.Faculty, _faculty, ("department",), ()),
    "courses": (am.Course, _course, ("department",), ("faculty", "batches")),
    "students": (am.Student, _student, ("batch",), ("electives",)),
}
