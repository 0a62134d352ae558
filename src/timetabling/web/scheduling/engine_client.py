"""How the web backend talks to the engine service. ``settings.ENGINE_CLIENT`` names the class, so tests
and other deployments can put something else in its place."""

from __future__ import annotations

from functools import cache
from typing import Any, Protocol

import httpx
from django.conf import settings
from django.utils.module_loading import import_string
from pydantic import BaseModel, ValidationError

from timetabling.service.contract import CancelAccepted, JobAccepted
from timetabling.service.signing import EngineAuth


class EngineUnavailable(Exception):
    """The engine service did not accept the request (down, refused, or answered an error).

    ``status``: the engine's HTTP answer, None when it was not reached."""

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


class EngineClient(Protocol):
    def submit(self, payload: dict[str, Any]) -> dict[str, Any]:
        """Hand the engine a ``contract.JobRequest`` (as JSON); raise ``EngineUnavailable`` when it does not
        take it."""

    def cancel(self, job_id: str) -> dict[str, Any]: ...


class HttpEngineClient:
    """The FastAPI engine service at ``settings.ENGINE_URL``; every call signed with the shared secret."""

    def __init__(self, base_url: str | None = None, timeout: float = 30.0, secret: str | None = None) -> None:
        self.base_url = (base_url or settings.ENGINE_URL).rstrip("/")
        self.timeout = timeout
        self.auth = EngineAuth(secret or settings.ENGINE_SHARED_SECRET, prefix=httpx.URL(self.base_url).path)

    def _post(self, path: str, payload: dict[str, Any] | None = None) -> dict[str, Any]:
        try:
            response = httpx.post(f"{self.base_url}{path}", json=payload or {}, timeout=self.timeout, auth=self.auth)
        except httpx.HTTPError as err:
            raise EngineUnavailable(f"the engine service at {self.base_url} is not reachable: {err}") from None
        if response.status_code >= 400:
            raise EngineUnavailable(f"the engine service answered {response.status_code}: {response.text[:300]}",
                                    response.status_code)
        return response.json()

    def submit(self, payload: dict[str, Any]) -> dict[str, Any]:
        """``payload``: a ``contract.JobRequest`` as JSON; answers the engine's ``JobAccepted``."""
        return self._read(JobAccepted, self._post("/api/generate_variants", payload))

    def cancel(self, job_id: str) -> dict[str, Any]:
        return self._read(CancelAccepted, self._post(f"/api/cancel/{job_id}"))

    def _read(self, model: type[BaseModel], answer: Any) -> dict[str, Any]:
        try:
            return model.model_validate(answer).model_dump(mode="json")
        except ValidationError as err:
            raise EngineUnavailable(f"the engine service at {self.base_url} answered something else than a "
                                    f"{model.__name__}: {err.errors()[0]['msg']}") from None


@cache
def _client_class(path: str) -> type:
    return import_string(path)


def engine_client() -> EngineClient:
    return _client_class(settings.ENGINE_CLIENT)()
