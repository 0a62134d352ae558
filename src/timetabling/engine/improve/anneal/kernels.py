"""The compiled core of the annealing: placing a session, a move's clash count, a full count and the search
loop. Every kernel takes the bundles of ``bundles.py`` (instance arrays, weights, one chain's state, its work
arrays) instead of dozens of arrays; the per-day rules are in ``daily.py``."""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from timetabling.engine.improve.anneal.daily import daily_row, double_day, row_day
from timetabling.engine.improve.anneal.kempe import kempe_ops


@njit(cache=True, nogil=True)
def seed(value):
    np.random.seed(value)


@njit(cache=True, nogil=True, inline="always")
def _place(i, s, r, sign, p, w, st):
    """Add (sign 1) or remove (sign -1) session ``i`` at start ``s`` in room ``r``: occupancy, the course's days
    and rooms. Returns (d_hard, d_soft) of everything but the per row and day rules (see ``daily.row_day``) and the
    double sessions (see ``daily.double_day``)."""
    n_len = p.length[i]
    c = p.course[i]
    occ = st.occ
    rocc = st.rocc
    owner = st.owner
    bocc = st.bocc
    dh = 0
    ds = 0
    for k in range(p.res_ptr[i], p.res_ptr[i + 1]):
        row = p.res_list[k]
        for t in range(s, s + n_len):
            if sign > 0:
                if occ[row, t] >= 1:
                    dh += 1
                occ[row, t] += 1
            else:
                if occ[row, t] >= 2:
                    dh -= 1
                occ[row, t] -= 1
        if p.row_kind[row] == 2:
            st.bst[row, s] += sign
            st.blen[row, s] += sign * n_len
            if r >= 0 and bocc.shape[0] > 1:
                for t in range(s, s + n_len):
                    bocc[row, t, p.room_bld[r]] += sign
    if r >= 0:
        for t in range(s, s + n_len):
            if sign > 0:
                if rocc[r, t] >= 1:
                    dh += 1
                else:
                    owner[r, t] = i  # the first session in a room slot owns it (a clash leaves the owner)
                rocc[r, t] += 1
            else:
                if rocc[r, t] >= 2:
                    dh -= 1
                rocc[r, t] -= 1
                if owner[r, t] == i:
                    owner[r, t] = -1
        ds += sign * p.cap_cost[i, r]
        croom = st.croom
        nrooms = st.nrooms
        before = nrooms[c]
        if sign > 0:
            if croom[c, r] == 0:
                nrooms[c] += 1
            croom[c, r] += 1
        else:
            croom[c, r] -= 1
            if croom[c, r] == 0:
                nrooms[c] -= 1
        if w.stab > 0:
            ds += w.stab * (max(0, nrooms[c] - 1) - max(0, before - 1))
    cday = st.cday
    ndays = st.ndays
    day = s // w.n_periods
    before_days = ndays[c]
    before_count = cday[c, day]
    if sign > 0:
        if cday[c, day] == 0:
            ndays[c] += 1
        cday[c, day] += 1
    else:
        cday[c, day] -= 1
        if cday[c, day] == 0:
            ndays[c] -= 1
    min_days = p.min_days
    if w.days > 0:
        ds += w.days * (max(0, min_days[c] - ndays[c]) - max(0, min_days[c] - before_days))
    w_cday = w.flags[2]
    if w_cday != 0:
        limit = p.course_max_day[c]
        change = max(0, cday[c, day] - limit) - max(0, before_count - limit)
        if w_cday < 0:
            dh += change
        else:
            ds += w_cday * change
    ds += sign * p.pref_cost[i, s]
    if w.flags[5] != 0:
        if sign > 0:
            st.pos_start[i] = s
            st.pos_room[i] = r
        else:
            st.pos_start[i] = -1
    return dh, ds


@njit(cache=True, nogil=True, inline="always")
def _clashes_of_move(i, s0, r0, s1, r1, p, st):
    """Change in clash units (resource rows and rooms) when session ``i`` moves from (s0, r0) to (s1, r1)."""
    n_len = p.length[i]
    occ = st.occ
    rocc = st.rocc
    d = 0
    for k in range(p.res_ptr[i], p.res_ptr[i + 1]):
        row = p.res_list[k]
        for t in range(s0, s0 + n_len):
            if occ[row, t] >= 2:
                d -= 1
        for t in range(s1, s1 + n_len):
            o = occ[row, t]
            if s0 <= t < s0 + n_len:
                o -= 1
            if o >= 1:
                d += 1
    if r0 >= 0:
        for t in range(s0, s0 + n_len):
            if rocc[r0, t] >= 2:
                d -= 1
    if r1 >= 0:
        for t in range(s1, s1 + n_len):
            o = rocc[r1, t]
            if r1 == r0 and s0 <= t < s0 + n_len:
                o -= 1
            if o >= 1:
                d += 1
    return d


