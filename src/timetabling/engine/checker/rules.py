"""One function per rule, named after it: each counts its penalty units and names its offenders.

Units follow the ITC-2007 validator where the two meet (clashes per period and pair, room occupation
per room and period, 1 per student over capacity, 1 per missing working day, 1 per isolated lecture of
a curriculum, 1 per extra room of a course).

Longer than 400 lines on purpose: one short function per rule (the checker column of engine/rules.py's
catalogue), kept side by side so the units can be compared.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable
from typing import NamedTuple

from timetabling.engine.checker.placement import Timeline
from timetabling.engine.model import Rule
from timetabling.engine.rules import Optimiser, register


class Tally(NamedTuple):
    units: int
    offenders: list[str]


# ----------------------------------------------------------------------------------------- hard rules


def unscheduled(t: Timeline) -> Tally:
    """Each course has exactly ``sessions_per_week`` sessions at distinct start slots."""
    units, offenders = 0, []
    for c in t.inst.courses:
        placed = len(t.by_course.get(c.id, ()))
        if placed != c.sessions_per_week:
            units += abs(placed - c.sessions_per_week)
            offenders.append(f"course {c.id}: {placed} of {c.sessions_per_week} sessions placed")
    return Tally(units, offenders)


def _pair_clashes(t: Timeline, kinds: tuple[str, ...]) -> Tally:
    """Overlapping pairs linked first by one of ``kinds``: one unit per pair and period."""
    units, offenders = 0, []
    for slot, i, j in t.overlapping_pairs:
        link = t.linked_by(i, j)
        if link is not None and link[0] in kinds:
            units += 1
            a, b = t.sessions[i].label, t.sessions[j].label
            offenders.append(f"{link[0]} {link[1]}: {a} and {b} at {t.at(slot)}")
    return Tally(units, offenders)


def faculty_clash(t: Timeline) -> Tally:
    """A faculty member teaches one session at a time (two sessions of one course also count here)."""
    return _pair_clashes(t, ("course", "faculty"))


def batch_clash(t: Timeline) -> Tally:
    """A batch attends one session at a time (pairs already counted as a faculty clash are not)."""
    return _pair_clashes(t, ("batch",))


def student_clash(t: Timeline) -> Tally:
    """A student attends one session at a time: pairs that only an individual enrolment links."""
    inst = t.inst
    course_slots: dict[str, list[tuple[int, int]]] = defaultdict(list)
    for i, s in enumerate(t.sessions):
        course_slots[s.course.id].extend((slot, i) for slot in s.slots)
    units = 0
    per_pair: dict[tuple[int, int, int], list[str]] = defaultdict(list)
    for courses, students in inst.student_groups.items():
        entries = [e for c in courses for e in course_slots.get(c, ())]
        if len({slot for slot, _ in entries}) == len(entries):
            continue  # nothing of this group overlaps
        at_slot: dict[int, list[int]] = defaultdict(list)
        for slot, i in entries:
            at_slot[slot].append(i)
        for slot, idx in at_slot.items():
            for a in range(len(idx)):
                for b in range(a + 1, len(idx)):
                    i, j = min(idx[a], idx[b]), max(idx[a], idx[b])
                    if t.linked_by(i, j) is None:
                        units += len(students)
                        per_pair[slot, i, j].extend(students)
    offenders = []
    for (slot, i, j), students in sorted(per_pair.items()):
        shown = ", ".join(students[:3]) + (f" (+{len(students) - 3} more)" if len(students) > 3 else "")
        offenders.append(
            f"{len(students)} student(s) {shown}: {t.sessions[i].label} and {t.sessions[j].label} at {t.at(slot)}"
        )
    return Tally(units, offenders)


def room_clash(t: Timeline) -> Tally:
    """A room holds one session at a time: ``k - 1`` per room and period with ``k`` sessions."""
    held: dict[tuple[str, int], list[int]] = defaultdict(list)
    for i, s in enumerate(t.sessions):
        if s.room is not None:
            for slot in s.slots:
                held[s.room.id, slot].append(i)
    units, offenders = 0, []
    for (room, slot), idx in sorted(held.items(), key=lambda kv: (kv[0][1], kv[0][0])):
        if len(idx) > 1:
            units += len(idx) - 1
            labels = ", ".join(t.sessions[i].label for i in idx)
            offenders.append(f"room {room}: {labels} at {t.at(slot)}")
    return Tally(units, offenders)


def room_capacity(t: Timeline) -> Tally:
    """A room seats the course. Hard: one per session too small; soft: one per student over capacity."""
    hard = t.inst.rules.is_hard(Rule.ROOM_CAPACITY)
    sizes = t.inst.course_size
    units, offenders = 0, []
    for s in t.sessions:
        if s.room is None:
            continue
        over = sizes[s.course.id] - s.room.capacity
        if over > 0:
            units += 1 if hard else over
            offenders.append(f"room {s.room.id} ({s.room.capacity} seats): {s.label} has {sizes[s.course.id]} students")
    return Tally(units, offenders)


def room_type(t: Timeline) -> Tally:
    """A session has a room (when there are rooms) of its type, with its features, open to its department."""
    units, offenders = 0, []
    has_rooms = bool(t.inst.rooms)
    for s in t.sessions:
        c, r = s.course, s.room
        if r is None:
            why = "no room" if has_rooms else ""
        elif r.type != c.room_type:
            why = f"room {r.id} is a {r.type}, not a {c.room_type}"
        elif not c.room_features <= r.features:
            why = f"room {r.id} lacks {', '.join(sorted(c.room_features - r.features))}"
        elif c.department is not None and not r.usable_by(c.department):
            why = f"room {r.id} belongs to department {r.department}"
        else:
            why = ""
        if why:
            units += 1
            offenders.append(f"{s.label}: {why}")
    return Tally(units, offenders)


def unavailable(t: Timeline) -> Tally:
    """No session in a period when its course, one of its faculty or its room is unavailable."""
    inst = t.inst
    units, offenders = 0, []
    for s in t.sessions:
        blocked = [s.course.unavailable] + [inst.faculty_by_id[f].unavailable for f in s.course.faculty]
        if s.room is not None:
            blocked.append(s.room.unavailable)
        bad = [p for p in s.periods if any((s.day, p) in b for b in blocked if b)]
        if bad:
            units += len(bad)
            where = ", ".join(t.grid.slot_label((s.day, p)) for p in bad)
            offenders.append(f"{s.label}: unavailable at {where}")
    return Tally(units, offenders)


def lab_block(t: Timeline) -> Tally:
    """A multi-period session stays inside its day and does not cross a break."""
    units, offenders = 0, []
    for s in t.sessions:
        if not t.grid.block_fits(s.start, s.course.session_length):
            units += 1
            offenders.append(
                f"{s.label}: {s.course.session_length} periods from {t.grid.slot_label((s.day, s.start))} "
                "leave the day or cross a break"
            )
    return Tally(units, offenders)


def _faculty_day_periods(t: Timeline) -> dict[tuple[str, int], list[int]]:
    """(faculty, day) -> periods taught, one entry per session and period."""
    out: dict[tuple[str, int], list[int]] = defaultdict(list)
    for f, idx in t.by_faculty.items():
        for i in idx:
            s = t.sessions[i]
            out[f, s.day].extend(s.periods)
    return out


def faculty_daily_hours(t: Timeline) -> Tally:
    """A faculty member teaches at most ``max_hours_per_day`` periods a day: one unit per extra period."""
    units, offenders = 0, []
    for (f, day), periods in sorted(_faculty_day_periods(t).items()):
        limit = t.inst.faculty_by_id[f].max_hours_per_day
        if len(periods) > limit:
            units += len(periods) - limit
            offenders.append(f"faculty {f}: {len(periods)} periods on {t.grid.days[day]} (max {limit})")
    return Tally(units, offenders)


def faculty_weekly_hours(t: Timeline) -> Tally:
    """A faculty member teaches at most ``max_hours_per_week`` periods: one unit per extra period."""
    units, offenders = 0, []
    for f, idx in sorted(t.by_faculty.items()):
        taught = sum(len(t.sessions[i].periods) for i in idx)
        limit = t.inst.faculty_by_id[f].max_hours_per_week
        if taught > limit:
            units += taught - limit
            offenders.append(f"faculty {f}: {taught} periods a week (max {limit})")
    return Tally(units, offenders)


def faculty_consecutive(t: Timeline) -> Tally:
    """At most ``max_consecutive`` periods in a row (a break ends a run): one unit per extra period."""
    breaks = t.grid.break_after
    units, offenders = 0, []
    for (f, day), periods in sorted(_faculty_day_periods(t).items()):
        limit = t.inst.faculty_by_id[f].max_consecutive
        run_start, prev = None, None
        for p in [*sorted(set(periods)), None]:
            if p is None or prev is None or p != prev + 1 or prev in breaks:
                if prev is not None and run_start is not None and prev - run_start + 1 > limit:
                    run = prev - run_start + 1
                    units += run - limit
                    offenders.append(
                        f"faculty {f}: {run} periods in a row from {t.grid.slot_label((day, run_start))} (max {limit})"
                    )
                run_start = p
            prev = p
    return Tally(units, offenders)


def course_max_per_day(t: Timeline) -> Tally:
    """A course has at most ``max_per_day`` sessions a day: one unit per extra session."""
    units, offenders = 0, []
    for c in t.inst.courses:
        days = Counter(t.sessions[i].day for i in t.by_course.get(c.id, ()))
        for day, n in sorted(days.items()):
            if n > c.max_per_day:
                units += n - c.max_per_day
                offenders.append(f"course {c.id}: {n} sessions on {t.grid.days[day]} (max {c.max_per_day})")
    return Tally(units, offenders)


# ----------------------------------------------------------------------------------------- soft rules


def course_min_days(t: Timeline) -> Tally:
    """A course spreads over at least ``min_days`` days: one unit per missing day."""
    units, offenders = 0, []
    for c in t.inst.courses:
        days = len({t.sessions[i].day for i in t.by_course.get(c.id, ())})
        if days < c.min_days:
            units += c.min_days - days
            offenders.append(f"course {c.id}: {days} day(s), wants {c.min_days}")
    return Tally(units, offenders)


def faculty_preference(t: Timeline) -> Tally:
    """Faculty teach in the slots they like best: per taught period, the units of its slot's level above the
    best level they state (``Instance.preference_penalty``; 1 per period outside "preferred" slots)."""
    inst = t.inst
    n = inst.grid.n_periods
    units, offenders = 0, []
    for s in t.sessions:
        for f in s.course.faculty:
            row = inst.preference_row(f)
            if row is None:
                continue
            cost = int(sum(row[s.day * n + p] for p in s.periods))
            if cost:
                units += cost
                if inst.faculty_by_id[f].preferences:
                    levels = inst.faculty_by_id[f].levels()
                    named = sorted({str(levels.get((s.day, p), "neutral")) for p in s.periods if row[s.day * n + p]})
                    offenders.append(f"faculty {f}: {s.label} costs {cost} at {', '.join(named)} slot(s)")
                else:
                    offenders.append(f"faculty {f}: {s.label} has {cost} period(s) outside preferences")
    return Tally(units, offenders)


def _batch_day_periods(t: Timeline) -> dict[tuple[str, int], set[int]]:
    """(batch, day) -> distinct periods the batch is in a session."""
    out: dict[tuple[str, int], set[int]] = defaultdict(set)
    for b, idx in t.by_batch.items():
        for i in idx:
            s = t.sessions[i]
            out[b, s.day].update(s.periods)
    return out


def batch_idle(t: Timeline) -> Tally:
    """A batch's day has no gaps: one unit per free period between its first and last session."""
    units, offenders = 0, []
    for (b, day), periods in sorted(_batch_day_periods(t).items()):
        idle = max(periods) - min(periods) + 1 - len(periods)
        if idle:
            units += idle
            offenders.append(f"batch {b}: {idle} idle period(s) on {t.grid.days[day]}")
    return Tally(units, offenders)


