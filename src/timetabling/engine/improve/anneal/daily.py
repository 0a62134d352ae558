"""The rules counted per (row, day) and per (double-session course, day): what a move changes is recounted
for the rows, courses and days it touches (``kernels.search``)."""

from __future__ import annotations

from numba import njit


@njit(cache=True, nogil=True, inline="always")
def row_day(row, day, p, w, st):
    """(hard, soft) of one batch or faculty row on one day: idle periods, isolated sessions, daily load and
    travel of a batch; daily hours and consecutive periods of a faculty member."""
    n_periods = w.n_periods
    occ = st.occ
    bst = st.bst
    adjacent = p.adjacent
    flags = w.flags
    t0 = day * n_periods
    hard = 0
    soft = 0
    kind = p.row_kind[row]
    if kind == 2:
        if w.idle > 0:
            first = -1
            last = -1
            busy = 0
            for q in range(n_periods):
                if occ[row, t0 + q] > 0:
                    if first < 0:
                        first = q
                    last = q
                    busy += 1
            if first >= 0:
                soft += w.idle * (last - first + 1 - busy)
        if w.iso > 0:
            for q in range(n_periods):
                t = t0 + q
                k = bst[row, t]
                if k == 0:
                    continue
                length = st.blen[row, t] // k
                before = q > 0 and adjacent[t - 1] and occ[row, t - 1] > 0
                end = t + length - 1
                after = q + length < n_periods and adjacent[end] and occ[row, end + 1] > 0
                if not (before or after):
                    soft += w.iso * k
        w_load = flags[3]
        if w_load != 0:  # sessions of the day against the batch's most (fac_max_day) and fewest (fac_max_run)
            f = p.row_faculty[row]
            n = 0
            for q in range(n_periods):
                n += bst[row, t0 + q]
            units = 0
            if p.fac_max_day[f] > 0 and n > p.fac_max_day[f]:
                units = n - p.fac_max_day[f]
            elif 0 < n < p.fac_max_run[f]:
                units = p.fac_max_run[f] - n
            if units > 0:
                if w_load < 0:
                    hard += units
                else:
                    soft += w_load * units
        w_travel = flags[4]
        bocc = st.bocc
        if w_travel != 0 and bocc.shape[0] > 1:  # a change of building between consecutive periods
            moves = 0
            n_b = bocc.shape[2]
            for q in range(n_periods - 1):
                t = t0 + q
                if not adjacent[t]:
                    continue
                moved = False
                for a in range(n_b):
                    if bocc[row, t, a] > 0:
                        for b in range(n_b):
                            if b != a and bocc[row, t + 1, b] > 0:
                                moved = True
                if moved:
                    moves += 1
            if w_travel < 0:
                hard += moves
            else:
                soft += w_travel * moves
    elif kind == 1:
        f = p.row_faculty[row]
        w_day = flags[0]
        w_run = flags[1]
        if w_day != 0:
            total = 0
            for q in range(n_periods):
                total += occ[row, t0 + q]
            excess = total - p.fac_max_day[f]
            if excess > 0:
                if w_day < 0:
                    hard += excess
                else:
                    soft += w_day * excess
        if w_run != 0:
            limit = p.fac_max_run[f]
            run = 0
            excess = 0
            for q in range(n_periods):
                t = t0 + q
                if occ[row, t] > 0:
                    run += 1
                else:
                    if run > limit:
                        excess += run - limit
                    run = 0
                if not adjacent[t]:
                    if run > limit:
                        excess += run - limit
                    run = 0
            if run > limit:
                excess += run - limit
            if excess > 0:
                if w_run < 0:
                    hard += excess
                else:
                    soft += w_run * excess
    return hard, soft


@njit(cache=True, nogil=True, inline="always")
def double_day(c, day, p, w, st):
    """Unpaired sessions of double-session course ``c`` on ``day`` (the checker's ``course_double_sessions``): on
    a day with two or more of its sessions, each needs one of the course right before or after it (no break
    between) in the same room."""
    lo = p.course_ptr[c]
    hi = p.course_ptr[c + 1]
    t0 = day * w.n_periods
    t1 = t0 + w.n_periods
    count = 0
    for i in range(lo, hi):
        if t0 <= st.pos_start[i] < t1:
            count += 1
    if count < 2:
        return 0
    n = p.length[lo]
    units = 0
    for i in range(lo, hi):
        s = st.pos_start[i]
        if not t0 <= s < t1:
            continue
        r = st.pos_room[i]
        paired = False
        if r >= 0:
            for j in range(lo, hi):
                if j == i or st.pos_room[j] != r:
                    continue
                sj = st.pos_start[j]
                before = sj == s - n and sj >= t0 and p.adjacent[s - 1]
                after = sj == s + n and sj < t1 and p.adjacent[s + n - 1]
                if before or after:
                    paired = True
        if not paired:
            units += 1
    return units


@njit(cache=True, nogil=True, inline="always")
def daily_row(row, p, w):
    """Whether ``row`` is a batch or faculty row with a daily rule the search counts."""
    kind = p.row_kind[row]
    flags = w.flags
    return (kind == 2 and (w.idle > 0 or w.iso > 0 or flags[3] != 0 or flags[4] != 0)) or (
        kind == 1 and (flags[0] != 0 or flags[1] != 0)
    )
