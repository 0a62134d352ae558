"""The bundles the compiled kernels take (numba compiles a named tuple of arrays into one argument):

- ``Sessions``: the instance as flat arrays, fixed for a run (``problem.Problem`` builds it);
- ``Weights``: the rules the search counts; ``flags`` holds, per rule that may be hard, its soft weight (> 0),
  -1 when hard, 0 when off (``FLAG_*`` name the places);
- ``State``: one chain's timetable and counters (``search.Chain`` owns it);
- ``Work``: the search's scratch arrays, allocated once per chain: ``kernels.search`` runs without numba's
  reference counting, so nothing in it allocates.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

KIND_COURSE, KIND_FACULTY, KIND_BATCH, KIND_GROUP = 0, 1, 2, 3
# places in ``Weights.flags``
FLAG_FACULTY_DAY, FLAG_FACULTY_RUN, FLAG_COURSE_DAY, FLAG_BATCH_LOAD, FLAG_TRAVEL, FLAG_DOUBLE = 0, 1, 2, 3, 4, 5


class Sessions(NamedTuple):
    """The instance as flat arrays: per session, per resource row (course, faculty, batch, student clash group)."""

    course: np.ndarray  # (N,) course index of each session; a course's sessions are consecutive
    length: np.ndarray  # (N,) periods of each session
    res_ptr: np.ndarray  # CSR: the resource rows of each session
    res_list: np.ndarray
    row_ptr: np.ndarray  # CSR: the sessions of each resource row
    row_sessions: np.ndarray
    row_kind: np.ndarray  # KIND_* per row
    row_faculty: np.ndarray  # per faculty or batch row: its index in fac_max_day / fac_max_run
    fac_max_day: np.ndarray  # a faculty member's most periods a day, then each batch's most sessions a day
    fac_max_run: np.ndarray  # a faculty member's most periods in a row, then each batch's fewest sessions a day
    course_max_day: np.ndarray  # (C,)
    min_days: np.ndarray  # (C,)
    course_ptr: np.ndarray  # (C + 1,) first session of each course
    double: np.ndarray  # (C,) bool: a double-session course
    adjacent: np.ndarray  # (T,) bool: slot t and t + 1 are consecutive periods of one day
    pref_cost: np.ndarray  # (N, T) weighted faculty preference cost of each session at each start
    cap_cost: np.ndarray  # (N, rooms) weighted cost of each session in each room (capacity, avoided rooms)
    room_bld: np.ndarray  # building index of each room
    start_ptr: np.ndarray  # CSR: allowed starts of each session
    start_list: np.ndarray
    room_ptr: np.ndarray  # CSR: allowed rooms of each session
    room_list: np.ndarray
    allowed_start: np.ndarray  # (N, T) bool
    allowed_room: np.ndarray  # (N, rooms) bool
    frozen: np.ndarray  # (N,) bool: pinned by a fixed slot


class Weights(NamedTuple):
    n_periods: int
    idle: int  # batch idle periods
    iso: int  # isolated sessions
    days: int  # course minimum working days
    stab: int  # room stability
    flags: np.ndarray  # FLAG_*: > 0 soft weight, -1 hard, 0 off


class State(NamedTuple):
    """One timetable with its counters."""

    start: np.ndarray  # (N,) start slot of each session
    room: np.ndarray  # (N,) room of each session (-1: none)
    occ: np.ndarray  # (rows, T) sessions of each row in each slot
    bst: np.ndarray  # (rows, T) batch rows: sessions starting in each slot
    blen: np.ndarray  # (rows, T) batch rows: their periods
    rocc: np.ndarray  # (rooms, T) sessions in each room and slot (blocked slots start at 1)
    owner: np.ndarray  # (rooms, T) the first session in a room slot
    cday: np.ndarray  # (C, days) sessions of each course on each day
    ndays: np.ndarray  # (C,) days each course uses
    croom: np.ndarray  # (C, rooms) sessions of each course in each room
    nrooms: np.ndarray  # (C,) rooms each course uses
    rd_hard: np.ndarray  # (rows, days) hard units of each row's daily rules
    rd_soft: np.ndarray  # (rows, days) their soft cost
    bocc: np.ndarray  # (rows, T, buildings) batch rows: sessions in each building (travel; else one cell)
    pos_start: np.ndarray  # (N,) where each session is while a move is counted (-1: lifted); double sessions
    pos_room: np.ndarray  # (N,)
    dd: np.ndarray  # (C, days) unpaired sessions of each double-session course and day
    acc: np.ndarray  # hard, soft, moves, accepted, accepted Kempe chain moves
    best_start: np.ndarray
    best_room: np.ndarray
    best: np.ndarray  # (1,) soft cost of the best clash-free timetable
    movable: np.ndarray  # sessions a move may pick


class Work(NamedTuple):
    pair_row: np.ndarray  # (row, day) pairs a move recounts (row < 0: course -1 - row's double sessions)
    pair_day: np.ndarray
    pair_h: np.ndarray
    pair_s: np.ndarray
    ops: np.ndarray  # (ops, 4): session, start, room, +1 add / -1 remove
    chain: np.ndarray  # a Kempe chain's members
    side: np.ndarray
    mark: np.ndarray  # (N,)
    claim: np.ndarray  # (2, rooms)
    seen: np.ndarray  # (rows, days)
    cseen: np.ndarray  # (C, days)
