"""HMAC-SHA256 under the secret the web backend and the engine service share (``TIMETABLE_ENGINE_SECRET``).

- callbacks from the engine to the web backend: the signature of the raw body (``X-Engine-Signature``);
- calls to the engine service: ``Authorization: Engine-HMAC t=<unix time>,n=<nonce>,s=<signature>`` over the
  method, path, query, time, nonce and the body's digest; refused outside a short window, and once used;
- a browser's progress WebSocket: a short-lived token for one job, signed by the web backend.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import time
from collections.abc import Generator

import httpx

SIGNATURE_HEADER = "X-Engine-Signature"
DEVELOPMENT_SECRET = "dev-only-not-secret"  # refused outside development (DJANGO_DEBUG=0)


def sign(body: bytes, secret: str) -> str:
    """``sha256=<hex>`` of ``body`` under ``secret``."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def verify(body: bytes, secret: str, signature: str | None) -> bool:
    """True when ``signature`` is the signature of ``body`` under ``secret`` (constant-time comparison)."""
    if not signature or not secret:
        return False
    return hmac.compare_digest(sign(body, secret).encode(), signature.strip().encode())  # bytes: any header


# ------------------------------------------------------------------------------- calls to the engine service

AUTH_SCHEME = "Engine-HMAC"
SIGNATURE_WINDOW_S = 300  # a signed call is good this long either side of the engine's clock, and only once


def _request_digest(method: str, path: str, query: str, timestamp: str, nonce: str, body: bytes,
                    secret: str) -> str:
    message = "\n".join((method.upper(), path, query, timestamp, nonce, hashlib.sha256(body).hexdigest()))
    return hmac.new(secret.encode(), b"engine-request\n" + message.encode(), hashlib.sha256).hexdigest()


def request_headers(method: str, path: str, body: bytes, secret: str, query: str = "",
                    now: float | None = None) -> dict[str, str]:
    """The ``Authorization`` header for one call to the engine service (``path`` as the service routes it)."""
    timestamp = str(int(time.time() if now is None else now))
    nonce = secrets.token_hex(12)
    digest = _request_digest(method, path, query, timestamp, nonce, body, secret)
    return {"Authorization": f"{AUTH_SCHEME} t={timestamp},n={nonce},s={digest}"}


def parse_authorization(header: str | None) -> dict[str, str] | None:
    """The ``t``, ``n`` and ``s`` fields of an ``Engine-HMAC`` header; None when there is no such header."""
    if not header:
        return None
    scheme, _, rest = header.strip().partition(" ")
    if scheme != AUTH_SCHEME:
        return None
    fields = dict(part.strip().partition("=")[::2] for part in rest.split(","))
    return fields if {"t", "n", "s"} <= fields.keys() else None


def verify_request(method: str, path: str, query: str, body: bytes, fields: dict[str, str], secret: str,
                   now: float | None = None, window_s: float = SIGNATURE_WINDOW_S) -> str | None:
    """None when ``fields`` sign this call under ``secret`` within the window; otherwise why not."""
    if not secret:
        return "the engine service has no secret configured"
    try:
        timestamp = int(fields["t"])
    except ValueError:
        return "the credential's time is not a number"
    if abs((time.time() if now is None else now) - timestamp) > window_s:
        return "the credential has expired (or the clocks differ by more than 5 minutes)"
    expected = _request_digest(method, path, query, fields["t"], fields["n"], body, secret)
    if not hmac.compare_digest(expected.encode(), fields["s"].encode()):
        return "the credential's signature is wrong"
    return None


class EngineAuth(httpx.Auth):
    """Signs every request of an httpx client to the engine service.

    ``prefix``: the path of the service under the client's base URL (behind a proxy), left out of the
    signature because the service does not see it."""

    requires_request_body = True

    def __init__(self, secret: str, prefix: str = "") -> None:
        self.secret, self.prefix = secret, prefix.rstrip("/")

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        path = request.url.path
        if self.prefix and path.startswith(self.prefix):
            path = path[len(self.prefix):] or "/"
        request.headers.update(request_headers(request.method, path, request.content, self.secret,
                                               query=request.url.query.decode()))
        yield request


# ---------------------------------------------------------------------------- a browser's progress WebSocket

PROGRESS_TOKEN_TTL_S = 300


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _token_digest(payload: str, secret: str) -> str:
    return hmac.new(secret.encode(), b"progress-token\n" + payload.encode(), hashlib.sha256).hexdigest()


def progress_token(job_id: str, secret: str, ttl_s: float = PROGRESS_TOKEN_TTL_S, now: float | None = None) -> str:
    """A token that lets its holder follow one job's progress for ``ttl_s`` seconds, and nothing else."""
    expires = int((time.time() if now is None else now) + ttl_s)
    payload = _b64(json.dumps({"job": job_id, "exp": expires}, separators=(",", ":")).encode())
    return f"{payload}.{_token_digest(payload, secret)}"


def verify_progress_token(token: str | None, job_id: str, secret: str, now: float | None = None) -> str | None:
    """None when ``token`` was signed under ``secret`` for ``job_id`` and has not expired; otherwise why not."""
    if not token or not secret:
        return "no progress token"
    payload, _, digest = token.partition(".")
    if not hmac.compare_digest(_token_digest(payload, secret).encode(), digest.encode()):
        return "the progress token's signature is wrong"
    try:
        claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
        job, expires = str(claims["job"]), float(claims["exp"])
    except (ValueError, KeyError, TypeError):
        return "the progress token is malformed"
    if not hmac.compare_digest(job.encode(), job_id.encode()):
        return "the progress token is for another job"
    if (time.time() if now is None else now) > expires:
        return "the progress token has expired"
    return None