@njit(cache=True, nogil=True)
def count_all(p, w, st):
    """Place every session on empty counters; ``acc[0:2]``: hard units and soft cost of the timetable."""
    hard = 0
    soft = 0
    start = st.start
    room = st.room
    for i in range(len(start)):
        dh, ds = _place(i, start[i], room[i], 1, p, w, st)
        hard += dh
        soft += ds
    # blocked room slots start at 1: a session there is a clash, counted above. Each course's missing days
    # were counted down from an empty timetable, where every day is missing
    if w.days > 0:
        for c in range(len(p.min_days)):
            soft += w.days * p.min_days[c]
    n_days = st.rd_hard.shape[1]
    for row in range(len(p.row_kind)):
        if daily_row(row, p, w):
            for d in range(n_days):
                h, s_ = row_day(row, d, p, w, st)
                st.rd_hard[row, d] = h
                st.rd_soft[row, d] = s_
                hard += h
                soft += s_
    w_dbl = w.flags[5]
    if w_dbl != 0:
        for c in range(len(p.double)):
            if p.double[c]:
                for d in range(n_days):
                    u = double_day(c, d, p, w, st)
                    st.dd[c, d] = u
                    if w_dbl < 0:
                        hard += u
                    else:
                        soft += w_dbl * u
    st.acc[0] = hard
    st.acc[1] = soft


@njit(cache=True, nogil=True, inline="always")
def _daily_delta(n_ops, p, w, st, wk, stamp):
    """Recount the daily rules of every (row, day) and double-session (course, day) the changes in ``wk.ops``
    touched (already applied to the counters): the new values go to ``wk.pair_*``; returns (pairs, d_hard,
    d_soft). ``seen[row, day] == stamp`` marks the pairs recounted in this call (``stamp``: new per call)."""
    n_periods = w.n_periods
    ops = wk.ops
    seen = wk.seen
    n_pairs = 0
    dh = 0
    ds = 0
    for q in range(n_ops):
        m = ops[q, 0]
        d = ops[q, 1] // n_periods
        for k in range(p.res_ptr[m], p.res_ptr[m + 1]):
            row = p.res_list[k]
            if not daily_row(row, p, w):
                continue
            if seen[row, d] == stamp:
                continue
            seen[row, d] = stamp
            h, s_ = row_day(row, d, p, w, st)
            wk.pair_row[n_pairs] = row
            wk.pair_day[n_pairs] = d
            wk.pair_h[n_pairs] = h
            wk.pair_s[n_pairs] = s_
            n_pairs += 1
            dh += h - st.rd_hard[row, d]
            ds += s_ - st.rd_soft[row, d]
    w_dbl = w.flags[5]
    if w_dbl != 0:
        for q in range(n_ops):
            c = p.course[ops[q, 0]]
            d = ops[q, 1] // n_periods
            if not p.double[c] or wk.cseen[c, d] == stamp:
                continue
            wk.cseen[c, d] = stamp
            u = double_day(c, d, p, w, st)
            wk.pair_row[n_pairs] = -1 - c
            wk.pair_day[n_pairs] = d
            wk.pair_h[n_pairs] = 0
            wk.pair_s[n_pairs] = u
            n_pairs += 1
            if w_dbl < 0:
                dh += u - st.dd[c, d]
            else:
                ds += w_dbl * (u - st.dd[c, d])
    return n_pairs, dh, ds


