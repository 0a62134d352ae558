"""Map a CB-CTT instance under a formulation onto the native model, as far as the native rules reach.

- teacher -> :class:`Faculty` whose hour limits cannot bind; curriculum -> :class:`Batch` of size 0;
- course -> :class:`Course` of one-period sessions, ``size`` = its students, its unavailability;
- room -> :class:`Room` with its building; a course's room constraints -> in UD4 (hard) a required feature
  ``allowed:<course>`` that only its allowed rooms carry, in UD3 (3 per lecture) ``Course.avoid_rooms``
  (rule ``room_avoided``);
- the daily lecture range -> each batch's ``min_per_day`` and ``max_per_day``;
- the formulation's weights -> :class:`Rules`: room capacity, minimum working days, isolated lectures,
  windows (``batch_idle``), room stability, student load (``batch_daily_load``), travel between
  buildings (``batch_travel``) and double lectures (``course_double_sessions``).

Every native rule here is in the checker, the CP-SAT model and the annealer (which does most of the
optimising on instances of this size); the rule catalogue (``engine/rules.py``) names each one's term.
"""

from __future__ import annotations

from timetabling.engine.ectt.formulations import Formulation, formulation
from timetabling.engine.formats.ectt import EcttInstance, Lecture
from timetabling.engine.formats.itc2007 import itc_faculty, itc_grid
from timetabling.engine.model import ALWAYS_HARD, Batch, Course, Instance, Room, Rule, Rules, Slot, Solution

__all__ = ["NOT_OPTIMISED", "RULE_OF", "lectures_of", "rules_for", "to_instance"]

# the native rule that carries each soft component
RULE_OF: dict[str, Rule] = {
    "RoomCapacity": Rule.ROOM_CAPACITY,
    "MinWorkingDays": Rule.COURSE_MIN_DAYS,
    "IsolatedLectures": Rule.ISOLATED_SESSION,
    "CurriculumCompactness": Rule.BATCH_IDLE,
    "RoomStability": Rule.ROOM_STABILITY,
    "StudentLoad": Rule.BATCH_DAILY_LOAD,
    "TravelDistance": Rule.BATCH_TRAVEL,
    "DoubleLectures": Rule.COURSE_DOUBLE_SESSIONS,
    "RoomConstraints": Rule.ROOM_AVOIDED,  # when soft (UD3); hard ones (UD4) become a required room feature
}
NOT_OPTIMISED: tuple[str, ...] = ()  # components the native rules do not carry (none left)


def rules_for(f: Formulation) -> Rules:
    """The formulation's weights as native rules; every native rule it does not name is off."""
    weights = dict.fromkeys(
        (Rule.FACULTY_PREFERENCE, Rule.FACULTY_DAILY_HOURS, Rule.FACULTY_WEEKLY_HOURS, Rule.FACULTY_CONSECUTIVE,
         Rule.COURSE_MAX_PER_DAY, *RULE_OF.values()),
        0,
    )  # fmt: skip
    for component, weight in f.weights.items():
        if component in RULE_OF:
            weights[RULE_OF[component]] = weight
    return Rules(hard=ALWAYS_HARD, weights=weights)


def to_instance(inst: EcttInstance, which: str | Formulation = "UD2") -> Instance:
    """The native instance that the solver optimises for formulation ``which``."""
    f = formulation(which) if isinstance(which, str) else which
    avoided: dict[str, set[str]] = {}  # course -> rooms it may not use
    for c, r in inst.room_constraints:
        avoided.setdefault(c, set()).add(r)
    forbidden = avoided if "RoomConstraints" in f.hard else {}  # hard (UD4): a feature only allowed rooms carry
    avoid = avoided if "RoomConstraints" in f.weights else {}  # soft (UD3): rule room_avoided
    features: dict[str, set[str]] = {r.id: set() for r in inst.rooms}
    for cid, rooms in forbidden.items():
        for r in inst.rooms:
            if r.id not in rooms:
                features[r.id].add(f"allowed:{cid}")
    attending: dict[str, list[str]] = {}
    for q in inst.curricula:
        for cid in q.courses:
            attending.setdefault(cid, []).append(q.id)
    unavailable: dict[str, set[Slot]] = {}
    for cid, d, p in inst.unavailable:
        unavailable.setdefault(cid, set()).add(Slot(d, p))
    n_slots = inst.n_days * inst.n_periods
    teachers = dict.fromkeys(c.teacher for c in inst.courses)
    return Instance(
        name=inst.name,
        grid=itc_grid(inst.n_days, inst.n_periods),
        rooms=tuple(
            Room(id=r.id, capacity=r.capacity, type="lecture", building=r.building, features=frozenset(features[r.id]))
            for r in inst.rooms
        ),
        faculty=tuple(itc_faculty(t, n_slots, inst.n_periods) for t in teachers),
        batches=tuple(
            Batch(id=q.id, size=0, min_per_day=inst.min_daily, max_per_day=inst.max_daily) for q in inst.curricula
        ),
        courses=tuple(
            Course(
                id=c.id,
                faculty=(c.teacher,),
                sessions_per_week=c.lectures,
                max_per_day=c.lectures,
                min_days=c.min_days,
                room_features=frozenset({f"allowed:{c.id}"} if c.id in forbidden else ()),
                batches=tuple(attending.get(c.id, ())),
                size=c.students,
                unavailable=frozenset(unavailable.get(c.id, ())),
                double_sessions=c.double_lectures,
                avoid_rooms=frozenset(avoid.get(c.id, ())),
            )
            for c in inst.courses
        ),
        rules=rules_for(f),
    )


def lectures_of(solution: Solution) -> list[Lecture]:
    """A native solution's sessions as ``course room day period`` lectures."""
    return [Lecture(a.course, a.room or "", a.day, a.period) for a in solution.assignments]
