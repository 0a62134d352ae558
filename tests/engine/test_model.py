"""Domain model behaviour not covered by the file tests."""

from __future__ import annotations

from tests.conftest import tiny_instance


def test_a_copy_with_other_courses_recomputes_its_lookups() -> None:
    inst = tiny_instance()
    assert len(inst.course_by_id) == len(inst.courses) > 1  # the lookup is cached on the original
    first = inst.courses[0]
    copy = inst.model_copy(update={"courses": (first,)})
    assert list(copy.course_by_id) == [first.id]
    assert set(copy.course_size) == {first.id}
    assert len(inst.course_by_id) == len(inst.courses)  # the original keeps its own
