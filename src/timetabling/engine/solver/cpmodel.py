"""The CP-SAT model: one boolean per (course, start slot), optionally per (course, start slot, room).

Sessions of one course are interchangeable, so the model decides *which start slots a course uses*
(``x[c, t]``, with ``sum_t x[c, t] == sessions_per_week``) instead of numbering sessions. With
``with_rooms`` the room is chosen in the same model (``y[c, t, r]``); otherwise rooms are assigned
afterwards per day (see ``rooms.py``) and this model only keeps, for every slot, the sessions needing a
set of rooms within the number of those rooms that are free.

Each rule is one function ``add_<rule>``; hard rules become constraints (with an enforcement literal per
(rule, entity) when ``explain`` is on, so an infeasible model can name what blocks it), soft rules return
penalty terms; the objective is assembled in one place.

Longer than 400 lines on purpose: one ``add_*`` encoder per rule (the CP-SAT column of engine/rules.py's
catalogue), side by side with the variables they share.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

import numpy as np
from ortools.sat.python import cp_model

from timetabling.engine.model import Instance, Rule
from timetabling.engine.rules import NotNeeded, Optimiser, register
from timetabling.engine.timetable.domains import Domains

LinearTerm = tuple[cp_model.LinearExprT, int]


@dataclass
class TimeModel:
    instance: Instance
    domains: Domains
    with_rooms: bool
    explain: bool
    model: cp_model.CpModel = field(default_factory=cp_model.CpModel)
    x: dict[tuple[str, int], cp_model.IntVar] = field(default_factory=dict)
    y: dict[tuple[str, int, str], cp_model.IntVar] = field(default_factory=dict)
    penalties: dict[Rule, list[LinearTerm]] = field(default_factory=lambda: defaultdict(list))
    extra_objective: list[LinearTerm] = field(default_factory=list)  # terms a caller adds (e.g. repair's moves)
    assumptions: dict[int, str] = field(default_factory=dict)  # literal index -> "rule: entity"
    _lits: dict[str, cp_model.IntVar] = field(default_factory=dict)

    # ---- helpers

    def occ(self, course: str, slot: int) -> list[cp_model.IntVar]:
        """Literals whose truth means course ``course`` occupies flat slot ``slot``."""
        return [self.x[course, t] for t in self.domains.covers.get((course, slot), ())]

    def enforce(self, ct: cp_model.Constraint, rule: Rule, entity: str) -> None:
        """In explain mode, make ``ct`` conditional on an assumption literal for (rule, entity)."""
        if not self.explain:
            return
        key = f"{rule.value}: {entity}"
        lit = self._lits.get(key)
        if lit is None:
            lit = self.model.NewBoolVar(f"enforce[{key}]")
            self._lits[key] = lit
            self.assumptions[lit.Index()] = key
        ct.OnlyEnforceIf(lit)

    def at_most(self, terms: list, bound: int, rule: Rule, entity: str) -> None:
        if len(terms) <= bound:
            return
        if bound == 1 and not self.explain:
            self.model.AddAtMostOne(terms)
            return
        self.enforce(self.model.Add(sum(terms) <= bound), rule, entity)

    def limit(self, terms: list, bound: int, rule: Rule, entity: str, name: str) -> None:
        """``sum(terms) <= bound`` when ``rule`` is hard; a weighted excess penalty when soft."""
        if len(terms) <= bound:
            return
        rules = self.instance.rules
        if rules.is_hard(rule):
            self.at_most(terms, bound, rule, entity)
        elif rules.weight(rule) > 0:
            excess = self.model.NewIntVar(0, len(terms), f"excess[{name}]")
            self.model.Add(excess >= sum(terms) - bound)
            self.penalties[rule].append((excess, 1))

    def day_slots(self, day: int) -> range:
        n = self.instance.grid.n_periods
        return range(day * n, (day + 1) * n)

    def adjacent(self, slot: int) -> bool:
        """True when flat slot ``slot`` and ``slot + 1`` are consecutive periods with no break."""
        grid = self.instance.grid
        _day, period = grid.slot_of(slot)
        return period + 1 < grid.n_periods and period not in grid.break_after


def build(
    instance: Instance, domains: Domains, *, with_rooms: bool, explain: bool = False, soft: bool = True,
    customise: Callable[[TimeModel], None] | None = None,
) -> TimeModel:
    """The model of ``instance``; ``soft=False`` leaves the soft rules out (a feasibility model).

    ``customise`` runs after the rules and before the objective is assembled: it may add constraints and
    ``tm.extra_objective`` terms (taken as they are, not multiplied by a rule's weight)."""
    tm = TimeModel(instance, domains, with_rooms, explain)
    add_variables(tm)
    for rule_fn in HARD_RULES:
        rule_fn(tm)
    for rule_fn in SOFT_RULES if soft else ():
        rule_fn(tm)
    if customise is not None:
        customise(tm)
    objective: list[LinearTerm] = list(tm.extra_objective)
    for rule, terms in tm.penalties.items():
        w = instance.rules.weight(rule)
        objective.extend((expr, coef * w) for expr, coef in terms)
    if objective:
        tm.model.Minimize(sum(coef * expr for expr, coef in objective))
    return tm


def add_variables(tm: TimeModel) -> None:
    grid = tm.instance.grid
    for c in tm.instance.courses:
        fixed = {grid.slot_index(s) for s in c.fixed}
        for t in tm.domains.starts[c.id]:
            v = tm.model.NewBoolVar(f"x[{c.id},{t}]")
            tm.x[c.id, t] = v
            if t in fixed:
                tm.model.Add(v == 1)
        if tm.with_rooms:
            rooms = [tm.instance.room_by_id[r] for r in tm.domains.rooms.get(c.id, ())]
            for t in tm.domains.starts[c.id]:
                span = [grid.slot_of(u) for u in range(t, t + c.session_length)]
                ys = []
                for r in rooms:
                    if any(s in r.unavailable for s in span):
                        continue
                    y = tm.model.NewBoolVar(f"y[{c.id},{t},{r.id}]")
                    tm.y[c.id, t, r.id] = y
                    ys.append(y)
                tm.model.Add(sum(ys) == tm.x[c.id, t])


# ------------------------------------------------------------------------------------- hard rules


def add_unscheduled(tm: TimeModel) -> None:
    """Every course gets exactly its weekly number of sessions."""
    for c in tm.instance.courses:
        xs = [tm.x[c.id, t] for t in tm.domains.starts[c.id]]
        ct = tm.model.Add(sum(xs) == c.sessions_per_week)
        tm.enforce(ct, Rule.UNSCHEDULED, f"course {c.id}")


def add_course_overlap(tm: TimeModel) -> None:
    """Two sessions of one course never overlap (matters for multi-period sessions)."""
    for c in tm.instance.courses:
        if c.session_length == 1:
            continue
        for u in range(tm.instance.grid.n_slots):
            tm.at_most(tm.occ(c.id, u), 1, Rule.FACULTY_CLASH, f"course {c.id}")


def add_faculty_clash(tm: TimeModel) -> None:
    """A faculty member teaches one session at a time."""
    for f, courses in tm.instance.courses_of_faculty.items():
        _one_per_slot(tm, courses, Rule.FACULTY_CLASH, f"faculty {f}")


def add_batch_clash(tm: TimeModel) -> None:
    """A batch attends one session at a time."""
    for b, courses in tm.instance.courses_of_batch.items():
        _one_per_slot(tm, courses, Rule.BATCH_CLASH, f"batch {b}")


def add_student_clash(tm: TimeModel) -> None:
    """A student attends one session at a time: one constraint per distinct course set."""
    for i, courses in enumerate(tm.domains.student_sets):
        _one_per_slot(tm, sorted(courses), Rule.STUDENT_CLASH, f"student group {i} ({', '.join(sorted(courses))})")


def _one_per_slot(tm: TimeModel, courses: Iterable[str], rule: Rule, entity: str) -> None:
    courses = list(courses)
    if len(courses) < 2 and all(tm.instance.course_by_id[c].session_length == 1 for c in courses):
        return
    for u in range(tm.instance.grid.n_slots):
        terms = [lit for c in courses for lit in tm.occ(c, u)]
        tm.at_most(terms, 1, rule, entity)


def add_room_clash(tm: TimeModel) -> None:
    """A room holds one session at a time (rooms chosen in this model)."""
    if not tm.with_rooms:
        return
    covering: dict[tuple[str, int], list[cp_model.IntVar]] = defaultdict(list)
    for (c, t, r), y in tm.y.items():
        for u in range(t, t + tm.instance.course_by_id[c].session_length):
            covering[r, u].append(y)
    for (r, _u), ys in covering.items():
        tm.at_most(ys, 1, Rule.ROOM_CLASH, f"room {r}")


def add_room_supply(tm: TimeModel) -> None:
    """Rooms chosen later: per slot, sessions that need a set of rooms fit in that set's free rooms.

    For each distinct set S of compatible rooms, the courses whose rooms all lie in S compete for S.
    These are necessary conditions of the per-slot room matching (Hall's condition on these sets).
    Sets share most of their members (a department's rooms plus the shared pool), so each set's own
    courses are summed once per slot into ``load[S, u]`` and a set's condition adds up the loads of its
    subsets. A condition that clash rules already imply (fewer mutually clashing groups of member courses
    than free rooms) is left out.
    """
    if tm.with_rooms or not tm.instance.rooms:
        return
    inst = tm.instance
    own: dict[frozenset[str], list[str]] = defaultdict(list)
    for c in inst.courses:
        own[frozenset(tm.domains.rooms.get(c.id, ()))].append(c.id)
    own.pop(frozenset(), None)  # no room at all: diagnostics name the course; the room phase reports it
    n_slots = inst.grid.n_slots
    group = _clash_group(inst)
    group_ids = {g: i for i, g in enumerate(sorted(set(group.values())))}
    covers = np.zeros((len(inst.courses), n_slots), dtype=bool)
    row = {c.id: i for i, c in enumerate(inst.courses)}
    for c in inst.courses:
        for t in tm.domains.starts[c.id]:
            covers[row[c.id], t : t + c.session_length] = True
    loads: dict[tuple[frozenset[str], int], cp_model.IntVar] = {}

    def load(room_set: frozenset[str], u: int) -> cp_model.IntVar | None:
        key = (room_set, u)
        if key not in loads:
            lits = [lit for c in own[room_set] for lit in tm.occ(c, u)]
            if not lits:
                loads[key] = None
            else:
                v = tm.model.NewIntVar(0, len(lits), f"room_load[{len(loads)}]")
                tm.model.Add(v == cp_model.LinearExpr.Sum(lits))
                loads[key] = v
        return loads[key]

    for room_set in own:
        subsets = [s for s in own if s <= room_set]
        members = [c for s in subsets for c in own[s]]
        rooms = [inst.room_by_id[r] for r in room_set]
        # per slot, how many clash groups of member courses could be there: an upper bound on sessions
        groups = np.array([group_ids[group[c]] for c in members])
        _, local = np.unique(groups, return_inverse=True)
        busy = np.zeros((local.max() + 1, n_slots), dtype=bool)
        np.logical_or.at(busy, local, covers[[row[c] for c in members]])
        possible = busy.sum(axis=0)
        for u in range(n_slots):
            slot = inst.grid.slot_of(u)
            free = sum(1 for r in rooms if slot not in r.unavailable)
            if possible[u] <= free:
                continue  # at most one session per clash group at a time: never more than ``free``
            terms = [v for s in subsets if (v := load(s, u)) is not None]
            ct = tm.model.Add(cp_model.LinearExpr.Sum(terms) <= free)
            tm.enforce(ct, Rule.ROOM_CLASH, f"rooms {_room_set_label(room_set)}")


def _clash_group(inst: Instance) -> dict[str, str]:
    """Course -> a group of courses that never run at the same time (its largest batch, else its busiest
    faculty member, else itself): batch and faculty clashes are always hard."""
    out = {}
    for c in inst.courses:
        options = [(len(inst.courses_of_batch[b]), f"batch {b}") for b in c.batches]
        options += [(len(inst.courses_of_faculty[f]), f"faculty {f}") for f in c.faculty]
        out[c.id] = max(options)[1] if options else f"course {c.id}"
    return out


def _room_set_label(room_set: frozenset[str]) -> str:
    ids = sorted(room_set)
    return ", ".join(ids) if len(ids) <= 4 else f"{', '.join(ids[:3])} and {len(ids) - 3} more"


def add_faculty_hours(tm: TimeModel) -> None:
    """Faculty daily and weekly teaching limits, and at most ``max_consecutive`` periods in a row."""
    inst = tm.instance
    grid = inst.grid
    for f in inst.faculty:
        courses = inst.courses_of_faculty[f.id]
        if not courses:
            continue
        week = [lit for c in courses for u in range(grid.n_slots) for lit in tm.occ(c, u)]
        weekly_load = sum(inst.course_by_id[c].periods_per_week for c in courses)
        if weekly_load > f.max_hours_per_week:
            tm.limit(week, f.max_hours_per_week, Rule.FACULTY_WEEKLY_HOURS, f"faculty {f.id}", f"week,{f.id}")
        for d in range(grid.n_days):
            if weekly_load > f.max_hours_per_day:
                day = [lit for c in courses for u in tm.day_slots(d) for lit in tm.occ(c, u)]
                tm.limit(day, f.max_hours_per_day, Rule.FACULTY_DAILY_HOURS, f"faculty {f.id}", f"day,{f.id},{d}")
            if weekly_load > f.max_consecutive:
                for window in _windows(tm, d, f.max_consecutive + 1):
                    terms = [lit for c in courses for u in window for lit in tm.occ(c, u)]
                    tm.limit(
                        terms, f.max_consecutive, Rule.FACULTY_CONSECUTIVE, f"faculty {f.id}",
                        f"consec,{f.id},{window[0]}",
                    )


def _windows(tm: TimeModel, day: int, size: int) -> list[list[int]]:
    """Runs of ``size`` consecutive flat slots of ``day`` not crossing a break."""
    slots = list(tm.day_slots(day))
    out = []
    for i in range(len(slots) - size + 1):
        window = slots[i : i + size]
        if all(tm.adjacent(u) for u in window[:-1]):
            out.append(window)
    return out


def add_course_max_per_day(tm: TimeModel) -> None:
    """At most ``max_per_day`` sessions of a course on one day."""
    for c in tm.instance.courses:
        if c.max_per_day >= c.sessions_per_week:
            continue
        for d in range(tm.instance.grid.n_days):
            xs = [tm.x[c.id, t] for t in tm.day_slots(d) if (c.id, t) in tm.x]
            tm.limit(xs, c.max_per_day, Rule.COURSE_MAX_PER_DAY, f"course {c.id}", f"maxday,{c.id},{d}")


HARD_RULES = (
    add_unscheduled,
    add_course_overlap,
    add_faculty_clash,
    add_batch_clash,
    add_student_clash,
    add_room_clash,
    add_room_supply,
    add_faculty_hours,
    add_course_max_per_day,
)


# ------------------------------------------------------------------------------------- soft rules


def add_course_min_days(tm: TimeModel) -> None:
    """Sessions of a course spread over at least ``min_days`` distinct days."""
    rules = tm.instance.rules
    hard = rules.is_hard(Rule.COURSE_MIN_DAYS)
    if not hard and rules.weight(Rule.COURSE_MIN_DAYS) == 0:
        return
    for c in tm.instance.courses:
        if c.min_days <= 1:
            continue
        used = []
        for d in range(tm.instance.grid.n_days):
            xs = [tm.x[c.id, t] for t in tm.day_slots(d) if (c.id, t) in tm.x]
            if not xs:
                continue
            # day_used == OR(xs), both ways, so the penalty below is exact in every solution
            on = tm.model.NewBoolVar(f"day_used[{c.id},{d}]")
            tm.model.AddBoolOr(xs).OnlyEnforceIf(on)
            for v in xs:
                tm.model.AddImplication(v, on)
            used.append(on)
        if hard:
            tm.enforce(tm.model.Add(sum(used) >= c.min_days), Rule.COURSE_MIN_DAYS, f"course {c.id}")
        else:
            missing = tm.model.NewIntVar(0, c.min_days, f"missing_days[{c.id}]")
            tm.model.AddMaxEquality(missing, [0, c.min_days - sum(used)])
            tm.penalties[Rule.COURSE_MIN_DAYS].append((missing, 1))


def add_faculty_preference(tm: TimeModel) -> None:
    """Each taught period costs its slot's preference units (``Instance.preference_penalty``) per faculty."""
    inst = tm.instance
    if inst.rules.weight(Rule.FACULTY_PREFERENCE) == 0:
        return
    for c in inst.courses:
        rows = [row for f in c.faculty if (row := inst.preference_row(f)) is not None]
        if not rows:
            continue
        for t in tm.domains.starts[c.id]:
            cost = int(sum(row[t : t + c.session_length].sum() for row in rows))
            if cost:
                tm.penalties[Rule.FACULTY_PREFERENCE].append((tm.x[c.id, t], cost))


def _batch_occupancy(tm: TimeModel) -> dict[str, list[list]]:
    """Batch -> per flat slot, the literals of its sessions occupying the slot."""
    return {
        b: [[lit for c in courses for lit in tm.occ(c, u)] for u in range(tm.instance.grid.n_slots)]
        for b, courses in tm.instance.courses_of_batch.items()
        if courses
    }


def add_isolated_session(tm: TimeModel) -> None:
    """A batch's session with no batch session in the period before or after costs one point.

    Batches never clash (a hard rule), so at most one batch session starts at a slot and every slot's
    occupancy is 0 or 1: ``isolated == starts here AND NOT busy before AND NOT busy after`` exactly,
    one boolean per (batch, start slot, session length).
    """
    if tm.instance.rules.weight(Rule.ISOLATED_SESSION) == 0:
        return
    n = tm.instance.grid.n_slots
    for b, occ in _batch_occupancy(tm).items():
        starting: dict[tuple[int, int], list[cp_model.IntVar]] = defaultdict(list)
        for c in tm.instance.courses_of_batch[b]:
            length = tm.instance.course_by_id[c].session_length
            for t in tm.domains.starts[c]:
                starting[t, length].append(tm.x[c, t])
        for (t, length), xs in sorted(starting.items()):
            last = t + length - 1
            before = occ[t - 1] if t > 0 and tm.adjacent(t - 1) else []
            after = occ[last + 1] if last + 1 < n and tm.adjacent(last) else []
            iso = tm.model.NewBoolVar(f"isolated[{b},{t},{length}]")
            tm.model.Add(iso <= sum(xs))
            if before:
                tm.model.Add(iso + sum(before) <= 1)
            if after:
                tm.model.Add(iso + sum(after) <= 1)
            tm.model.Add(iso >= sum(xs) - sum(before) - sum(after))
            tm.penalties[Rule.ISOLATED_SESSION].append((iso, 1))


def add_batch_idle(tm: TimeModel) -> None:
    """Each free period between a batch's first and last session of a day costs one point."""
    if tm.instance.rules.weight(Rule.BATCH_IDLE) == 0:
        return
    grid = tm.instance.grid
    for b, occ in _batch_occupancy(tm).items():
        for d in range(grid.n_days):
            slots = list(tm.day_slots(d))
            if sum(len(occ[u]) for u in slots) == 0:
                continue
            started = []  # started[i]: some session at or before slots[i]
            for i, u in enumerate(slots):
                s = tm.model.NewBoolVar(f"started[{b},{u}]")
                for lit in occ[u]:
                    tm.model.AddImplication(lit, s)
                if i:
                    tm.model.AddImplication(started[-1], s)
                started.append(s)
            pending = [None] * len(slots)  # pending[i]: some session at or after slots[i]
            for i in reversed(range(len(slots))):
                e = tm.model.NewBoolVar(f"pending[{b},{slots[i]}]")
                for lit in occ[slots[i]]:
                    tm.model.AddImplication(lit, e)
                if i + 1 < len(slots):
                    tm.model.AddImplication(pending[i + 1], e)
                pending[i] = e
            for i in range(1, len(slots) - 1):
                idle = tm.model.NewBoolVar(f"idle[{b},{slots[i]}]")
                tm.model.Add(idle >= started[i - 1] + pending[i + 1] - 1 - sum(occ[slots[i]]))
                tm.penalties[Rule.BATCH_IDLE].append((idle, 1))


def add_batch_daily_load(tm: TimeModel) -> None:
    """Each session of a batch's day below its ``min_per_day`` (on a day with sessions) or above its
    ``max_per_day`` costs one point."""
    if tm.instance.rules.weight(Rule.BATCH_DAILY_LOAD) == 0:
        return
    for b, courses in tm.instance.courses_of_batch.items():
        batch = tm.instance.batch_by_id[b]
        if not courses or not (batch.min_per_day or batch.max_per_day):
            continue
        for d in range(tm.instance.grid.n_days):
            day = tm.day_slots(d)
            starts = [tm.x[c, t] for c in courses for t in tm.domains.starts[c] if t in day]
            if not starts:
                continue
            n = sum(starts)
            if batch.max_per_day and len(starts) > batch.max_per_day:
                over = tm.model.NewIntVar(0, len(starts), f"load_over[{b},{d}]")
                tm.model.Add(over >= n - batch.max_per_day)
                tm.penalties[Rule.BATCH_DAILY_LOAD].append((over, 1))
            if batch.min_per_day > 1:
                # short >= min - n on a day with sessions; a day without any costs nothing
                busy = tm.model.NewBoolVar(f"load_busy[{b},{d}]")
                tm.model.Add(n >= 1).OnlyEnforceIf(busy)
                tm.model.Add(n == 0).OnlyEnforceIf(busy.Not())
                short = tm.model.NewIntVar(0, batch.min_per_day, f"load_short[{b},{d}]")
                tm.model.Add(short >= batch.min_per_day - n).OnlyEnforceIf(busy)
                tm.penalties[Rule.BATCH_DAILY_LOAD].append((short, 1))


def add_batch_travel(tm: TimeModel) -> None:
    """Each change of building between two consecutive periods of a batch costs one point (rooms chosen in
    this model). Batches never clash, so a batch is in at most one building a period."""
    inst = tm.instance
    buildings = sorted({r.building for r in inst.rooms})
    if not tm.with_rooms or len(buildings) < 2 or inst.rules.weight(Rule.BATCH_TRAVEL) == 0:
        return
    building_of = {r.id: r.building for r in inst.rooms}
    y_by_start: dict[tuple[str, int], list[tuple[str, cp_model.IntVar]]] = defaultdict(list)
    for (c, t, r), y in tm.y.items():
        y_by_start[c, t].append((building_of[r], y))
    for b, courses in inst.courses_of_batch.items():
        inside: list[dict[str, list]] = []  # per flat slot, building -> literals of the batch there
        for u in range(inst.grid.n_slots):
            at: dict[str, list] = defaultdict(list)
            for c in courses:
                for t in tm.domains.covers.get((c, u), ()):
                    for building, y in y_by_start[c, t]:
                        at[building].append(y)
            inside.append(at)
        for u in range(inst.grid.n_slots - 1):
            if not tm.adjacent(u) or not inside[u] or not inside[u + 1]:
                continue
            move = None
            for here, ys in inside[u].items():
                away = [y for there, zs in inside[u + 1].items() if there != here for y in zs]
                if away:
                    move = move if move is not None else tm.model.NewBoolVar(f"travel[{b},{u}]")
                    tm.model.Add(move >= sum(ys) + sum(away) - 1)
            if move is not None:
                tm.penalties[Rule.BATCH_TRAVEL].append((move, 1))


def add_course_double_sessions(tm: TimeModel) -> None:
    """Each session of a double-session course, on a day with two or more of its sessions, without one of
    the course right before or after it in the same room costs one point (rooms chosen in this model)."""
    inst = tm.instance
    hard = inst.rules.is_hard(Rule.COURSE_DOUBLE_SESSIONS)
    if not tm.with_rooms or not (hard or inst.rules.weight(Rule.COURSE_DOUBLE_SESSIONS)):
        return
    for c in inst.courses:
        if not c.double_sessions or c.sessions_per_week < 2:
            continue
        n = c.session_length
        for d in range(inst.grid.n_days):
            day = tm.day_slots(d)
            starts = [t for t in tm.domains.starts[c.id] if t in day]
            if len(starts) < 2:
                continue
            several = tm.model.NewBoolVar(f"several[{c.id},{d}]")  # two or more sessions this day
            count = sum(tm.x[c.id, t] for t in starts)
            tm.model.Add(count >= 2).OnlyEnforceIf(several)
            tm.model.Add(count <= 1).OnlyEnforceIf(several.Not())
            for t in starts:
                lonely = tm.model.NewBoolVar(f"unpaired[{c.id},{t}]")
                for r in inst.rooms:
                    y = tm.y.get((c.id, t, r.id))
                    if y is None:
                        continue
                    pairs = [
                        tm.y[c.id, u, r.id]
                        for u, gap in ((t - n, t - 1), (t + n, t + n - 1))
                        if u in day and tm.adjacent(gap) and (c.id, u, r.id) in tm.y
                    ]
                    tm.model.Add(lonely >= y - sum(pairs) + several - 1)
                if hard:
                    tm.enforce(tm.model.Add(lonely == 0), Rule.COURSE_DOUBLE_SESSIONS, f"course {c.id}")
                else:
                    tm.penalties[Rule.COURSE_DOUBLE_SESSIONS].append((lonely, 1))


def add_room_avoided(tm: TimeModel) -> None:
    """A session in a room its course avoids: forbidden when the rule is hard, one point when soft."""
    inst = tm.instance
    hard = inst.rules.is_hard(Rule.ROOM_AVOIDED)
    if not tm.with_rooms or not (hard or inst.rules.weight(Rule.ROOM_AVOIDED)):
        return
    for (c, _t, r), y in tm.y.items():
        if r in inst.course_by_id[c].avoid_rooms:
            if hard:
                tm.enforce(tm.model.Add(y == 0), Rule.ROOM_AVOIDED, f"course {c}")
            else:
                tm.penalties[Rule.ROOM_AVOIDED].append((y, 1))


def add_room_stability(tm: TimeModel) -> None:
    """Each distinct room of a course beyond the first costs one point (rooms chosen in this model)."""
    if not tm.with_rooms or tm.instance.rules.weight(Rule.ROOM_STABILITY) == 0:
        return
    by_course_room: dict[tuple[str, str], list[cp_model.IntVar]] = defaultdict(list)
    for (c, _t, r), y in tm.y.items():
        by_course_room[c, r].append(y)
    per_course: dict[str, list[cp_model.IntVar]] = defaultdict(list)
    for (c, r), ys in by_course_room.items():
        # room_used == OR(ys), both ways
        used = tm.model.NewBoolVar(f"room_used[{c},{r}]")
        tm.model.AddBoolOr(ys).OnlyEnforceIf(used)
        tm.model.Add(sum(ys) <= len(ys) * used)  # one constraint, not one implication per y: a smaller model
        per_course[c].append(used)
    for c, used in per_course.items():
        if len(used) > 1 and tm.instance.course_by_id[c].sessions_per_week > 0:
            # every session has a room, so at least one is used and the excess is exact
            extra = tm.model.NewIntVar(0, len(used) - 1, f"extra_rooms[{c}]")
            tm.model.Add(extra == sum(used) - 1)
            tm.penalties[Rule.ROOM_STABILITY].append((extra, 1))


def add_room_capacity_soft(tm: TimeModel) -> None:
    """When room capacity is soft: each student over the room's capacity costs one point."""
    inst = tm.instance
    if not tm.with_rooms or inst.rules.is_hard(Rule.ROOM_CAPACITY) or inst.rules.weight(Rule.ROOM_CAPACITY) == 0:
        return
    for (c, _t, r), y in tm.y.items():
        over = inst.course_size[c] - inst.room_by_id[r].capacity
        if over > 0:
            tm.penalties[Rule.ROOM_CAPACITY].append((y, over))


SOFT_RULES = (
    add_course_min_days,
    add_faculty_preference,
    add_isolated_session,
    add_batch_idle,
    add_room_stability,
    add_room_capacity_soft,
    add_batch_daily_load,
    add_batch_travel,
    add_course_double_sessions,
    add_room_avoided,
)

_BY_DOMAINS = "no variable exists for it: the start and room domains (timetable/domains.py) leave it out"
register(Optimiser.CPSAT, {
    Rule.UNSCHEDULED: add_unscheduled,
    Rule.FACULTY_CLASH: add_faculty_clash,  # and add_course_overlap
    Rule.BATCH_CLASH: add_batch_clash,
    Rule.STUDENT_CLASH: add_student_clash,
    Rule.ROOM_CLASH: add_room_clash,  # and add_room_supply when rooms are chosen later
    Rule.ROOM_TYPE: NotNeeded(_BY_DOMAINS),
    Rule.UNAVAILABLE: NotNeeded(_BY_DOMAINS + "; room variables skip a room's unavailable periods"),
    Rule.LAB_BLOCK: NotNeeded(_BY_DOMAINS),
    Rule.ROOM_CAPACITY: add_room_capacity_soft,  # hard: the room domains leave rooms too small out
    Rule.FACULTY_DAILY_HOURS: add_faculty_hours,
    Rule.FACULTY_WEEKLY_HOURS: add_faculty_hours,
    Rule.FACULTY_CONSECUTIVE: add_faculty_hours,
    Rule.COURSE_MAX_PER_DAY: add_course_max_per_day,
    Rule.COURSE_MIN_DAYS: add_course_min_days,
    Rule.FACULTY_PREFERENCE: add_faculty_preference,
    Rule.BATCH_IDLE: add_batch_idle,
    Rule.ISOLATED_SESSION: add_isolated_session,
    Rule.ROOM_STABILITY: add_room_stability,
    Rule.BATCH_DAILY_LOAD: add_batch_daily_load,
    Rule.BATCH_TRAVEL: add_batch_travel,
    Rule.COURSE_DOUBLE_SESSIONS: add_course_double_sessions,
    Rule.ROOM_AVOIDED: add_room_avoided,  # hard: the room domains leave the avoided rooms out as well
})
