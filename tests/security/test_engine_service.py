"""The engine service as an attacker meets it (issue 13): nothing but ``/health`` without the web backend's
credential, a browser follows one job with a short-lived token from an allowed origin only, no oversized
body is read, no figures for strangers, finished results go away, and one organization cannot fill it."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest
from django.conf import settings as django_settings
from django.test import override_settings
from fastapi.routing import APIRoute, APIWebSocketRoute
from fastapi.testclient import TestClient
from starlette.websockets import WebSocketDisconnect

from tests.service.support import FINAL, follow, job_body, service_client, signed
from tests.web.support import FAKE_CLIENT, FakeEngineClient, PersonasTestCase
from timetabling.engine.generator import generate_university
from timetabling.service.app import create_app
from timetabling.service.bus import InMemoryProgressBus, InMemoryResultStore, ProgressMessage
from timetabling.service.guard import EngineGuard
from timetabling.service.settings import MIB, ServiceSettings
from timetabling.service.signing import (
    DEVELOPMENT_SECRET,
    EngineAuth,
    progress_token,
    request_headers,
    verify_progress_token,
)
from timetabling.web.scheduling import services
from timetabling.web.scheduling.errors import Refused
from timetabling.web.scheduling.models import GenerationJob, JobStatus

WEB = "http://127.0.0.1:8000"  # the web backend's origin, as the default callback URL names it


class Clock:
    """A clock the test moves by hand (the stores' TTLs never wait for real time)."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class HeldRunner:
    """A runner that holds every job until the test finishes it: no solver, no timing."""

    name = "held"

    def __init__(self) -> None:
        self.jobs: dict[str, Any] = {}
        self.cancelled: list[str] = []

    def submit(self, spec, on_event, on_done) -> None:
        self.jobs[spec.job_id] = on_done

    def finish(self, job_id: str) -> None:
        self.jobs.pop(job_id)({"job_id": job_id, "status": "completed", "variants": [], "comparison": [],
                               "generation_time": 0.1, "message": ""})

    def cancel(self, job_id: str) -> bool:
        self.cancelled.append(job_id)
        return job_id in self.jobs

    def active(self) -> int:
        return len(self.jobs)

    def shutdown(self) -> None: ...


def held_service(**settings: Any) -> tuple[TestClient, HeldRunner, Clock]:
    """A signed client of a service whose jobs wait for ``runner.finish``; browsers allowed from the web
    backend's default origin (nothing is called back)."""
    clock, runner = Clock(), HeldRunner()
    settings.setdefault("allowed_origins", tuple(ServiceSettings().origins()))
    config = ServiceSettings(callback_url=None, **settings)
    app = create_app(config, runner=runner, bus=InMemoryProgressBus(config.result_ttl_s, clock),
                     results=InMemoryResultStore(config.result_ttl_s, clock))
    return signed(TestClient(app), config.shared_secret), runner, clock


@pytest.fixture(scope="module")
def engine():
    """A service with one job held running (``held-1``) and one finished (``done-1``)."""
    client, runner, _ = held_service()
    with client:
        for job in ("held-1", "done-1"):
            assert client.post("/api/generate_variants", json=job_body(job)).status_code == 200
        runner.finish("done-1")
        yield client, runner


def endpoints(client: TestClient) -> list[tuple[str, str]]:
    """Every HTTP route of the app but /health, as (method, path) with a real job id in it."""
    found = []
    for route in client.app.routes:
        methods = getattr(route, "methods", None) or set()
        if isinstance(route, APIWebSocketRoute) or route.path == "/health":
            continue
        for method in sorted(methods - {"HEAD"}):
            found.append((method, route.path.replace("{job_id}", "held-1")))
    assert ("POST", "/api/generate_variants") in found and ("POST", "/api/cancel/held-1") in found
    assert any(isinstance(r, APIRoute) and r.path == "/api/variants/{job_id}" for r in client.app.routes)
    return sorted(found)


def anonymous(client: TestClient) -> TestClient:
    return TestClient(client.app)


# ------------------------------------------------------------------------------------------ credential


def test_every_endpoint_but_health_refuses_a_caller_without_the_credential(engine) -> None:
    client, runner = engine
    stranger = anonymous(client)
    for method, path in endpoints(client):
        response = stranger.request(method, path, json=job_body("intruder-1") if method == "POST" else None)
        assert response.status_code == 401, (method, path, response.status_code)
        assert "credential" in response.json()["detail"]
        assert response.headers["www-authenticate"] == "Engine-HMAC"
    assert "intruder-1" not in runner.jobs and runner.cancelled == []


def test_every_endpoint_refuses_a_credential_signed_with_another_secret(engine) -> None:
    client, runner = engine
    forger = anonymous(client)
    forger.auth = EngineAuth("guessed-secret")
    for method, path in endpoints(client):
        response = forger.request(method, path, json=job_body("intruder-2") if method == "POST" else None)
        assert response.status_code == 403, (method, path, response.status_code)
        assert response.json()["detail"] == "the credential's signature is wrong"
    assert "intruder-2" not in runner.jobs and runner.cancelled == []


def test_a_stranger_cannot_read_or_cancel_another_organizations_job(engine) -> None:
    client, runner = engine
    stranger = anonymous(client)
    assert stranger.get("/api/variants/done-1").status_code == 401
    assert stranger.post("/api/cancel/held-1").status_code == 401
    assert runner.cancelled == [] and "held-1" in runner.jobs
    assert client.get("/api/variants/done-1").json()["status"] == "completed"  # the web backend still can


def test_a_signed_call_is_good_for_its_own_body_path_and_time_only(engine) -> None:
    client, _ = engine
    stranger = anonymous(client)
    secret = DEVELOPMENT_SECRET
    body = json.dumps(job_body("tamper-1")).encode()
    headers = {"Content-Type": "application/json", **request_headers("POST", "/api/generate_variants", body, secret)}
    tampered = body.replace(b'"time_limit": 2.0', b'"time_limit": 3.0')
    assert tampered != body
    assert stranger.post("/api/generate_variants", content=tampered, headers=headers).status_code == 403
    cancel = request_headers("POST", "/api/cancel/done-1", b"", secret)
    assert stranger.post("/api/cancel/held-1", headers=cancel).status_code == 403  # signed for another path
    stale = request_headers("GET", "/api/variants/done-1", b"", secret, now=time.time() - 3600)
    response = stranger.get("/api/variants/done-1", headers=stale)
    assert response.status_code == 403 and "expired" in response.json()["detail"]


def test_a_captured_call_cannot_be_replayed(engine) -> None:
    client, _ = engine
    stranger = anonymous(client)
    headers = request_headers("GET", "/api/variants/done-1", b"", DEVELOPMENT_SECRET)
    assert stranger.get("/api/variants/done-1", headers=headers).status_code == 200
    again = stranger.get("/api/variants/done-1", headers=headers)
    assert again.status_code == 403 and "used before" in again.json()["detail"]


# ------------------------------------------------------------------------------------------- /health


def test_health_tells_a_stranger_only_that_the_service_is_up(engine) -> None:
    client, _ = engine
    stranger = anonymous(client)
    assert stranger.get("/health").json() == {"service": "engine", "status": "ok"}
    forger = anonymous(client)
    forger.auth = EngineAuth("guessed-secret")
    assert forger.get("/health").json() == {"service": "engine", "status": "ok"}
    full = client.get("/health").json()
    assert full["resources"]["jobs_active"] == 1 and "memory_available_mb" in full["resources"]


# ----------------------------------------------------------------------------------- progress WebSocket


def refused(client: TestClient, url: str, **headers: str) -> WebSocketDisconnect:
    with pytest.raises(WebSocketDisconnect) as caught, client.websocket_connect(url, headers=headers) as ws:
        ws.receive_json()
    return caught.value


def test_the_websocket_refuses_a_browser_without_a_token(engine) -> None:
    client, _ = engine
    assert refused(anonymous(client), "/ws/progress/held-1", origin=WEB).code == 1008


def test_the_websocket_refuses_another_jobs_token(engine) -> None:
    client, _ = engine
    token = progress_token("done-1", DEVELOPMENT_SECRET)
    closed = refused(anonymous(client), f"/ws/progress/held-1?token={token}", origin=WEB)
    assert closed.code == 1008 and closed.reason == "the progress token is for another job"


def test_the_websocket_refuses_an_expired_or_forged_token(engine) -> None:
    client, _ = engine
    stale = progress_token("held-1", DEVELOPMENT_SECRET, now=time.time() - 3600)
    assert refused(anonymous(client), f"/ws/progress/held-1?token={stale}", origin=WEB).reason == \
        "the progress token has expired"
    forged = progress_token("held-1", "guessed-secret")
    assert refused(anonymous(client), f"/ws/progress/held-1?token={forged}", origin=WEB).reason == \
        "the progress token's signature is wrong"


def test_the_websocket_refuses_a_page_of_another_origin(engine) -> None:
    client, _ = engine
    token = progress_token("held-1", DEVELOPMENT_SECRET)
    closed = refused(anonymous(client), f"/ws/progress/held-1?token={token}", origin="https://evil.example")
    assert closed.code == 1008 and "origin" in closed.reason


def test_the_job_token_from_the_web_backends_page_follows_that_job(engine) -> None:
    client, _ = engine
    token = progress_token("done-1", DEVELOPMENT_SECRET)
    for origin in (WEB, "http://localhost:8000"):  # the loopback names of the web backend's own origin
        with anonymous(client).websocket_connect(f"/ws/progress/done-1?token={token}",
                                                 headers={"origin": origin}) as ws:
            message = ws.receive_json()
        assert message["job_id"] == "done-1" and message["status"] == "completed"


def test_allowed_origins_are_configurable() -> None:
    assert ServiceSettings(callback_url="https://timetable.example.edu/api/cb/").origins() == \
        {"https://timetable.example.edu"}
    assert ServiceSettings(allowed_origins=("https://a.example/",)).origins() == {"https://a.example"}
    assert ServiceSettings(callback_url=None).origins() == frozenset()


# ----------------------------------------------------------------------------------------------- limits


def test_a_50_mb_body_is_refused_with_413_before_it_is_read(engine) -> None:
    client, runner = engine
    huge = b"x" * (50 * MIB)
    for caller in (client, anonymous(client)):
        response = caller.post("/api/generate_variants", content=huge, headers={"Content-Type": "application/json"})
        assert response.status_code == 413 and "larger than" in response.json()["detail"]
    assert len(runner.jobs) == 1  # held-1 only


async def _drive(guard: EngineGuard, chunks: list[bytes], headers: list[tuple[bytes, bytes]]) -> tuple[int, int]:
    """Send a streamed body through the guard: (status answered, chunks it read)."""
    read = 0
    sent: list[dict] = []

    async def receive() -> dict:
        nonlocal read
        read += 1
        return {"type": "http.request", "body": chunks[read - 1], "more_body": read < len(chunks)}

    async def send(message: dict) -> None:
        sent.append(message)

    async def app(scope, receive_, send_) -> None:  # pragma: no cover - must not be reached
        raise AssertionError("the app saw an oversized body")

    scope = {"type": "http", "method": "POST", "path": "/api/generate_variants", "query_string": b"",
             "headers": headers}
    await guard(scope, receive, send)
    return sent[0]["status"], read


def test_a_streamed_body_is_cut_off_as_soon_as_it_passes_the_limit() -> None:
    import asyncio

    guard = EngineGuard(lambda *a: None, DEVELOPMENT_SECRET, max_body_bytes=1000, origins=frozenset())
    auth = request_headers("POST", "/api/generate_variants", b"", DEVELOPMENT_SECRET)["Authorization"]
    status, read = asyncio.run(_drive(guard, [b"x" * 400] * 100, [(b"authorization", auth.encode())]))
    assert status == 413 and read == 3  # 1,200 bytes read of 40,000


def test_the_default_body_limit_takes_a_university_profile_instance() -> None:
    body = json.dumps({"job_id": "u", "instance": generate_university("university", 0).model_dump(mode="json")})
    assert 2 * MIB < len(body) < ServiceSettings().max_body_bytes / 4


def test_a_time_limit_over_the_cap_is_refused() -> None:
    client, runner, _ = held_service(max_time_limit=120)
    with client:
        response = client.post("/api/generate_variants", json=job_body("long-1", time_limit=121))
        assert response.status_code == 400 and response.json()["error"]["field"] == "time_limit"
        assert "at most 120 seconds" in response.json()["detail"]
        assert client.post("/api/generate_variants", json=job_body("long-2", time_limit=120)).status_code == 200
    assert list(runner.jobs) == ["long-2"]


def test_a_finished_result_is_evicted_after_its_ttl() -> None:
    client, runner, clock = held_service(result_ttl_s=600)
    with client:
        assert client.post("/api/generate_variants", json=job_body("ttl-1")).status_code == 200
        clock.now += 10_000  # a running job is never evicted, however long it runs
        assert client.get("/api/variants/ttl-1").json()["status"] == "queued"
        runner.finish("ttl-1")
        clock.now += 599
        assert client.get("/api/variants/ttl-1").json()["status"] == "completed"
        clock.now += 2
        response = client.get("/api/variants/ttl-1")
        assert response.status_code == 404 and response.json()["detail"] == "unknown job ttl-1"


def test_expired_results_free_their_memory_without_being_asked_for() -> None:
    clock = Clock()
    results, bus = InMemoryResultStore(60, clock), InMemoryProgressBus(60, clock)
    results.put("old", {"status": "completed"})
    bus.publish(ProgressMessage("old", "completed", 100.0))
    clock.now += 61
    results.put("new", {"status": "completed"})
    bus.publish(ProgressMessage("new", "running", 5.0))
    assert results._results.keys() == {"new"} and bus._latest.keys() == {"new"}


# ---------------------------------------------------------------------------------------------- fair use


def test_one_organization_cannot_fill_the_engine() -> None:
    client, runner, _ = held_service(max_jobs_per_org=2)
    with client:
        for job in ("a-1", "a-2"):
            assert client.post("/api/generate_variants", json=job_body(job, organization_id=7)).status_code == 200
        response = client.post("/api/generate_variants", json=job_body("a-3", organization_id=7))
        assert response.status_code == 429 and response.json()["error"]["field"] == "organization_id"
        assert "already has 2 job(s) queued or running" in response.json()["detail"]
        assert client.post("/api/generate_variants", json=job_body("b-1", organization_id=8)).status_code == 200
        runner.finish("a-1")
        assert client.post("/api/generate_variants", json=job_body("a-3", organization_id=7)).status_code == 200
    assert sorted(runner.jobs) == ["a-2", "a-3", "b-1"]


# ------------------------------------------------------------------------------------ a real job, signed


def test_a_real_job_runs_for_the_signed_web_backend_and_its_page_token() -> None:
    with service_client(max_time_limit=60, allowed_origins=(WEB,)) as client:
        assert client.post("/api/generate_variants", json=job_body("real-1", time_limit=1)).status_code == 200
        token = progress_token("real-1", DEVELOPMENT_SECRET)
        with anonymous(client).websocket_connect(f"/ws/progress/real-1?token={token}",
                                                 headers={"origin": WEB}) as ws:
            messages = [ws.receive_json()]
            while messages[-1]["status"] not in FINAL:
                messages.append(ws.receive_json())
        assert messages[-1]["status"] == "completed"
        assert follow(client, "real-1")[-1]["status"] == "completed"  # the credential works on the WebSocket


# ------------------------------------------------------------------------------------ the web backend side


@override_settings(ENGINE_CLIENT=FAKE_CLIENT)
class WebBackendTests(PersonasTestCase):
    def test_the_status_page_gives_the_browser_a_token_for_that_job_only(self) -> None:
        job = GenerationJob.objects.create(organization=self.org, academic_year="2026-27", semester=1,
                                           status=JobStatus.RUNNING)
        other = GenerationJob.objects.create(organization=self.org, academic_year="2026-27", semester=2)
        self.as_user(self.scheduler)
        html = self.client.get(f"/admin/timetables/status/{job.id}").content.decode()
        token = html.split('data-ws-token="', 1)[1].split('"', 1)[0]
        secret = django_settings.ENGINE_SHARED_SECRET
        assert verify_progress_token(token, str(job.id), secret) is None
        assert verify_progress_token(token, str(other.id), secret) == "the progress token is for another job"
        assert secret not in html

    @override_settings(MAX_TIME_LIMIT=300)
    def test_the_web_backend_refuses_a_time_limit_over_the_cap(self) -> None:
        with pytest.raises(Refused) as refused_:
            services.start_generation(self.org, self.scheduler, "2026-27", 1, time_limit=301)
        assert refused_.value.status == 400 and "at most 300 seconds" in refused_.value.message
        assert FakeEngineClient.submitted == [] and not GenerationJob.objects.exists()
        services.start_generation(self.org, self.scheduler, "2026-27", 1, time_limit=300)
        assert [sent["time_limit"] for sent in FakeEngineClient.submitted] == [300]


def test_the_web_backends_engine_client_signs_its_calls(monkeypatch: pytest.MonkeyPatch) -> None:
    import httpx

    from timetabling.web.scheduling.engine_client import HttpEngineClient

    client, runner, _ = held_service()
    seen: list[int] = []

    def post(url: str, json: Any, timeout: float, auth: httpx.Auth) -> httpx.Response:
        response = client.post(url.removeprefix("http://engine"), json=json, auth=auth)
        seen.append(response.status_code)
        return response

    monkeypatch.setattr(httpx, "post", post)
    engine = HttpEngineClient("http://engine", secret=DEVELOPMENT_SECRET)
    with client:
        assert engine.submit(job_body("web-1"))["status"] == "queued"
        assert engine.cancel("web-1")["status"] == "cancelling"
    assert seen == [200, 200] and runner.cancelled == ["web-1"]
