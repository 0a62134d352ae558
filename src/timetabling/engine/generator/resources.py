"""Rooms and faculty sized to the curriculum's demand, with the margins that keep it solvable."""

from __future__ import annotations

import math
import random
from collections import defaultdict

from timetabling.engine.generator.drafts import CourseDraft, DepartmentDraft, SchoolDraft
from timetabling.engine.generator.profiles import LECTURE_SIZES, Profile
from timetabling.engine.model import Faculty, PreferenceLevel, Room, Slot, SlotPreference

FIRST_NAMES = ("Aarti", "Anil", "Deepa", "Farhan", "Gita", "Harish", "Imran", "Kavya", "Lakshmi", "Manoj",
               "Meera", "Nikhil", "Priya", "Rahul", "Sanjay", "Shreya", "Suresh", "Tanvi", "Vikram", "Zoya")
SURNAMES = ("Agarwal", "Banerjee", "Chatterjee", "Das", "Fernandes", "Gupta", "Iyer", "Joshi", "Khan",
            "Menon", "Nair", "Patel", "Rao", "Reddy", "Sharma", "Singh", "Thomas", "Verma")


def _round_up(n: int, step: int = 10) -> int:
    return step * math.ceil(n / step)


def _some_slots(rng: random.Random, p: Profile, n: int) -> frozenset[Slot]:
    return frozenset(Slot(*divmod(i, p.n_periods)) for i in rng.sample(range(p.n_slots), n))


def build_rooms(
    p: Profile, rng: random.Random, schools: list[SchoolDraft], courses: list[CourseDraft]
) -> list[Room]:
    """Labs and seminar rooms per department, lecture halls per school; each need met at ``room_utilisation``."""
    usable = p.room_utilisation * p.n_slots
    demand: dict[tuple[str, str], list[CourseDraft]] = defaultdict(list)  # (department, room type) -> courses
    for c in courses:
        demand[c.department, c.room_type].append(c)
    rooms: list[Room] = []
    for school in schools:
        building = f"{school.name} Block"
        for d in school.departments:
            labs = demand[d.id, "lab"]
            n_labs = max(rng.randint(*p.labs_per_department), math.ceil(sum(c.periods for c in labs) / usable))
            lab_size = _round_up(max((c.size for c in labs), default=30))
            for k in range(n_labs):
                rooms.append(Room(
                    id=f"{d.id}-LAB{k + 1}", name=f"{d.name} Lab {k + 1}", capacity=lab_size, type="lab",
                    building=f"{building} B", department=d.id, shared=rng.random() < 0.7,
                ))
            seminars = demand[d.id, "seminar"]
            n_seminar = max(1, math.ceil(sum(c.periods for c in seminars) / usable)) + rng.randint(0, 1)
            for k in range(n_seminar):
                rooms.append(Room(
                    id=f"{d.id}-SR{k + 1}", name=f"{d.name} Seminar Room {k + 1}", capacity=p.seminar_capacity,
                    type="seminar", building=f"{building} B", department=d.id, shared=rng.random() < 0.8,
                ))
        lectures = [c for d in school.departments for c in demand[d.id, "lecture"]]
        rooms.extend(_lecture_halls(school, lectures, usable, building))
    rooms.extend(_extra_lecture_rooms(p, rng, schools, round(p.rooms_per_department * p.n_departments) - len(rooms)))
    return [_with_closures(p, rng, r) for r in rooms]


def _lecture_halls(school: SchoolDraft, courses: list[CourseDraft], usable: float, building: str) -> list[Room]:
    """Halls on the size ladder so that, for every size, the courses needing at least it use <= ``usable``."""
    periods_at = [0] * len(LECTURE_SIZES)
    for c in courses:
        periods_at[next(i for i, s in enumerate(LECTURE_SIZES) if s >= c.size)] += c.periods
    counts = [0] * len(LECTURE_SIZES)
    need_above = have_above = 0
    for i in reversed(range(len(LECTURE_SIZES))):
        need_above += periods_at[i]
        counts[i] = max(0, math.ceil(need_above / usable) - have_above)
        have_above += counts[i]
    out = []
    for i, n in enumerate(counts):
        for _ in range(n):
            k = len(out) + 1
            out.append(Room(
                id=f"{school.id}-LH{k:03d}", name=f"{school.name} Hall {k}", capacity=LECTURE_SIZES[i],
                building=f"{building} {'A' if k % 2 else 'C'}",
            ))
    return out


def _extra_lecture_rooms(p: Profile, rng: random.Random, schools: list[SchoolDraft], n: int) -> list[Room]:
    """Classrooms beyond the need, up to the profile's room count; some owned by a department, a few private."""
    departments = [d for s in schools for d in s.departments]
    out = []
    for k in range(max(0, n)):
        d = rng.choice(departments)
        owned = rng.random() < 0.2
        out.append(Room(
            id=f"{d.school}-CR{k + 1:03d}", name=f"Classroom {k + 1}", capacity=rng.choice(LECTURE_SIZES[:3]),
            building=f"{d.school} Annexe", department=d.id if owned else None,
            shared=not owned or rng.random() < 0.5,
        ))
    return out


def _with_closures(p: Profile, rng: random.Random, room: Room) -> Room:
    if rng.random() >= p.room_unavailable_share:
        return room
    return room.model_copy(update={"unavailable": _some_slots(rng, p, rng.randint(1, 3))})


