"""Manual edits of a draft, checked by the server: move, swap, pick a room, lock, unlock; undo and redo.

Every edit names the slots version it was made on (``base_version``): a stale one is refused (409) so that two
people editing one draft never overwrite each other. An edit that would break a hard rule the draft does not
break already is refused (400) with the rule and with whom, and nothing is stored. The engine's view of a draft
(its instance on today's data, its solution, the candidate index) is cached per slots version and data
fingerprint, so that repeated candidate queries cost one index look-up."""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction

from timetabling.engine.checker import Report, check
from timetabling.engine.errors import InputError
from timetabling.engine.model import Assignment, Instance, Solution
from timetabling.engine.repair.candidates import CandidateIndex, Candidates
from timetabling.web.academics import models as am
from timetabling.web.scheduling import datachange, reports
from timetabling.web.scheduling.errors import Refused
from timetabling.web.scheduling.models import (
    Timetable,
    TimetableEdit,
    TimetableSlot,
    TimetableStatus,
    bump_slots_version,
)

Placement = list[Any]  # [course, session, day, period, room]
CACHED_DRAFTS = 8


@dataclass
class DraftState:
    """The engine's view of one version of a draft."""

    instance: Instance
    solution: Solution
    _index: CandidateIndex | None = field(default=None, repr=False)
    _placed: dict[tuple[str, int], Assignment] | None = field(default=None, repr=False)

    @property
    def index(self) -> CandidateIndex:
        if self._index is None:
            self._index = CandidateIndex(self.instance, self.solution)
        return self._index

    def placement(self, course: str, session: int) -> Assignment | None:
        if self._placed is None:
            self._placed = {(a.course, a.session): a for a in self.solution.assignments}
        return self._placed.get((course, session))


_states: OrderedDict[int, tuple[tuple[int, str], DraftState]] = OrderedDict()
_states_lock = threading.Lock()


def state_of(timetable: Timetable) -> DraftState:
    """The draft's instance, solution and candidate index, built once per slots version and data fingerprint."""
    key = (timetable.slots_version, datachange.fingerprint(timetable.organization))
    with _states_lock:
        hit = _states.get(timetable.pk)
        if hit is not None and hit[0] == key:
            _states.move_to_end(timetable.pk)
            return hit[1]
    try:
        state = DraftState(reports.instance_of(timetable), reports.solution_of(timetable))
    except (InputError, ValueError) as err:
        raise Refused(400, f"the academic data cannot be read as a timetable problem: {err}") from None
    _remember(timetable, key, state)
    return state


def _remember(timetable: Timetable, key: tuple[int, str], state: DraftState) -> None:
    with _states_lock:
        _states[timetable.pk] = (key, state)
        _states.move_to_end(timetable.pk)
        while len(_states) > CACHED_DRAFTS:
            _states.popitem(last=False)


# ------------------------------------------------------------------------------------------ candidates


def _reason(breaches: Any) -> str:
    return "; ".join(f"{b.rule.value}: {b.detail}" + (f" (with {', '.join(b.with_)})" if b.with_ else "")
                     for b in breaches)


def cells_of(found: Candidates) -> list[dict[str, Any]]:
    """Per start (day, period): free, soft (costs soft points) or hard (breaks a hard rule), and why."""
    cells = []
    for s in found.slots:
        status, reason = "free", ""
        if s.breaches:
            status, reason = "hard", _reason(s.breaches)
        elif s.taken_rooms and not s.free_rooms:
            status = "hard"
            reason = "no room free: " + "; ".join(f"{r.room}: {_reason(r.breaches)}" for r in s.taken_rooms[:5])
        elif s.soft_delta > 0:
            status, reason = "soft", f"soft cost +{s.soft_delta}"
        cells.append({"day": s.day, "period": s.period, "status": status, "reason": reason,
                      "soft_delta": s.soft_delta, "free_rooms": list(s.free_rooms),
                      "current": (s.day, s.period) == (found.day, found.period)})
    return cells