@njit(cache=True, nogil=True, _nrt=False)
def search(p, w, st, wk, iterations, temperature, keep_room, hard_weight, kempe):
    """``iterations`` moves at ``temperature``. Compiled without numba's reference counting (``_nrt=False``): with
    it, every helper inlined here took and dropped a reference to each array it was handed, an atomic
    operation per array and call that was half of the run time (perf, ITC comp05; numba's refcount pruning does
    not reach across branches, numba/numba#2350). So nothing here allocates: the work arrays come from the
    chain, and arrays are copied element by element."""
    movable = st.movable
    n_mov = len(movable)
    if n_mov == 0:
        return
    start = st.start
    room = st.room
    rocc = st.rocc
    owner = st.owner
    acc = st.acc
    ops = wk.ops
    length = p.length
    frozen = p.frozen
    hard = acc[0]
    soft = acc[1]
    wk.mark[:] = -1
    wk.claim[:] = -1
    wk.seen[:] = -1
    wk.cseen[:] = -1
    stamp = 0  # of the current Kempe chain, in ``mark`` and ``claim``
    recount = 0  # of the current move's daily recount, in ``seen``
    for _ in range(iterations):
        i = movable[np.random.randint(n_mov)]
        s0 = start[i]
        r0 = room[i]
        n_st = p.start_ptr[i + 1] - p.start_ptr[i]
        s1 = p.start_list[p.start_ptr[i] + np.random.randint(n_st)]
        # Metropolis with one draw: the move is taken when its cost change is at most ``threshold``
        u = np.random.random()
        threshold = -temperature * math.log(u) if u > 0.0 else 1e18
        kempe_move = kempe > 0.0 and hard == 0 and np.random.random() < kempe
        if kempe_move:
            if s1 == s0:
                continue
            stamp += 1
            n_ops = kempe_ops(i, s1, p, st, wk, stamp)
            if n_ops == 0:
                continue
        else:
            n_rm = p.room_ptr[i + 1] - p.room_ptr[i]
            if n_rm == 0:
                r1 = -1
            elif r0 >= 0 and np.random.random() < keep_room:
                r1 = r0
            else:
                r1 = p.room_list[p.room_ptr[i] + np.random.randint(n_rm)]
            if s1 == s0 and r1 == r0:
                continue
            # the session holding room r1 at s1 swaps with i when it can
            j = -1
            if r1 >= 0 and rocc[r1, s1] == 1:
                o = owner[r1, s1]
                if (o >= 0 and o != i and not frozen[o] and start[o] == s1 and room[o] == r1
                        and length[o] == length[i] and p.allowed_start[o, s0] and r0 >= 0 and p.allowed_room[o, r0]):
                    j = o
            if j < 0 and hard_weight > threshold:
                # most moves that make a clash are refused: count the clashes first, without moving anything
                quick = _clashes_of_move(i, s0, r0, s1, r1, p, st)
                if hard_weight * quick > threshold:
                    acc[2] += 1
                    continue
            # the move as removals and additions: i leaves, j leaves, i arrives, j arrives
            ops[0, 0], ops[0, 1], ops[0, 2], ops[0, 3] = i, s0, r0, -1
            n_ops = 1
            if j >= 0:
                ops[1, 0], ops[1, 1], ops[1, 2], ops[1, 3] = j, s1, r1, -1
                n_ops = 2
            ops[n_ops, 0], ops[n_ops, 1], ops[n_ops, 2], ops[n_ops, 3] = i, s1, r1, 1
            n_ops += 1
            if j >= 0:
                ops[n_ops, 0], ops[n_ops, 1], ops[n_ops, 2], ops[n_ops, 3] = j, s0, r0, 1
                n_ops += 1
        acc[2] += 1
        recount += 1
        dh = 0
        ds = 0
        for q in range(n_ops):
            h, s_ = _place(ops[q, 0], ops[q, 1], ops[q, 2], ops[q, 3], p, w, st)
            dh += h
            ds += s_
        # a move that makes clashes is mostly refused before its daily rules are counted
        go = hard_weight * dh <= threshold
        n_pairs = 0
        if go:
            n_pairs, h, s_ = _daily_delta(n_ops, p, w, st, wk, recount)
            dh += h
            ds += s_
            go = hard_weight * dh + ds <= threshold
        if go:
            hard += dh
            soft += ds
            for q in range(n_ops):
                if ops[q, 3] > 0:
                    start[ops[q, 0]] = ops[q, 1]
                    room[ops[q, 0]] = ops[q, 2]
            for q in range(n_pairs):
                row = wk.pair_row[q]
                if row >= 0:
                    st.rd_hard[row, wk.pair_day[q]] = wk.pair_h[q]
                    st.rd_soft[row, wk.pair_day[q]] = wk.pair_s[q]
                else:
                    st.dd[-1 - row, wk.pair_day[q]] = wk.pair_s[q]
            acc[3] += 1
            if kempe_move:
                acc[4] += 1
            if hard == 0 and soft < st.best[0]:
                st.best[0] = soft
                for k in range(len(start)):  # an element loop: a slice copy would need numba's allocator
                    st.best_start[k] = start[k]
                    st.best_room[k] = room[k]
            continue
        # undo, last change first
        for q in range(n_ops - 1, -1, -1):
            _place(ops[q, 0], ops[q, 1], ops[q, 2], -ops[q, 3], p, w, st)
    acc[0] = hard
    acc[1] = soft
