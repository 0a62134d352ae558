"""The engine service's front door: every call but ``/health`` carries the shared credential, and no body
larger than the limit is read.

- HTTP: ``Authorization: Engine-HMAC ...`` (see ``signing``); a missing credential is 401, a wrong, expired
  or replayed one 403; a body over ``max_body_bytes`` is 413 before anything parses it;
- WebSocket: the same credential (servers), or ``?token=`` a progress token for that very job, signed by the
  web backend, from a browser whose ``Origin`` is allowed;
- ``/health`` answers anyone, and marks the caller authenticated when the credential is right, so that only
  then it shows its figures.
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any
from urllib.parse import parse_qs

from timetabling.service.signing import (
    AUTH_SCHEME,
    SIGNATURE_WINDOW_S,
    parse_authorization,
    verify_progress_token,
    verify_request,
)

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

OPEN_PATHS = frozenset({"/health"})
PROGRESS_PATH = re.compile(r"^/ws/progress/(?P<job_id>[^/]+)$")
POLICY_VIOLATION = 1008  # WebSocket close code: refused by policy


class NonceLog:
    """Nonces of accepted calls, kept as long as their signature could still be accepted: a call replayed
    within the window is refused. Per service process."""

    def __init__(self, keep_s: float = 2 * SIGNATURE_WINDOW_S, clock: Callable[[], float] = time.monotonic) -> None:
        self.keep_s, self.clock = keep_s, clock
        self._seen: OrderedDict[str, float] = OrderedDict()
        self._lock = threading.Lock()

    def first_use(self, nonce: str) -> bool:
        """Record ``nonce``; False when it was seen before."""
        now = self.clock()
        with self._lock:
            while self._seen and next(iter(self._seen.values())) < now - self.keep_s:
                self._seen.popitem(last=False)
            if nonce in self._seen:
                return False
            self._seen[nonce] = now
            return True


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", ()):
        if key.lower() == name:
            return value.decode("latin-1")
    return None


class EngineGuard:
    """ASGI middleware in front of the engine service's routes."""

    def __init__(self, app: ASGIApp, secret: str, max_body_bytes: int, origins: frozenset[str],
                 nonces: NonceLog | None = None) -> None:
        self.app, self.secret, self.max_body_bytes, self.origins = app, secret, max_body_bytes, origins
        self.nonces = nonces or NonceLog()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            await self._http(scope, receive, send)
        elif scope["type"] == "websocket":
            await self._websocket(scope, receive, send)
        else:
            await self.app(scope, receive, send)

    # ------------------------------------------------------------------------------------------ HTTP

    async def _http(self, scope: Scope, receive: Receive, send: Send) -> None:
        length = _header(scope, b"content-length")
        if length is not None and (not length.isdigit() or int(length) > self.max_body_bytes):
            await _refuse(send, 413, f"the request body is larger than {self.max_body_bytes} bytes"
                          if length.isdigit() else "the Content-Length header is not a number")
            return
        fields = parse_authorization(_header(scope, b"authorization"))
        open_path = scope["path"] in OPEN_PATHS
        if fields is None and not open_path:
            await _refuse(send, 401, f"this engine service needs the {AUTH_SCHEME} credential of the web backend",
                          {"www-authenticate": AUTH_SCHEME})
            return
        body = await _read_body(receive, self.max_body_bytes)
        if body is None:
            await _refuse(send, 413, f"the request body is larger than {self.max_body_bytes} bytes")
            return
        reason = None if fields is None else self._check(scope, scope["method"], fields, body)
        if reason is not None and not open_path:
            await _refuse(send, 403, reason)
            return
        scope.setdefault("state", {})["engine_authenticated"] = fields is not None and reason is None
        await self.app(scope, _replay(body, receive), send)

    def _check(self, scope: Scope, method: str, fields: dict[str, str], body: bytes) -> str | None:
        reason = verify_request(method, scope["path"], scope.get("query_string", b"").decode("latin-1"), body,
                                fields, self.secret)
        if reason is None and not self.nonces.first_use(fields["n"]):
            reason = "the credential was used before (a replayed call)"
        return reason

    # ------------------------------------------------------------------------------------- WebSocket

    async def _websocket(self, scope: Scope, receive: Receive, send: Send) -> None:
        reason = self._websocket_refusal(scope)
        if reason is None:
            await self.app(scope, receive, send)
            return
        await receive()  # websocket.connect
        await send({"type": "websocket.close", "code": POLICY_VIOLATION, "reason": reason[:120]})

    def _websocket_refusal(self, scope: Scope) -> str | None:
        fields = parse_authorization(_header(scope, b"authorization"))
        if fields is not None:
            return self._check(scope, "GET", fields, b"")  # a WebSocket opens with a GET
        match = PROGRESS_PATH.match(scope["path"])
        if match is None:
            return f"this engine service needs the {AUTH_SCHEME} credential of the web backend"
        token = parse_qs(scope.get("query_string", b"").decode("latin-1")).get("token", [None])[0]
        reason = verify_progress_token(token, match["job_id"], self.secret)  # ASGI paths come decoded
        if reason is not None:
            return reason
        origin = _header(scope, b"origin")
        if origin is not None and origin.rstrip("/") not in self.origins:
            return f"the origin {origin[:60]} may not follow jobs here"
        return None


async def _read_body(receive: Receive, limit: int) -> bytes | None:
    """The whole body; None as soon as it passes ``limit`` bytes (the rest is not read)."""
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] != "http.request":
            break
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
        if not message.get("more_body", False):
            break
    return b"".join(chunks)


def _replay(body: bytes, receive: Receive) -> Receive:
    sent = False

    async def replayed() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replayed


async def _refuse(send: Send, status: int, reason: str, headers: dict[str, str] | None = None) -> None:
    """The service's error shape (``detail`` and ``error``), sent without calling the app."""
    body = json.dumps({"detail": reason, "error": {"field": None, "reason": reason}}).encode()
    raw = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    raw += [(k.encode(), v.encode()) for k, v in (headers or {}).items()]
    await send({"type": "http.response.start", "status": status, "headers": raw})
    await send({"type": "http.response.body", "body": body})