def isolated_session(t: Timeline) -> Tally:
    """A batch session has another batch session right before or after it (ITC curriculum compactness)."""
    breaks, n_periods = t.grid.break_after, t.grid.n_periods
    occupied = _batch_day_periods(t)
    units, offenders = 0, []
    for b, idx in sorted(t.by_batch.items()):
        for i in idx:
            s = t.sessions[i]
            busy = occupied[b, s.day]
            first, last = s.periods[0], s.periods[-1]
            before = first > 0 and (first - 1) not in breaks and (first - 1) in busy
            after = last + 1 < n_periods and last not in breaks and (last + 1) in busy
            if not (before or after):
                units += 1
                offenders.append(f"batch {b}: {s.label} isolated at {t.grid.slot_label((s.day, s.start))}")
    return Tally(units, offenders)


def room_stability(t: Timeline) -> Tally:
    """A course keeps one room: one unit per distinct room beyond the first."""
    units, offenders = 0, []
    for c in t.inst.courses:
        rooms = {t.sessions[i].room.id for i in t.by_course.get(c.id, ()) if t.sessions[i].room is not None}
        if len(rooms) > 1:
            units += len(rooms) - 1
            offenders.append(f"course {c.id}: {len(rooms)} rooms ({', '.join(sorted(rooms))})")
    return Tally(units, offenders)