def candidates(timetable: Timetable, course: str, session: int) -> dict[str, Any]:
    state = state_of(timetable)
    try:
        found = state.index.query(course, session)
    except KeyError:
        raise Refused(400, f"this timetable has no session {session} of course '{course}'", field="course") from None
    return {"timetable_id": timetable.pk, "slots_version": timetable.slots_version, "session": found.session,
            "day": found.day, "period": found.period, "room": found.room, "cells": cells_of(found),
            "swaps": [vars(w) for w in found.swaps], "locked": _lock_of(timetable, course, session) is not None}


# ---------------------------------------------------------------------------------------------- edits


@dataclass
class Edit:
    op: str
    course: str
    session: int = 0
    day: int | None = None
    period: int | None = None
    room: str | None = None
    other_course: str | None = None
    other_session: int | None = None


def _lock_of(timetable: Timetable, course: str, session: int) -> dict[str, Any] | None:
    return next((lk for lk in timetable.locks if lk["course"] == course and lk.get("session") == session), None)


def _need(state: DraftState, timetable: Timetable, course: str | None, session: int | None, field_name: str
          ) -> Assignment:
    if not course:
        raise Refused(400, f"{field_name} is required", field=field_name)
    if not am.Course.objects.filter(organization=timetable.organization, code=course).exists():
        raise Refused(400, f"unknown course '{course}' (deleted, or never in this organization)", field=field_name)
    here = state.placement(course, session or 0)
    if here is None:
        raise Refused(400, f"this timetable has no session {session} of course '{course}'", field=field_name)
    return here


def _not_locked(timetable: Timetable, a: Assignment, field_name: str) -> None:
    if _lock_of(timetable, a.course, a.session) is not None:
        raise Refused(400, f"session {a.course}#{a.session} is locked; unlock it first", field=field_name)


def _target(state: DraftState, timetable: Timetable, here: Assignment, edit: Edit) -> Assignment:
    """Where a move or room change puts the session; 400 naming a slot or room that does not exist."""
    grid = state.instance.grid
    day = here.day if edit.day is None else edit.day
    period = here.period if edit.period is None else edit.period
    course = next(c for c in state.instance.courses if c.id == here.course)
    if not (0 <= day < grid.n_days and period >= 0 and period + course.session_length - 1 < grid.n_periods):
        raise Refused(400, f"slot [{day}, {period}] does not exist for a session of {course.session_length} "
                       f"period(s) in a grid of {grid.n_days} days x {grid.n_periods} periods", field="day")
    room = here.room if edit.room is None else edit.room
    if edit.room is not None and not am.Room.objects.filter(organization=timetable.organization,
                                                            code=edit.room).exists():
        raise Refused(400, f"unknown room '{edit.room}'", field="room")
    if edit.op == "move" and edit.room is None and (day, period) != (here.day, here.period):
        room = _free_room(state, here, day, period) or room  # keep the room when it is free, else take a free one
    return Assignment(course=here.course, session=here.session, day=day, period=period, room=room)


def _free_room(state: DraftState, here: Assignment, day: int, period: int) -> str | None:
    found = state.index.query(here.course, here.session, swaps=False)
    slot = next(s for s in found.slots if (s.day, s.period) == (day, period))
    if here.room in slot.free_rooms or not slot.free_rooms:
        return here.room
    return min(slot.free_rooms, key=lambda r: found.room_soft.get(r, 0))


