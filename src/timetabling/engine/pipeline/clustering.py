"""Stage 1: the course conflict graph, its Louvain parts, and the category of every course.

Courses are nodes. Two courses are linked when they share students (batches or individual choices: weight =
students in common), faculty (a fixed weight per member) or compete, inside one department, for a scarce
room type. Louvain community detection splits the graph into parts that can be scheduled apart; links that
cross parts (people in common) order the parts into waves (see ``decompose.py``).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from itertools import combinations

import networkx as nx

from timetabling.engine.model import CourseKind, Instance

FACULTY_LINK = 50  # weight of one shared faculty member, in "students"
ROOM_LINK = 1  # weight of two courses of one department needing the same scarce room type
SCARCE_ROOM_USE = 0.5  # a room type is scarce above this share of its room-periods demanded


@dataclass(frozen=True)
class Part:
    """A set of courses scheduled together."""

    name: str
    courses: tuple[str, ...]
    sessions: int
    departments: tuple[str, ...]


@dataclass
class Clustering:
    """Categories, the conflict graph and its parts (part 0 holds the open electives, when there are any)."""

    kinds: dict[str, CourseKind]  # course id -> derived category
    graph: nx.Graph
    parts: list[Part]
    people_links: set[tuple[str, str]] = field(default_factory=set)  # course pairs sharing faculty or students

    @property
    def category_counts(self) -> dict[str, int]:
        counts = Counter(k.value for k in self.kinds.values())
        return {k.value: counts.get(k.value, 0) for k in CourseKind}

    def summary(self) -> dict[str, object]:
        """Category counts and the parts, JSON-able."""
        return {
            "categories": self.category_counts,
            "graph": {"courses": self.graph.number_of_nodes(), "links": self.graph.number_of_edges()},
            "parts": [
                {"name": p.name, "courses": len(p.courses), "sessions": p.sessions, "departments": list(p.departments)}
                for p in self.parts
            ],
        }


def course_departments(instance: Instance) -> dict[str, set[str]]:
    """Departments a course draws from: its own, its batches' and those of individually enrolled students."""
    batch_dept = {b.id: b.department for b in instance.batches}
    student_batch = {s.id: s.batch for s in instance.students}
    out: dict[str, set[str]] = {}
    for c in instance.courses:
        depts = {c.department} if c.department else set()
        depts |= {batch_dept[b] for b in c.batches if batch_dept.get(b)}
        for s in instance.individual_students.get(c.id, ()):
            b = student_batch.get(s)
            if b and batch_dept.get(b):
                depts.add(batch_dept[b])
        out[c.id] = depts
    return out


def classify(instance: Instance) -> dict[str, CourseKind]:
    """Core: one department and nobody enrolled individually; department elective: at most two departments;
    open elective: students from more than two departments."""
    depts = course_departments(instance)
    kinds = {}
    for c in instance.courses:
        n = len(depts[c.id])
        if n > 2:
            kinds[c.id] = CourseKind.OPEN_ELECTIVE
        elif n <= 1 and not instance.individual_students.get(c.id):
            kinds[c.id] = CourseKind.CORE
        else:
            kinds[c.id] = CourseKind.DEPARTMENT_ELECTIVE
    return kinds


def conflict_graph(instance: Instance) -> tuple[nx.Graph, set[tuple[str, str]]]:
    """Weighted course graph and the set of course pairs (sorted) that share people."""
    weights: Counter[tuple[str, str]] = Counter()
    for b, courses in instance.courses_of_batch.items():
        size = max(1, instance.batch_by_id[b].size)
        for pair in combinations(sorted(set(courses)), 2):
            weights[pair] += size
    for courses, students in instance.student_groups.items():
        # pairs within one batch are counted above; count the rest once per student
        for pair in combinations(sorted(courses), 2):
            weights[pair] += len(students) if _individual_pair(instance, pair) else 0
    for courses in instance.courses_of_faculty.values():
        for pair in combinations(sorted(set(courses)), 2):
            weights[pair] += FACULTY_LINK
    people = {pair for pair, w in weights.items() if w > 0}
    for pair in _scarce_room_pairs(instance):
        weights[pair] += ROOM_LINK
    g = nx.Graph()
    g.add_nodes_from(c.id for c in instance.courses)
    g.add_weighted_edges_from((a, b, w) for (a, b), w in weights.items() if w > 0)
    return g, people


def _individual_pair(instance: Instance, pair: tuple[str, str]) -> bool:
    a, b = (instance.course_by_id[c] for c in pair)
    return not set(a.batches) & set(b.batches)


def _scarce_room_pairs(instance: Instance) -> list[tuple[str, str]]:
    supply = Counter()
    for r in instance.rooms:
        supply[r.type] += instance.grid.n_slots - len(r.unavailable)
    demand = Counter()
    for c in instance.courses:
        demand[c.room_type] += c.periods_per_week
    scarce = {t for t, d in demand.items() if d > SCARCE_ROOM_USE * supply.get(t, 0)}
    groups: dict[tuple[str | None, str], list[str]] = defaultdict(list)
    for c in instance.courses:
        if c.room_type in scarce:
            groups[c.department, c.room_type].append(c.id)
    return [pair for ids in groups.values() for pair in combinations(sorted(ids), 2)]


def cluster(instance: Instance, seed: int = 0, resolution: float = 1.0) -> Clustering:
    """Classify the courses, build the conflict graph and split it: open electives first, then Louvain parts
    of the other courses (largest first)."""
    kinds = classify(instance)
    graph, people = conflict_graph(instance)
    sessions = {c.id: c.sessions_per_week for c in instance.courses}
    dept = {c.id: c.department or "-" for c in instance.courses}

    def part(name: str, ids: list[str]) -> Part:
        ids = sorted(ids)
        return Part(name, tuple(ids), sum(sessions[c] for c in ids), tuple(sorted({dept[c] for c in ids})))

    parts = []
    open_ids = [c for c, k in kinds.items() if k == CourseKind.OPEN_ELECTIVE]
    if open_ids:
        parts.append(part("open electives", open_ids))
    rest = graph.subgraph(c for c in graph if kinds[c] != CourseKind.OPEN_ELECTIVE)
    if rest.number_of_nodes():
        communities = nx.community.louvain_communities(rest, weight="weight", resolution=resolution, seed=seed)
        communities = sorted(communities, key=lambda s: (-sum(sessions[c] for c in s), min(s)))
        for i, ids in enumerate(communities):
            p = part("", list(ids))
            label = p.departments[0] if len(p.departments) == 1 else f"{len(p.departments)} departments"
            parts.append(Part(f"part {i + 1} ({label})", p.courses, p.sessions, p.departments))
    return Clustering(kinds, graph, parts, people)