def batch_daily_load(t: Timeline) -> Tally:
    """A batch's day with sessions has between its ``min_per_day`` and ``max_per_day`` sessions (0: no
    limit): one unit per session below the minimum or above the maximum."""
    units, offenders = 0, []
    for b, idx in sorted(t.by_batch.items()):
        batch = t.inst.batch_by_id[b]
        if not (batch.min_per_day or batch.max_per_day):
            continue
        for day, n in sorted(Counter(t.sessions[i].day for i in idx).items()):
            excess = n - batch.max_per_day if batch.max_per_day else 0
            short = batch.min_per_day - n
            if excess > 0 or short > 0:
                units += max(excess, short)
                limits = f"{batch.min_per_day}-{batch.max_per_day or 'any'}"
                offenders.append(f"batch {b}: {n} session(s) on {t.grid.days[day]} (wants {limits})")
    return Tally(units, offenders)


def batch_travel(t: Timeline) -> Tally:
    """A batch changes building only with a free period or a break between: one unit per change between
    two consecutive periods of a day."""
    breaks = t.grid.break_after
    units, offenders = 0, []
    for b, idx in sorted(t.by_batch.items()):
        where: dict[tuple[int, int], set[str]] = defaultdict(set)
        for i in idx:
            s = t.sessions[i]
            if s.room is not None:
                for p in s.periods:
                    where[s.day, p].add(s.room.building)
        for (day, p), here in sorted(where.items()):
            there = where.get((day, p + 1))
            if there and p not in breaks and any(x != y for x in here for y in there):
                units += 1
                offenders.append(
                    f"batch {b}: building {'/'.join(sorted(here))} -> {'/'.join(sorted(there))} "
                    f"after {t.grid.slot_label((day, p))}"
                )
    return Tally(units, offenders)


