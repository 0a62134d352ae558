"""Kempe chain moves: a session trades its start with the sessions at the other start that share a resource
row with it, and so on, so the chain makes no clash among its members (the moves that let a curriculum's
lectures trade periods)."""

from __future__ import annotations

from numba import njit


@njit(cache=True, nogil=True, _nrt=False)
def kempe_ops(i, s1, p, st, wk, stamp):
    """A Kempe chain move: session ``i`` goes from its start s0 to ``s1``; every session at s1 that shares a
    resource row with it goes to s0, every session at s0 sharing one with those goes to s1, and so on, so no
    clash between them is made. Each keeps its room when that room is free at the new start (or left by the
    chain), else takes one of its rooms that is. Needs a clash-free timetable (room owners are then exact).
    Writes the removals, then the additions, to ``wk.ops``; returns their number, 0 when there is no such
    move. ``p``, ``st``, ``wk``: the kernels' ``Sessions``, ``State`` and ``Work`` bundles."""
    start = st.start
    room = st.room
    length = p.length
    occ = st.occ
    rocc = st.rocc
    owner = st.owner
    room_ptr = p.room_ptr
    chain = wk.chain
    side = wk.side
    mark = wk.mark
    claim = wk.claim
    ops = wk.ops
    s0 = start[i]
    n_len = length[i]
    n_mem = 1
    chain[0] = i
    side[0] = 0
    mark[i] = stamp
    head = 0
    while head < n_mem:
        a = chain[head]
        here = s0 if side[head] == 0 else s1
        there = s1 if side[head] == 0 else s0
        for k in range(p.res_ptr[a], p.res_ptr[a + 1]):
            row = p.res_list[k]
            busy = False  # has the row a session at ``there``? Then find it among the row's sessions
            for t in range(there, there + n_len):
                if occ[row, t] > 0:
                    busy = True
            if not busy:
                continue
            for x in range(p.row_ptr[row], p.row_ptr[row + 1]):
                b = p.row_sessions[x]
                if mark[b] == stamp or start[b] + length[b] <= there or start[b] >= there + n_len:
                    continue
                if (p.frozen[b] or start[b] != there or length[b] != n_len or not p.allowed_start[b, here]
                        or n_mem == len(chain)):
                    return 0
                chain[n_mem] = b
                side[n_mem] = 1 - side[head]
                mark[b] = stamp
                n_mem += 1
        head += 1
    for q in range(n_mem):
        m = chain[q]
        ops[q, 0], ops[q, 1], ops[q, 2], ops[q, 3] = m, start[m], room[m], -1
    # rooms at the new starts: a room is usable by a member going to start ``to`` when each of its slots there
    # is free or held by a member leaving it, and no other member took it already. Its own room first
    for q in range(n_mem):
        m = chain[q]
        to = s1 if side[q] == 0 else s0
        r = room[m]
        chosen = -1
        if r >= 0:
            for x in range(room_ptr[m] - 1, room_ptr[m + 1]):
                cand = r if x < room_ptr[m] else p.room_list[x]
                if (x >= room_ptr[m] and cand == r) or claim[side[q], cand] == stamp:
                    continue
                usable = True
                for t in range(to, to + n_len):
                    if rocc[cand, t] == 0:
                        continue
                    o = owner[cand, t]
                    if rocc[cand, t] > 1 or o < 0 or mark[o] != stamp or start[o] != to:
                        usable = False
                        break
                if usable:
                    chosen = cand
                    break
            if chosen < 0:
                chosen = r  # a room clash: the move's cost says so
            claim[side[q], chosen] = stamp
        ops[n_mem + q, 0], ops[n_mem + q, 1], ops[n_mem + q, 2], ops[n_mem + q, 3] = m, to, chosen, 1
    return 2 * n_mem