def apply_edit(timetable: Timetable, user: Any, edit: Edit, base_version: int) -> dict[str, Any]:
    """Check the edit on the draft and store it, or refuse it: 409 stale, 400 bad or breaking a hard rule."""
    with transaction.atomic():
        timetable = _locked_draft(timetable, base_version)
        state = state_of(timetable)
        here = _need(state, timetable, edit.course, edit.session, "course")
        moved: list[Assignment] = []
        locks = list(timetable.locks)
        if edit.op in ("move", "room"):
            _not_locked(timetable, here, "course")
            if edit.op == "room" and not edit.room:
                raise Refused(400, "room is required", field="room")
            asked = edit if edit.op == "move" else Edit("room", here.course, here.session, room=edit.room)
            target = _target(state, timetable, here, asked)
            moved = [target]
            summary = f"{here.course}#{here.session} to {_where(state, target)}"
        elif edit.op == "swap":
            there = _need(state, timetable, edit.other_course, edit.other_session, "other_course")
            if (there.course, there.session) == (here.course, here.session):
                raise Refused(400, "a session cannot be swapped with itself", field="other_course")
            _not_locked(timetable, here, "course")
            _not_locked(timetable, there, "other_course")
            moved = [here.model_copy(update={"day": there.day, "period": there.period, "room": there.room}),
                     there.model_copy(update={"day": here.day, "period": here.period, "room": here.room})]
            summary = f"{here.course}#{here.session} swapped with {there.course}#{there.session}"
        elif edit.op == "lock":
            if _lock_of(timetable, here.course, here.session) is None:
                locks.append({"course": here.course, "session": here.session, "day": here.day,
                              "period": here.period, "room": here.room})
            summary = f"{here.course}#{here.session} locked at {_where(state, here)}"
        elif edit.op == "unlock":
            locks = [lk for lk in locks if not (lk["course"] == here.course and lk.get("session") == here.session)]
            summary = f"{here.course}#{here.session} unlocked"
        else:
            raise Refused(400, f"unknown op '{edit.op}' (move, swap, room, lock, unlock)", field="op")
        before = {"placements": [_row(state.solution, a) for a in moved], "locks": timetable.locks}
        after = {"placements": [_as_row(a) for a in moved], "locks": locks}
        checked = _checked(state, timetable, moved) if moved else None
        TimetableEdit.objects.filter(timetable=timetable, undone=True).delete()  # a new edit ends the redo line
        TimetableEdit.objects.create(timetable=timetable, op=edit.op, summary=summary[:300], before=before,
                                     after=after, created_by=user if getattr(user, "is_authenticated", False) else None)
        return _store(timetable, state, after, checked)


def _where(state: DraftState, a: Assignment) -> str:
    return state.instance.grid.slot_label((a.day, a.period)) + (f" in {a.room}" if a.room else "")


def _row(solution: Solution, a: Assignment) -> Placement:
    old = next(x for x in solution.assignments if (x.course, x.session) == (a.course, a.session))
    return _as_row(old)


def _as_row(a: Assignment) -> Placement:
    return [a.course, a.session, a.day, a.period, a.room]


def _locked_draft(timetable: Timetable, base_version: int | None) -> Timetable:
    """The draft, its row locked for this edit; 409 when it is not a draft or someone else changed it."""
    timetable = Timetable.objects.select_for_update(of=("self",)).select_related("organization", "generation_job").get(
        pk=timetable.pk)
    if timetable.status != TimetableStatus.DRAFT:
        raise Refused(409, f"timetable {timetable.pk} is {timetable.status}: edits go to a draft (POST "
                       f"/api/timetable/timetables/{timetable.pk}/draft/ makes one)", field="timetable_id")
    if base_version is not None and base_version != timetable.slots_version:
        raise Refused(409, f"someone else changed this draft (version {timetable.slots_version}, your edit was made "
                       f"on version {base_version}); reload", field="base_version",
                       slots_version=timetable.slots_version)
    return timetable


def _solution_with(solution: Solution, moved: list[Assignment]) -> Solution:
    by_key = {(a.course, a.session): a for a in moved}
    return solution.model_copy(update={"assignments": tuple(by_key.get((a.course, a.session), a)
                                                            for a in solution.assignments)})


def _checked(state: DraftState, timetable: Timetable, moved: list[Assignment]) -> tuple[Solution, Report]:
    """The checker's report of the draft after the edit; 400 when a hard rule is broken more than before."""
    solution = _solution_with(state.solution, moved)
    after = check(state.instance, solution)
    before = reports.report_of(timetable)
    worse = {r.value: n for r, n in after.hard.items() if n > int(before.hard.get(r.value, 0))}
    if worse:
        known = {tuple(o) for o in before.offenders}
        new = [[r.value, what] for r, items in after.offenders.items() if r.value in worse for what in items
               if (r.value, what) not in known]
        why = [b for a in moved for b in _breaches(state, a)]
        words = _reason(why) if why else "; ".join(f"{r}: {w}" for r, w in new[:5])
        raise Refused(400, f"refused: it breaks a hard rule: {words}", field="day", rules=sorted(worse),
                       breaches=[{"rule": b.rule.value, "detail": b.detail, "with": list(b.with_)} for b in why],
                       offenders=new[:50])
    return solution, after


