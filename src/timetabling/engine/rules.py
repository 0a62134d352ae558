"""The rule catalogue: every rule once, with its hardness, default weight and meaning, and what each optimiser
counts it with.

The checker (``checker/rules.py``), the CP-SAT model (``solver/cpmodel.py``), the annealing
(``improve/anneal/problem.py``) and the genetic fitness (``improve/genetic.py``) each register a term per
rule with ``register``, or a ``NotNeeded`` that says why the rule needs none there (a rule that optimiser
keeps by construction, say). ``missing`` names the rules an optimiser has neither for; a test walks the
catalogue and fails on any, so a new rule cannot be left out of one optimiser silently.

Adding a soft rule: its ``Rule`` member and default weight (``model.py``), its entry here, and one term in
each of the four files above.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from timetabling.engine.model import ALWAYS_HARD, DEFAULT_HARD, DEFAULT_WEIGHTS, Rule


class Optimiser(StrEnum):
    CHECKER = "checker"
    CPSAT = "cpsat"
    ANNEAL = "anneal"
    GENETIC = "genetic"


@dataclass(frozen=True)
class NotNeeded:
    """An optimiser needs no term for a rule, and ``why``."""

    why: str


@dataclass(frozen=True)
class RuleSpec:
    rule: Rule
    description: str  # what one penalty unit is

    @property
    def always_hard(self) -> bool:
        return self.rule in ALWAYS_HARD

    @property
    def hard_by_default(self) -> bool:
        return self.rule in DEFAULT_HARD

    @property
    def default_weight(self) -> int:
        """The weight when an instance makes the rule soft without one (0: off)."""
        return DEFAULT_WEIGHTS.get(self.rule, 0)


_DESCRIPTIONS: dict[Rule, str] = {
    Rule.FACULTY_CLASH: "a faculty member teaching two sessions at once (or two sessions of a course overlapping):"
    " one per pair and period",
    Rule.BATCH_CLASH: "a batch in two sessions at once: one per pair and period",
    Rule.STUDENT_CLASH: "a student enrolled in two sessions at once: one per student, pair and period",
    Rule.ROOM_CLASH: "a room holding two sessions at once: one per extra session and period",
    Rule.ROOM_TYPE: "a session without a room of its type, features and department: one per session",
    Rule.UNAVAILABLE: "a session in a period its course, faculty or room is unavailable: one per period",
    Rule.LAB_BLOCK: "a multi-period session leaving its day or crossing a break: one per session",
    Rule.UNSCHEDULED: "a session not placed: one per missing session",
    Rule.ROOM_CAPACITY: "a room too small for the course: hard, one per session; soft, one per student over",
    Rule.FACULTY_DAILY_HOURS: "a faculty member over their periods a day: one per extra period",
    Rule.FACULTY_WEEKLY_HOURS: "a faculty member over their periods a week: one per extra period",
    Rule.FACULTY_CONSECUTIVE: "a faculty member over their periods in a row: one per extra period",
    Rule.COURSE_MAX_PER_DAY: "a course over its sessions a day: one per extra session",
    Rule.COURSE_MIN_DAYS: "a course on fewer days than its minimum: one per missing day",
    Rule.FACULTY_PREFERENCE: "a faculty member teaching in a slot they like less: its preference units per period",
    Rule.BATCH_IDLE: "a free period between a batch's first and last session of a day: one per period",
    Rule.ISOLATED_SESSION: "a batch session with no batch session right before or after it: one per session",
    Rule.ROOM_STABILITY: "a course in more than one room: one per room beyond the first",
    Rule.BATCH_DAILY_LOAD: "a batch's day with sessions below its minimum or above its maximum: one per session",
    Rule.BATCH_TRAVEL: "a batch changing building between consecutive periods: one per change",
    Rule.COURSE_DOUBLE_SESSIONS: "a double-session course's session without a partner right before or after it"
    " in the same room, on a day with two or more: one per session",
    Rule.ROOM_AVOIDED: "a session in a room its course avoids: one per session",
}

CATALOGUE: dict[Rule, RuleSpec] = {rule: RuleSpec(rule, _DESCRIPTIONS[rule]) for rule in Rule}

_TERMS: dict[Optimiser, dict[Rule, object]] = {o: {} for o in Optimiser}


def register(optimiser: Optimiser, terms: dict[Rule, object]) -> None:
    """Record ``optimiser``'s term (a function, or a ``NotNeeded``) for each rule in ``terms``."""
    unknown = [r for r in terms if r not in CATALOGUE]
    if unknown:
        raise ValueError(f"{optimiser}: rules not in the catalogue: {', '.join(map(str, unknown))}")
    _TERMS[optimiser].update(terms)


def terms(optimiser: Optimiser) -> dict[Rule, object]:
    """What ``optimiser`` registered, per rule (its module must be imported)."""
    return dict(_TERMS[optimiser])


def missing(optimiser: Optimiser) -> list[Rule]:
    """The catalogue's rules ``optimiser`` registered neither a term nor a ``NotNeeded`` for."""
    return [rule for rule in CATALOGUE if rule not in _TERMS[optimiser]]
