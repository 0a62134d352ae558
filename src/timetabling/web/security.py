"""The Content-Security-Policy header on every response (Django 5 has no setting for it).

The pages load their scripts and styles from static files only; the policy is built once in the settings
(``CONTENT_SECURITY_POLICY``) from where the browser may connect: this site, and the engine service's
progress WebSocket while the status page follows a job there."""

from __future__ import annotations

import logging
from collections.abc import Callable
from urllib.parse import urlsplit

from django.conf import settings
from django.http import HttpRequest, HttpResponse

# the one inline style of Django's admin (admin/change_list.html, a change list without actions); a test
# checks that the installed Django still has exactly this block
ADMIN_CHANGE_LIST_STYLE = "'sha256-blvLUW3UscWqsXGByNOqdBboM+ShWAuugp2mC/wbafU='"


def websocket_origin(url: str) -> str | None:
    """``ws://host:port`` (``wss://`` for https) of a service URL; None when it has no host."""
    parts = urlsplit(url)
    if not parts.hostname:
        return None
    scheme = "wss" if parts.scheme in ("https", "wss") else "ws"
    return f"{scheme}://{parts.netloc}"


def build_policy(connect: list[str]) -> str:
    """The policy: everything from this site only, no plugins, no framing, forms post here only."""
    directives = {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'", ADMIN_CHANGE_LIST_STYLE],
        "img-src": ["'self'", "data:"],
        "connect-src": ["'self'", *connect],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
    return "; ".join(f"{name} {' '.join(values)}" for name, values in directives.items())


class ContentSecurityPolicyMiddleware:
    """Adds ``settings.CONTENT_SECURITY_POLICY`` to every response that has none.

    Under DEBUG, Django's own error pages (inline styles and scripts) go without it."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self.policy = settings.CONTENT_SECURITY_POLICY

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if settings.DEBUG and response.status_code in (404, 500):
            return response
        response.headers.setdefault("Content-Security-Policy", self.policy)
        return response


class DropTraceback(logging.Filter):
    """Log an expected refusal (a bad Host header) as its one-line message, without the traceback."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.exc_info, record.exc_text = None, None
        return True
