"""Property-based fuzzing of both services' APIs from their own OpenAPI descriptions (schemathesis): valid and
invalid requests to every operation, as a signed-in organization admin (the web API) and with the web
backend's credential (the engine service). No answer is a 5xx.

Bounded for CI: ``EXAMPLES`` per operation and generation mode; the whole file runs in well under a minute."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlencode

import schemathesis
from django.test import override_settings
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.core import NOT_SET

from tests.service.support import signed
from tests.web.support import FAKE_CLIENT, PersonasTestCase, signed_headers
from timetabling.service.app import create_app
from timetabling.service.settings import ServiceSettings
from timetabling.web.api.app import api

EXAMPLES = 6
FUZZ = settings(max_examples=EXAMPLES, deadline=None, database=None, phases=[Phase.generate],
                suppress_health_check=list(HealthCheck))


def operations(description: dict[str, Any]) -> list[schemathesis.APIOperation]:
    schema = schemathesis.openapi.from_dict(description)
    return [result.ok() for result in schema.get_all_operations()]


def request_of(case: schemathesis.Case) -> tuple[str, str, bytes, str, str]:
    """method, path, body, content type, query string of a generated case."""
    if case.body is NOT_SET:
        body = b""
    elif isinstance(case.body, bytes):  # negative cases: a body that is not JSON at all
        body = case.body
    else:
        body = json.dumps(case.body, default=str).encode()
    query = urlencode(case.query or {}, doseq=True)
    return case.method.upper(), case.formatted_path, body, case.media_type or "application/json", query


def fuzz(operation: schemathesis.APIOperation, send) -> None:
    """Send ``EXAMPLES`` valid and ``EXAMPLES`` invalid requests of one operation; none may answer 5xx."""
    for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
        @FUZZ
        @given(case=operation.as_strategy(generation_mode=mode))
        def run(case: schemathesis.Case) -> None:
            method, path, body, content_type, query = request_of(case)
            status, text = send(method, path, body, content_type, query)
            assert status < 500, f"{method} {path}?{query} {body[:300]!r} -> {status} {text[:300]}"

        try:
            run()
        except Unsatisfiable:
            assert mode is GenerationMode.NEGATIVE  # an operation without inputs has no invalid request


@override_settings(ENGINE_CLIENT=FAKE_CLIENT)
class WebApiFuzzTests(PersonasTestCase):
    def test_no_request_to_the_web_api_is_answered_5xx(self) -> None:
        self.as_user(self.admin)
        description = self.client.get("/api/openapi.json").json()
        assert description == json.loads(json.dumps(api.get_openapi_schema()))  # django-ninja's, served as built

        def send(method: str, path: str, body: bytes, content_type: str, query: str) -> tuple[int, str]:
            # signed too: the engine's callback is then fuzzed past its signature check
            response = self.client.generic(method, path, data=body, content_type=content_type, QUERY_STRING=query,
                                           **signed_headers(body))
            return response.status_code, response.content.decode(errors="replace")

        tried = 0
        for operation in operations(description):
            if operation.path == "/api/auth/logout/":
                continue  # signs the admin out: every later request would only meet the 401
            fuzz(operation, send)
            tried += 1
        assert tried >= 15


class IdleRunner:
    """Takes jobs and never runs them: a fuzzed instance that happens to be valid costs no solve."""

    name = "idle"

    def __init__(self) -> None:
        self.jobs: list[str] = []

    def submit(self, spec: Any, on_event: Any, on_done: Any) -> None:
        self.jobs.append(spec.job_id)

    def cancel(self, job_id: str) -> bool:
        return job_id in self.jobs

    def active(self) -> int:
        return len(self.jobs)

    def shutdown(self) -> None:
        self.jobs.clear()


def test_no_request_to_the_engine_service_is_answered_5xx() -> None:
    config = ServiceSettings(callback_url=None, runner="thread", solver_workers=1, max_jobs=2,
                             progress_interval_s=0.0, callback_retries=0)
    app = create_app(config, runner=IdleRunner())
    client = signed(TestClient(app), config.shared_secret)  # the web backend's credential on every call

    def send(method: str, path: str, body: bytes, content_type: str, query: str) -> tuple[int, str]:
        response = client.request(method, path + (f"?{query}" if query else ""), content=body,
                                  headers={"content-type": content_type})
        return response.status_code, response.text

    described = operations(app.openapi())
    for operation in described:
        fuzz(operation, send)
    assert {o.path for o in described} >= {"/api/generate_variants", "/api/variants/{job_id}", "/api/cancel/{job_id}"}
    # the credential was accepted: a fuzzed call is judged on its content, not refused at the door
    assert client.get("/api/variants/no-such-job").status_code == 404
