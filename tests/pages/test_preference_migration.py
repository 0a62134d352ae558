"""The migration that gives a faculty member's slots levels: unavailable -> prohibited, preferred -> preferred (a
weight above 1: strongly preferred), and back."""

from __future__ import annotations

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

import tests.web.support  # noqa: F401  (Django's settings)

BEFORE, AFTER = ("academics", "0002_terms_time_zone_change_records"), ("academics", "0003_faculty_preference_levels")


def migrate(target: tuple[str, str]):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate([target])
    return executor.loader.project_state([target]).apps


@pytest.mark.django_db(transaction=True)
def test_stored_availability_and_preferred_slots_become_levels_and_back() -> None:
    old = migrate(BEFORE)
    org = old.get_model("academics", "Organization").objects.create(name="Old", slug="old")
    faculty = old.get_model("academics", "Faculty").objects.create(
        organization=org, code="F1", unavailable=[[0, 0], [1, 2]], preferred=[[2, 1, 1], [3, 3, 5], [0, 0, 1]])
    new = migrate(AFTER)
    stored = new.get_model("academics", "Faculty").objects.get(pk=faculty.pk)
    assert stored.preferences == [[0, 0, "prohibited"], [1, 2, "prohibited"], [2, 1, "preferred"],
                                  [3, 3, "strongly_preferred"]]  # unavailable wins over preferred on one slot
    back = migrate(BEFORE).get_model("academics", "Faculty").objects.get(pk=faculty.pk)
    assert back.unavailable == [[0, 0], [1, 2]] and back.preferred == [[2, 1, 1], [3, 3, 2]]
    migrate(AFTER)
