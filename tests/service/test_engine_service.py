"""The FastAPI engine service: submit, follow over the WebSocket, fetch variants, cancel, health."""

from __future__ import annotations

import pytest

from tests.service.support import follow, job_body, service_client, tiny_instance_json
from timetabling.engine.checker import check
from timetabling.engine.model import Instance, Solution


@pytest.fixture(scope="module")
def client():
    with service_client() as c:
        yield c


@pytest.fixture(scope="module")
def finished(client):
    """One job run to completion, its WebSocket messages and its variants."""
    response = client.post("/api/generate_variants", json=job_body("done-1"))
    assert response.status_code == 200, response.text
    messages = follow(client, "done-1")
    return response.json(), messages, client.get("/api/variants/done-1").json()


def test_a_submitted_job_is_queued_with_an_estimate(finished) -> None:
    accepted, _, _ = finished
    assert accepted == {"job_id": "done-1", "status": "queued", "message": "the job is queued",
                        "estimated_time_seconds": 7}


def test_the_websocket_reports_monotonic_progress_up_to_completion(finished) -> None:
    _, messages, _ = finished
    percents = [m["progress"] for m in messages]
    assert percents == sorted(percents)
    assert messages[-1]["status"] == "completed" and messages[-1]["progress"] == 100
    assert all(m["progress"] < 100 for m in messages[:-1])
    assert {"progress", "status", "eta_seconds", "phase"} <= set(messages[0])
    assert any(m["status"] == "running" for m in messages) or len(messages) == 1


def test_every_variant_has_zero_clashes_by_the_checker(client, finished) -> None:
    _, _, result = finished
    assert result["status"] == "completed"
    assert [v["name"] for v in result["variants"]] == ["Balanced", "Faculty-focused"]
    instance = Instance.model_validate(tiny_instance_json())
    for summary in result["variants"]:
        assert "entries" not in summary and summary["entries_count"] == instance.n_sessions
        variant = client.get("/api/variants/done-1", params={"variant": summary["name"]}).json()["variants"][0]
        assert variant["name"] == summary["name"] and len(variant["entries"]) == summary["entries_count"]
        solution = Solution(instance=instance.name, assignments=tuple(variant["entries"]))
        assert check(instance, solution).hard_total == 0, variant["name"]
        assert variant["metrics"]["hard_violations"] == 0
    assert [row["name"] for row in result["comparison"]] == ["Balanced", "Faculty-focused"]
    assert result["generation_time"] > 0


def test_the_variants_answer_carries_an_etag_that_answers_304(client, finished) -> None:
    first = client.get("/api/variants/done-1")
    etag = first.headers["etag"]
    again = client.get("/api/variants/done-1", headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.content == b""
    one = client.get("/api/variants/done-1", params={"variant": "Balanced"}, headers={"If-None-Match": etag})
    assert one.status_code == 200 and one.headers["etag"] != etag  # another answer, another tag
    missing = client.get("/api/variants/done-1", params={"variant": "Fastest"})
    assert missing.status_code == 404 and missing.json()["error"]["field"] == "variant"


def test_a_job_id_is_taken_once(client, finished) -> None:
    response = client.post("/api/generate_variants", json=job_body("done-1"))
    assert response.status_code == 409 and response.json()["error"]["field"] == "job_id"


def test_bad_requests_are_400_with_the_field(client) -> None:
    broken = tiny_instance_json()
    broken["courses"][0]["faculty"] = ["NOBODY"]
    response = client.post("/api/generate_variants", json=job_body("bad-1", instance=broken))
    assert response.status_code == 400 and "NOBODY" in response.json()["detail"]
    response = client.post("/api/generate_variants", json=job_body("bad-2", variants=["Fastest"]))
    assert response.status_code == 400 and response.json()["error"]["field"] == "variants"
    response = client.post("/api/generate_variants", json={"job_id": "bad-3"})
    assert response.status_code == 400 and response.json()["error"]["field"] == "instance"


def test_unknown_jobs_are_404_everywhere(client) -> None:
    assert client.get("/api/variants/nope").status_code == 404
    assert client.post("/api/cancel/nope").status_code == 404
    (message,) = follow(client, "nope")
    assert message["status"] == "unknown"


def test_cancel_stops_a_running_job(client) -> None:
    assert client.post("/api/generate_variants", json=job_body("stop-1", time_limit=60)).status_code == 200
    with client.websocket_connect("/ws/progress/stop-1") as ws:
        message = ws.receive_json()
        assert client.post("/api/cancel/stop-1").json()["status"] == "cancelling"
        while message["status"] not in ("completed", "failed", "cancelled"):
            message = ws.receive_json()
    assert message["status"] == "cancelled"
    assert client.get("/api/variants/stop-1").json()["status"] == message["status"]
    assert client.post("/api/cancel/stop-1").status_code == 409


def test_health_reports_the_service_and_its_resources(client) -> None:
    health = client.get("/health").json()
    assert health["service"] == "engine" and health["status"] == "ok" and health["redis"] == "not used"
    assert health["resources"]["runner"] == "thread" and health["resources"]["cpus"] >= 1
    assert "version" in health
