"""Shared test fixtures and builders."""

from __future__ import annotations

import pytest

from timetabling.engine.model import Batch, Course, Faculty, Instance, Room, TimeGrid


def tiny_instance(**overrides) -> Instance:
    """Two batches, two faculty, two rooms, three courses on a 5 x 4 grid with lunch after period 1."""
    data = dict(
        name="builder",
        grid=TimeGrid.standard(n_days=5, n_periods=4, lunch_after=1),
        faculty=(Faculty(id="F1"), Faculty(id="F2")),
        batches=(Batch(id="B1", size=30), Batch(id="B2", size=20)),
        rooms=(Room(id="R1", capacity=60), Room(id="LAB", capacity=30, type="lab")),
        courses=(
            Course(id="C1", faculty=("F1",), batches=("B1",), sessions_per_week=3),
            Course(id="C2", faculty=("F2",), batches=("B1", "B2"), sessions_per_week=2),
            Course(id="L1", faculty=("F1",), batches=("B2",), session_length=2, room_type="lab"),
        ),
    )
    data.update(overrides)
    return Instance(**data)


@pytest.fixture
def tiny() -> Instance:
    return tiny_instance()


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """The modules that hold long tests (marked ``slow``) first, each keeping its order: the parallel run
    (pytest-xdist, one module per worker at a time) starts them at once instead of ending on them."""
    long_modules = {item.path for item in items if item.get_closest_marker("slow")}
    items.sort(key=lambda item: item.path not in long_modules)
