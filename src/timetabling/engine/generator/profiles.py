"""Size profiles of the synthetic university: one frozen set of parameters per name."""

from __future__ import annotations

from dataclasses import dataclass

LECTURE_SIZES = (40, 60, 75, 90, 120, 150, 180, 240)  # the ladder of lecture hall capacities


@dataclass(frozen=True)
class Profile:
    """Parameters of one synthetic university. Ranges are ``(low, high)``, both inclusive."""

    name: str
    n_schools: int
    n_departments: int
    # time grid
    n_days: int = 6
    n_periods: int = 8
    lunch_after: int | None = 3
    # programs and batches
    second_program_share: float = 0.1  # departments that also run a postgraduate program
    ug_years: tuple[int, ...] = (3, 3, 4)  # choices of undergraduate program length
    pg_years: int = 2
    intake: tuple[int, int] = (31, 56)  # students per program year
    max_batch_size: int = 70  # a larger year is split into sections
    # curriculum
    core_courses: tuple[int, int] = (3, 3)  # lecture courses per batch
    core_sessions: tuple[int, ...] = (4, 4, 5, 5, 5)  # choices of sessions per week
    lab_lengths: tuple[int, ...] = (2, 3)  # periods of the weekly lab session
    elective_sessions: int = 3
    de_from_year: int = 3  # department electives are offered from this year on
    de_offered: tuple[int, int] = (2, 3)  # department electives per (program, year)
    de_target_size: int = 45
    oe_take_share: float = 0.95  # students who choose an open elective
    oe_target_size: int = 120  # open electives per (school, year) = takers / this
    oe_cap: int = 180  # most students in one open elective
    # margins that keep the instance solvable
    max_batch_load: float = 0.55  # share of the week a batch's student may be busy at most
    faculty_target_load: int = 10  # weekly periods the department aims at per faculty member
    room_utilisation: float = 0.45  # share of a room type's week that the demand may use
    # resources
    rooms_per_department: float = 6.0  # total rooms, topped up with lecture rooms to reach this
    labs_per_department: tuple[int, int] = (1, 3)
    seminar_capacity: int = 40
    faculty_unavailable: tuple[int, int] = (0, 4)
    faculty_preference_share: float = 0.5
    room_unavailable_share: float = 0.15

    @property
    def n_slots(self) -> int:
        return self.n_days * self.n_periods


PROFILES: dict[str, Profile] = {
    "tiny": Profile(
        name="tiny",
        n_schools=1,
        n_departments=2,
        n_days=5,
        n_periods=6,
        lunch_after=2,
        second_program_share=0.0,
        ug_years=(1,),
        intake=(22, 28),
        core_courses=(3, 3),
        core_sessions=(3,),
        lab_lengths=(2,),
        de_from_year=1,
        de_offered=(2, 2),
        de_target_size=20,
        oe_target_size=40,
        oe_cap=60,
        faculty_target_load=8,
        rooms_per_department=3.0,
        labs_per_department=(1, 1),
        faculty_unavailable=(0, 2),
    ),
    "small": Profile(
        name="small",
        n_schools=2,
        n_departments=6,
        n_days=5,
        n_periods=8,
        second_program_share=0.0,
        de_from_year=2,
        de_offered=(2, 2),
        rooms_per_department=5.0,
    ),
    "medium": Profile(name="medium", n_schools=5, n_departments=30, rooms_per_department=7.0),
    "university": Profile(name="university", n_schools=14, n_departments=127, rooms_per_department=9.0),
}