def course_double_sessions(t: Timeline) -> Tally:
    """A double-session course's sessions on a day with two or more come in pairs: each session needs one
    of the course right before or after it (no break between) in the same room; one unit per session
    without."""
    units, offenders = 0, []
    for c in t.inst.courses:
        if not c.double_sessions:
            continue
        by_day: dict[int, list[int]] = defaultdict(list)
        for i in t.by_course.get(c.id, ()):
            by_day[t.sessions[i].day].append(i)
        for idx in by_day.values():
            if len(idx) < 2:
                continue
            held = {(t.sessions[i].start, t.sessions[i].room.id if t.sessions[i].room else None) for i in idx}
            for i in idx:
                s, n = t.sessions[i], c.session_length
                room = s.room.id if s.room else None
                before = s.start - n >= 0 and (s.start - n, room) in held and (s.start - 1) not in t.grid.break_after
                after = (s.start + n, room) in held and (s.start + n - 1) not in t.grid.break_after
                if room is None or not (before or after):
                    units += 1
                    offenders.append(f"course {c.id}: {s.label} at {t.grid.slot_label((s.day, s.start))} is unpaired")
    return Tally(units, offenders)


def room_avoided(t: Timeline) -> Tally:
    """A course stays out of its ``avoid_rooms``: one unit per session in one of them."""
    units, offenders = 0, []
    for s in t.sessions:
        if s.room is not None and s.room.id in s.course.avoid_rooms:
            units += 1
            offenders.append(f"{s.label}: room {s.room.id} is one its course avoids")
    return Tally(units, offenders)


# ------------------------------------------------------------------------------------------- registry

RuleCheck = Callable[[Timeline], Tally]

HARD_RULES: dict[Rule, RuleCheck] = {
    Rule.UNSCHEDULED: unscheduled,
    Rule.FACULTY_CLASH: faculty_clash,
    Rule.BATCH_CLASH: batch_clash,
    Rule.STUDENT_CLASH: student_clash,
    Rule.ROOM_CLASH: room_clash,
    Rule.ROOM_TYPE: room_type,
    Rule.UNAVAILABLE: unavailable,
    Rule.LAB_BLOCK: lab_block,
    Rule.ROOM_CAPACITY: room_capacity,
    Rule.FACULTY_DAILY_HOURS: faculty_daily_hours,
    Rule.FACULTY_WEEKLY_HOURS: faculty_weekly_hours,
    Rule.FACULTY_CONSECUTIVE: faculty_consecutive,
    Rule.COURSE_MAX_PER_DAY: course_max_per_day,
}
SOFT_RULES: dict[Rule, RuleCheck] = {
    Rule.COURSE_MIN_DAYS: course_min_days,
    Rule.FACULTY_PREFERENCE: faculty_preference,
    Rule.BATCH_IDLE: batch_idle,
    Rule.ISOLATED_SESSION: isolated_session,
    Rule.ROOM_STABILITY: room_stability,
    Rule.BATCH_DAILY_LOAD: batch_daily_load,
    Rule.BATCH_TRAVEL: batch_travel,
    Rule.COURSE_DOUBLE_SESSIONS: course_double_sessions,
    Rule.ROOM_AVOIDED: room_avoided,
}
# every rule the checker knows, hard by default first; an instance may make the hard-by-default ones soft
RULES: dict[Rule, RuleCheck] = HARD_RULES | SOFT_RULES
register(Optimiser.CHECKER, RULES)