def _breaches(state: DraftState, a: Assignment) -> list[Any]:
    """The candidate query's reasons (rule and with whom) for putting ``a`` where it is asked to go."""
    try:
        found = state.index.query(a.course, a.session, swaps=False)
    except KeyError:
        return []
    slot = next((s for s in found.slots if (s.day, s.period) == (a.day, a.period)), None)
    if slot is None:
        return []
    room = next((r for r in slot.taken_rooms if r.room == a.room), None)
    return list(slot.breaches) + (list(room.breaches) if room else [])


def _write(timetable: Timetable, instance: Instance, placements: list[Placement]) -> None:
    grid = instance.grid
    org = timetable.organization
    courses = dict(am.Course.objects.filter(organization=org, code__in=[p[0] for p in placements]).values_list(
        "code", "pk"))
    lengths = {c.id: c.session_length for c in instance.courses}
    rooms = dict(am.Room.objects.filter(organization=org, code__in=[p[4] for p in placements if p[4]]).values_list(
        "code", "pk"))
    for course, session, day, period, room in placements:
        last = min(period + lengths.get(course, 1) - 1, grid.n_periods - 1)
        TimetableSlot.objects.filter(timetable=timetable, course_id=courses.get(course), session=session).update(
            day=day, period=period, start_time=grid.periods[period].start, end_time=grid.periods[last].end,
            room_id=rooms.get(room) if room else None)


def _store(timetable: Timetable, state: DraftState, after: dict[str, Any],
           checked: tuple[Solution, Report] | None) -> dict[str, Any]:
    """Write the placements and locks, bump the slots version, store the report; the new state is cached."""
    placements = after["placements"]
    _write(timetable, state.instance, placements)
    Timetable.objects.filter(pk=timetable.pk).update(locks=after["locks"])
    bump_slots_version([timetable.pk])
    timetable.refresh_from_db(fields=["slots_version", "locks"])
    if checked is not None:
        solution, report = checked
    else:
        solution = _solution_with(state.solution, [Assignment(course=p[0], session=p[1], day=p[2], period=p[3],
                                                              room=p[4]) for p in placements])
        report = check(state.instance, solution)
    stored = reports.compute(timetable, timetable.slots_version, state.instance, solution, checked=report)
    _remember(timetable, (timetable.slots_version, datachange.fingerprint(timetable.organization)),
              DraftState(state.instance, solution))
    return state_json(timetable, stored, placements)


def state_json(timetable: Timetable, report: Any, changed: list[Placement] = ()) -> dict[str, Any]:
    edits = TimetableEdit.objects.filter(timetable=timetable)
    return {
        "timetable_id": timetable.pk, "slots_version": timetable.slots_version, "status": timetable.status,
        "report": {"hard_total": report.hard_total, "hard": report.hard, "soft_cost": report.soft_cost},
        "changed": [dict(zip(("course", "session", "day", "period", "room"), p, strict=True)) for p in changed],
        "locks": timetable.locks, "can_undo": edits.filter(undone=False).exists(),
        "can_redo": edits.filter(undone=True).exists(),
    }


def undo_redo(timetable: Timetable, redo: bool, base_version: int | None) -> dict[str, Any]:
    """Undo the last edit not undone, or redo the first undone one; 409 when there is none."""
    with transaction.atomic():
        timetable = _locked_draft(timetable, base_version)
        edits = TimetableEdit.objects.filter(timetable=timetable)
        edit = edits.filter(undone=True).order_by("id").first() if redo else \
            edits.filter(undone=False).order_by("-id").first()
        if edit is None:
            raise Refused(409, f"nothing to {'redo' if redo else 'undo'} in this draft", field="op")
        state = state_of(timetable)
        side = edit.after if redo else edit.before
        edit.undone = not redo
        edit.save(update_fields=["undone"])
        result = _store(timetable, state, side, None)
        return {**result, "edit": {"op": edit.op, "summary": edit.summary, "undone": edit.undone}}
