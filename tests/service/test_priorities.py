"""Chosen priorities reach the engine: the service's one schema checks them, the variant is made with them."""

from __future__ import annotations

from tests.service.support import follow, job_body, service_client, tiny_instance_json
from timetabling.engine.checker import check
from timetabling.engine.model import Instance, Rule, Rules, Solution

WEIGHTS = {"batch_idle": 40, "faculty_preference": 30, "course_min_days": 0}


def test_the_custom_variants_soft_cost_is_the_checkers_under_those_weights() -> None:
    with service_client() as client:
        body = job_body("chosen-1", variants=["Balanced", "Mine"], custom_weights={"Mine": WEIGHTS})
        assert client.post("/api/generate_variants", json=body).status_code == 200
        assert follow(client, "chosen-1")[-1]["status"] == "completed"
        variant = client.get("/api/variants/chosen-1", params={"variant": "Mine"}).json()["variants"][0]
    instance = Instance.model_validate(tiny_instance_json())
    solution = Solution(instance=instance.name, assignments=tuple(variant["entries"]))
    weighted = instance.model_copy(update={"rules": Rules(
        hard=instance.rules.hard, weights={**instance.rules.weights, **{Rule(k): w for k, w in WEIGHTS.items()}})})
    report = check(weighted, solution)
    assert variant["metrics"]["soft_cost"] == report.soft_cost
    assert report.soft_cost_by_rule.get(Rule.COURSE_MIN_DAYS, 0) == 0  # weight 0: switched off
    usual = check(instance, solution)
    if usual.soft.get(Rule.BATCH_IDLE) or usual.soft.get(Rule.FACULTY_PREFERENCE):
        assert usual.soft_cost != report.soft_cost


def test_bad_weights_are_refused_naming_the_criterion() -> None:
    with service_client() as client:
        for weights, where in (({"batch_idle": 101}, "batch_idle"), ({"colour": 1}, "colour")):
            body = job_body("chosen-bad", variants=["Mine"], custom_weights={"Mine": weights})
            response = client.post("/api/generate_variants", json=body)
            assert response.status_code in (400, 422), response.text
            assert where in response.text
        body = job_body("chosen-bad", variants=["Nobody"], custom_weights={"Mine": {"batch_idle": 1}})
        assert "unknown variant 'Nobody'" in client.post("/api/generate_variants", json=body).text
