"""Builders for the engine service tests."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from timetabling.engine.generator import generate_university
from timetabling.service.app import create_app
from timetabling.service.settings import ServiceSettings
from timetabling.service.signing import EngineAuth

FINAL = ("completed", "failed", "cancelled")


def tiny_instance_json() -> dict[str, Any]:
    return generate_university("tiny", 0).model_dump(mode="json")


def service_client(runner: str = "thread", callback_url: str | None = None, **settings: Any) -> TestClient:
    """A client of a fresh engine service that signs its calls with the service's credential."""
    settings = {"solver_workers": 1, "max_jobs": 2, "progress_interval_s": 0.0, "callback_retries": 2, **settings}
    config = ServiceSettings(callback_url=callback_url, runner=runner, **settings)
    return signed(TestClient(create_app(config)), config.shared_secret)


def signed(client: TestClient, secret: str) -> TestClient:
    """``client`` with the web backend's credential on every call (WebSockets included)."""
    client.auth = EngineAuth(secret)
    return client


def job_body(job_id: str, time_limit: float = 2.0, **changes: Any) -> dict[str, Any]:
    return {"job_id": job_id, "organization_id": 1, "semester": 1, "academic_year": "2026-27",
            "instance": tiny_instance_json(), "variants": ["Balanced", "Faculty-focused"], "time_limit": time_limit,
            **changes}


def follow(client: TestClient, job_id: str) -> list[dict[str, Any]]:
    """Every WebSocket progress message of the job until its final one."""
    messages = []
    with client.websocket_connect(f"/ws/progress/{job_id}") as ws:
        while True:
            message = ws.receive_json()
            messages.append(message)
            if message["status"] in FINAL or message["status"] == "unknown":
                return messages
