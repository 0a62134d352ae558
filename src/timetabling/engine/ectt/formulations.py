"""The five CB-CTT formulations UD1-UD5 (De Cesco, Di Gaspero and Schaerf, PATAT 2008; UD2 is ITC-2007's).

Each formulation is configuration: which components are hard, and the weight of each soft one. The
component names are the official validator's.
"""

from __future__ import annotations

from dataclasses import dataclass

HARD = "hard"

# components always hard, in the validator's order
BASE_HARD = ("Lectures", "Conflicts", "Availability", "RoomOccupation")


@dataclass(frozen=True)
class Formulation:
    name: str
    hard: tuple[str, ...]  # hard components beyond BASE_HARD
    weights: dict[str, int]  # soft component -> weight, in the validator's order

    @property
    def components(self) -> tuple[str, ...]:
        return (*BASE_HARD, *self.hard, *self.weights)


FORMULATIONS: dict[str, Formulation] = {
    f.name: f
    for f in (
        Formulation("UD1", (), {"RoomCapacity": 1, "MinWorkingDays": 5, "IsolatedLectures": 1}),
        Formulation("UD2", (), {"RoomCapacity": 1, "MinWorkingDays": 5, "IsolatedLectures": 2, "RoomStability": 1}),
        Formulation("UD3", (), {"RoomCapacity": 1, "CurriculumCompactness": 4, "RoomConstraints": 3, "StudentLoad": 2}),
        Formulation(
            "UD4",
            ("RoomConstraints",),
            {"RoomCapacity": 1, "MinWorkingDays": 1, "CurriculumCompactness": 1, "DoubleLectures": 1, "StudentLoad": 1},
        ),
        Formulation(
            "UD5",
            (),
            {
                "RoomCapacity": 1,
                "MinWorkingDays": 5,
                "CurriculumCompactness": 2,
                "StudentLoad": 2,
                "TravelDistance": 2,
                "IsolatedLectures": 1,
            },
        ),
    )
}


def formulation(name: str) -> Formulation:
    """The formulation called ``name`` (``UD1``..``UD5``, any case)."""
    try:
        return FORMULATIONS[name.upper()]
    except KeyError:
        raise ValueError(f"unknown formulation '{name}' (expected one of {', '.join(FORMULATIONS)})") from None
