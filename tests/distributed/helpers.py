"""The engine service wired to Celery and Redis, in the test process (``wait_for``: the tests' shared poll)."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from tests.support.processes import wait_for
from timetabling.service.app import create_app
from timetabling.service.celery_runner import CeleryRunner
from timetabling.service.redis_bus import RedisProgressBus, RedisResultStore
from timetabling.service.settings import ServiceSettings
from timetabling.service.signing import EngineAuth


def celery_service(dist, callback_url: str | None = None, **settings: Any) -> TestClient:
    """The engine service in this process; with ``callback_url`` it calls back the web backend of this process,
    so it shares that backend's secret."""
    runner = CeleryRunner(dist.settings(**settings), poll_s=0.2)
    config = ServiceSettings(callback_url=callback_url, runner="celery", progress_interval_s=0.0)
    if callback_url:
        from django.conf import settings as web_settings

        config.shared_secret = web_settings.ENGINE_SHARED_SECRET
    app = create_app(config, runner=runner, bus=RedisProgressBus(dist.redis_url, dist.prefix),
                     results=RedisResultStore(dist.redis_url, dist.prefix))
    client = TestClient(app)
    client.auth = EngineAuth(app.state.engine.settings.shared_secret)  # the web backend's credential
    return client


def submit(client: TestClient, job_id: str, instance: dict, time_limit: float, variants: list[str]) -> None:
    response = client.post("/api/generate_variants", json={"job_id": job_id, "instance": instance,
                                                          "time_limit": time_limit, "variants": variants})
    assert response.status_code == 200, response.text


def wait_final(client: TestClient, job_id: str, timeout_s: float = 120.0) -> dict:
    def final() -> dict | None:
        body = client.get(f"/api/variants/{job_id}").json()
        return body if body["status"] in ("completed", "failed", "cancelled") else None

    body = wait_for(final, timeout_s, f"job {job_id} to finish", every_s=0.3)
    for variant in body["variants"]:  # the summary leaves the entries out: one variant at a time
        answer = client.get(f"/api/variants/{job_id}", params={"variant": variant["name"]}).json()
        variant["entries"] = answer["variants"][0]["entries"]
    return body


def running_task(dist, job_id: str) -> dict | None:
    """What the worker wrote when it started the job's task: pid, host, retries."""
    import json

    import redis

    client = redis.Redis.from_url(dist.redis_url)
    for key in client.scan_iter(f"{dist.prefix}running:{job_id}.*"):
        return json.loads(client.get(key))
    return None


def zero_clash(instance: dict, entries: list[dict]) -> bool:
    """The engine's checker finds no hard violation in ``entries``."""
    from timetabling.engine.checker import check
    from timetabling.engine.model import Instance, Solution

    inst = Instance.model_validate(instance)
    return check(inst, Solution(instance=inst.name, assignments=tuple(entries))).hard_total == 0
