"""Stage 2's plan: the parts in waves that share no people, and the rooms of a wave shared out among its parts."""

from __future__ import annotations

from collections import defaultdict

import networkx as nx

from timetabling.engine.model import Course, Instance, Rule
from timetabling.engine.pipeline.clustering import Clustering, Part
from timetabling.engine.timetable.domains import room_fits


def waves_of(clustering: Clustering) -> list[list[Part]]:
    """Part 0 (open electives) alone first when present, then colour classes of the other parts so that
    no two parts of one wave share people."""
    parts = list(clustering.parts)
    first: list[list[Part]] = []
    if parts and parts[0].name == "open electives":
        first, parts = [[parts[0]]], parts[1:]
    owner = {c: i for i, p in enumerate(parts) for c in p.courses}
    g = nx.Graph()
    g.add_nodes_from(range(len(parts)))
    for a, b in clustering.people_links:
        i, j = owner.get(a), owner.get(b)
        if i is not None and j is not None and i != j:
            g.add_edge(i, j)
    colours = nx.greedy_color(g, strategy="largest_first") if len(parts) else {}
    by_colour: dict[int, list[Part]] = defaultdict(list)
    for i in sorted(colours, key=lambda i: (-parts[i].sessions, i)):
        by_colour[colours[i]].append(parts[i])
    return first + [by_colour[k] for k in sorted(by_colour)]


def allot_rooms(instance: Instance, parts: list[Part], room_busy: dict[str, set[int]]) -> dict[str, list[str]]:
    """Each room to one part of the wave: the part whose demand for rooms like it is least served so far."""
    if len(parts) <= 1:
        return {p.name: [r.id for r in instance.rooms] for p in parts}
    n_slots = instance.grid.n_slots
    sizes = instance.course_size
    # a part's courses by what ``room_fits`` reads of a course, with their periods a week: each kind of course is
    # tried once per kind of room
    avoided = instance.rules.is_hard(Rule.ROOM_AVOIDED)
    avoided_ids: set[str] = set()  # rooms some course of the wave may not use: each a kind of room of its own
    courses: dict[str, dict[tuple[object, ...], tuple[Course, int]]] = {}
    for p in parts:
        kinds: dict[tuple[object, ...], tuple[Course, int]] = {}
        for cid in p.courses:
            c = instance.course_by_id[cid]
            avoid = c.avoid_rooms if avoided else frozenset()
            avoided_ids |= avoid
            key = (c.room_type, c.room_features, c.department, sizes[cid], avoid)
            first, periods = kinds.get(key, (c, 0))
            kinds[key] = (first, periods + c.periods_per_week)
        courses[p.name] = kinds
    served: dict[tuple[str, str], float] = defaultdict(float)  # (part, room type) -> room-periods given
    out: dict[str, list[str]] = {p.name: [] for p in parts}
    # a part's demand for a room depends only on what ``room_fits`` reads of the room: computed once per kind
    demand: dict[tuple[object, ...], list[int]] = {}
    for room in sorted(instance.rooms, key=lambda r: (-r.capacity, r.id)):
        free = n_slots - len(room.unavailable) - len(room_busy.get(room.id, ()))
        kind = (room.type, room.features, room.department, room.shared, room.capacity,
                room.id if room.id in avoided_ids else None)
        if kind not in demand:
            demand[kind] = [sum(periods for c, periods in courses[p.name].values()
                                if room_fits(instance, c, room, sizes[c.id])) for p in parts]
        best, best_need = None, 0.0
        for p, need in zip(parts, demand[kind], strict=True):
            if need <= 0:
                continue
            ratio = need / (1.0 + served[p.name, room.type])
            if ratio > best_need:
                best, best_need = p.name, ratio
        if best is not None:
            out[best].append(room.id)
            served[best, room.type] += free
    return out