def assign_faculty(
    p: Profile, rng: random.Random, departments: list[DepartmentDraft], courses: list[CourseDraft]
) -> list[Faculty]:
    """Enough faculty per department that the longest-first balanced load stays within every margin."""
    most_unavailable = p.faculty_unavailable[1]
    ceiling = min(18, math.floor(0.6 * (p.n_slots - most_unavailable)))
    by_dept: dict[str, list[CourseDraft]] = defaultdict(list)
    for c in courses:
        by_dept[c.department].append(c)
    out = []
    for d in departments:
        teaching = sorted(by_dept[d.id], key=lambda c: (-c.periods, c.id))
        if not teaching:
            continue
        n = max(1, math.ceil(sum(c.periods for c in teaching) / p.faculty_target_load))
        while True:
            loads = [0] * n
            for c in teaching:
                k = min(range(n), key=lambda i: (loads[i], i))
                loads[k] += c.periods
                c.faculty = f"{d.id}-F{k + 1:02d}"
            if max(loads) <= ceiling:
                break
            n += 1
        out.extend(_faculty_member(p, rng, f"{d.id}-F{k + 1:02d}", d.id, load) for k, load in enumerate(loads))
    return out


def _faculty_member(p: Profile, rng: random.Random, fid: str, department: str, load: int) -> Faculty:
    unavailable = _some_slots(rng, p, rng.randint(*p.faculty_unavailable))
    preferences: tuple[SlotPreference, ...] = ()
    if rng.random() < p.faculty_preference_share:
        free = [i for i in range(p.n_slots) if Slot(*divmod(i, p.n_periods)) not in unavailable]
        favourites = sorted(rng.sample(free, rng.randint(2, 6)))
        keen = [rng.randint(1, 5) for _ in favourites]  # 4-5: strongly preferred
        # the rest from its own generator, seeded by these draws: the main stream stays as it was
        own = random.Random(f"{fid}:{favourites}:{keen}")
        preferences = _graded_preferences(p, own, unavailable, favourites, keen)
    return Faculty(
        id=fid, name=f"Dr. {rng.choice(FIRST_NAMES)} {rng.choice(SURNAMES)}", department=department,
        max_hours_per_week=max(load + 2, rng.choice((14, 16, 18, 20))),
        max_hours_per_day=max(rng.choice((4, 5, 6)), math.ceil(load / (p.n_days - 1)) + 1),
        max_consecutive=rng.choice((3, 4)), unavailable=unavailable, preferences=preferences,
    )


def _graded_preferences(
    p: Profile, rng: random.Random, unavailable: frozenset[Slot], favourites: list[int], keen: list[int]
) -> tuple[SlotPreference, ...]:
    """What a faculty member tells the timetable office: a time window ("mornings", "afternoons", "not at
    8", "not the last period"), sometimes a day they would rather keep free, a few strong dislikes, a few
    favourite slots, and now and then a prohibited slot (only within the profile's most unavailable slots, so
    the margins that keep the instance solvable hold)."""
    levels: dict[Slot, PreferenceLevel] = {}
    lunch = p.lunch_after if p.lunch_after is not None else p.n_periods // 2 - 1
    window = rng.choice(("mornings", "afternoons", "not_early", "not_late", "none"))
    for d in range(p.n_days):
        for q in range(p.n_periods):
            if window == "mornings":
                level = PreferenceLevel.PREFERRED if q <= lunch else PreferenceLevel.NEUTRAL
            elif window == "afternoons":
                level = PreferenceLevel.PREFERRED if q > lunch else PreferenceLevel.NEUTRAL
            elif window == "not_early":
                level = PreferenceLevel.DISCOURAGED if q == 0 else PreferenceLevel.NEUTRAL
            elif window == "not_late":
                level = PreferenceLevel.DISCOURAGED if q == p.n_periods - 1 else PreferenceLevel.NEUTRAL
            else:
                level = PreferenceLevel.NEUTRAL
            levels[Slot(d, q)] = level
    if rng.random() < 0.4:  # a day they would rather keep free
        day = rng.randrange(p.n_days)
        for q in range(p.n_periods):
            levels[Slot(day, q)] = PreferenceLevel.DISCOURAGED
    for i in rng.sample(range(p.n_slots), rng.randint(0, 3)):  # strong dislikes
        levels[Slot(*divmod(i, p.n_periods))] = PreferenceLevel.STRONGLY_DISCOURAGED
    for i, k in zip(favourites, keen, strict=True):
        levels[Slot(*divmod(i, p.n_periods))] = (
            PreferenceLevel.STRONGLY_PREFERRED if k >= 4 else PreferenceLevel.PREFERRED
        )
    room = p.faculty_unavailable[1] - len(unavailable)  # slots that may still be lost to the hard rules
    if room > 0 and rng.random() < 0.2:
        liked = {Slot(*divmod(i, p.n_periods)) for i in favourites}
        pool = [s for s in sorted(levels) if s not in unavailable and s not in liked]
        for s in rng.sample(pool, min(room, rng.randint(1, 2))):
            levels[s] = PreferenceLevel.PROHIBITED
    return tuple(
        SlotPreference(day=s.day, period=s.period, level=lv)
        for s, lv in sorted(levels.items())
        if lv != PreferenceLevel.NEUTRAL
    )
