"""Simulated annealing on a complete timetable, with exact incremental costs (compiled with numba).

CP-SAT finds the first timetable in seconds; from there a local search that tries millions of small moves
lowers the soft cost much further in the same time than re-solving neighbourhoods (see docs/benchmarks.md,
ITC-2007). The search works on the same sessions, resources and rules as the checker, so it serves native
instances and ITC-2007 alike:

- state: a start slot and a room per session; occupancy counts per resource row (course, faculty, batch,
  student clash group) and per room and slot, sessions per course and day, rooms per course;
- moves: a session to another allowed start and room; when one session of the same length holds that room
  there and may take the mover's place, the two swap (no room clash is made). On a clash-free timetable a
  share of the moves (``AnnealConfig.kempe``) are Kempe chain moves (``kempe.py``): the session goes to the
  other start, the sessions there that share a resource row with it come back to its start, and so on, so
  the chain makes no clash among its members (the moves that let a curriculum's lectures trade periods);
- cost: ``HARD_WEIGHT`` x hard units + the weighted soft rules, each move's change computed from the
  resource rows, days and rooms it touches. Clashes are allowed during the search (they are what lets it
  pass between timetables) but only clash-free timetables are kept as the best;
- rules: every soft rule of the checker (the catalogue, ``engine/rules.py``, names each one's term here) and
  the hard-by-default rules an instance may make soft (faculty daily hours and consecutive periods, course
  sessions per day); rules hard by construction (clashes, rooms a course may not use) are kept by the
  domains and the clash count;
- acceptance: Metropolis with one random draw per move, so the quick refusals of clash-making moves (counted
  before the daily rules) and the full test agree;
- temperature: exponential in the elapsed share of a cooling cycle, from ``t_start`` to ``t_end``. A long run
  cools several times (``AnnealConfig.cycle``): each later cycle starts every chain from the best timetable so
  far, since where one cooling ends depends much on its hot start.

Speed: the kernels (``kernels.py``, ``daily.py``, ``kempe.py``) take four bundles (``bundles.py``: the
instance arrays, the weights, one chain's state, its work arrays), allocate nothing per move and run without
numba's reference counting (``kernels.search``).
The independent checker has the last word on every result (``solve`` re-checks it before using it).
"""

from timetabling.engine.improve.anneal.problem import Problem
from timetabling.engine.improve.anneal.search import (
    CYCLE_PER_SESSION,
    MIN_CYCLE,
    T_END,
    T_START,
    AnnealConfig,
    AnnealResult,
    Chain,
    anneal,
    compiled_ready,
    cycles,
)

__all__ = [
    "CYCLE_PER_SESSION", "MIN_CYCLE", "T_END", "T_START", "AnnealConfig", "AnnealResult", "Chain", "Problem",
    "anneal", "compiled_ready", "cycles",
]
