"""The contract between the web backend and the engine service: one time limit, one progress message, one
outcome, and the sentence that shows a soft cost against its lower bound."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from timetabling.engine.bounds import Bound, lower_bound
from timetabling.engine.generator import generate_university
from timetabling.service import contract
from timetabling.service.contract import (
    Callback,
    JobOutcome,
    JobRequest,
    LowerBound,
    ProgressMessage,
    bound_text,
    event_json,
    lower_bound_of,
    progress_of,
)
from timetabling.service.limits import default_time_limit, max_time_limit, time_limit_problem


def test_the_time_limit_has_one_default_and_one_set_of_bounds(monkeypatch) -> None:
    monkeypatch.delenv("TIMETABLE_TIME_LIMIT", raising=False)
    monkeypatch.delenv("TIMETABLE_MAX_TIME_LIMIT", raising=False)
    assert default_time_limit() == contract.DEFAULT_TIME_LIMIT_S == 60.0
    assert max_time_limit() == 1800.0
    assert JobRequest(job_id="j", instance={}).time_limit == 60.0
    monkeypatch.setenv("TIMETABLE_MAX_TIME_LIMIT", "300")
    assert max_time_limit() == 300.0
    assert time_limit_problem(300, max_time_limit()) is None
    assert time_limit_problem(301, max_time_limit()) == "time_limit may be at most 300 seconds"
    assert time_limit_problem(0.5, max_time_limit()) == "time_limit must be at least 1 second(s)"
    monkeypatch.setenv("TIMETABLE_MAX_TIME_LIMIT", "soon")
    with pytest.raises(ValueError, match="TIMETABLE_MAX_TIME_LIMIT='soon' is not a number of seconds"):
        max_time_limit()


@pytest.mark.parametrize("seconds", [0.5, 0, -3, 3601, float("inf")])
def test_a_request_outside_the_bounds_names_the_time_limit(seconds: float) -> None:
    with pytest.raises(ValidationError) as err:
        JobRequest(job_id="j", instance={}, time_limit=seconds)
    assert err.value.errors()[0]["loc"] == ("time_limit",)


def test_a_progress_message_is_built_positionally_and_survives_json() -> None:
    message = ProgressMessage("j", "running", 40.0, "parts", 3.5, "part 2 of 4")
    assert (message.phase, message.eta_seconds, message.message, message.final) == ("parts", 3.5, "part 2 of 4", False)
    assert ProgressMessage.model_validate(message.to_dict()) == message
    assert ProgressMessage("j", "completed", 100.0).final


def test_an_engine_event_maps_to_one_progress_message_with_its_bound() -> None:
    class Event:  # the engine's progress event, as ``engine.control.Progress`` carries it
        stage, percent, message, eta_s, objective, phase, variant, elapsed_s = (
            "optimise", 99.7, "variant Balanced", 12.0, 150.0, "improving variant Balanced", "Balanced", 30.0)
        bound = Bound(100, {"faculty_preference": 100}, True, "cheapest available slots")

    data = event_json(Event())
    message = progress_of("job-1", data)
    assert message.progress == 99.0  # 100 belongs to the final message
    assert message.phase == "improving variant Balanced" and message.variant == "Balanced"
    assert message.bound == LowerBound(value=100, known=True, basis="cheapest available slots",
                                       by_rule={"faculty_preference": 100})
    assert message.cost_line == "soft cost 150, lower bound 100 (gap 33.3 %)"
    assert message.to_dict()["cost_line"] == message.cost_line
    # what the web backend accepts is the same message
    assert Callback.model_validate(message.to_dict()).bound == message.bound


def test_the_cost_line_says_when_no_bound_is_known() -> None:
    assert bound_text(218, None) == "soft cost 218, no lower bound known"
    assert bound_text(218, 0.0) == "soft cost 218, no lower bound known"  # "bound 0" is no bound
    assert bound_text(218, Bound(0)) == "soft cost 218, no lower bound known"
    assert bound_text(120, 120) == "soft cost 120, lower bound 120 (gap 0.0 %)"
    assert bound_text(0, Bound(0, known=True)) == "soft cost 0, lower bound 0 (gap 0.0 %)"
    assert bound_text(None, None) == "no lower bound known"
    assert lower_bound_of(None) is None and lower_bound_of(float("nan")) is None


def test_the_real_bound_of_an_instance_crosses_the_wire() -> None:
    instance = generate_university("tiny", 0)
    bound = lower_bound_of(lower_bound(instance))
    assert bound is not None and bound.value >= 0
    outcome = JobOutcome.model_validate({
        "job_id": "j", "status": "completed", "generation_time": 1.0,
        "variants": [{"name": "Balanced", "score": 80.0, "metrics": {"soft_cost": 10},
                      "bound": bound.model_dump(mode="json")}],
        "comparison": [], "stats": {"stage1_s": 0.1},
    })
    assert outcome.variants[0].bound == bound
    assert outcome.model_extra == {"stats": {"stage1_s": 0.1}}  # what the runners add passes through
