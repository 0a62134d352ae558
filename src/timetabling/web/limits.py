"""How big a request body may be, decided per endpoint, and answered 413 with a message before anything
reads the body.

Django's own limit (``DATA_UPLOAD_MAX_MEMORY_SIZE``, 2.5 MB) fits every form and JSON request but one: the
engine's callback carries whole timetables (the ``university`` profile's 8,235 sessions in 5 variants take
about 3.4 MB), so that signed endpoint alone takes more. Files uploaded to the data pages have their own limit
(``uploads.MAX_BYTES``), which Django's does not count."""

from __future__ import annotations

import re
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse

from timetabling.web.api.errors import ApiError
from timetabling.web.pages.uploads import MAX_BYTES as UPLOAD_MAX_BYTES

CALLBACK_PATH = "/api/academics/timetable/fastapi_callback/"
CALLBACK_MAX_BYTES = 32 * 2**20  # ten times the largest result measured
UPLOAD_PATH = re.compile(r"^/data/[^/]+/upload/$")
MULTIPART_OVERHEAD = 64 * 2**10  # the form's other fields and the part headers around the file


def body_limit(path: str) -> int:
    """The most bytes a request body to ``path`` may have."""
    if path == CALLBACK_PATH:
        return CALLBACK_MAX_BYTES
    if UPLOAD_PATH.match(path):
        return UPLOAD_MAX_BYTES + MULTIPART_OVERHEAD
    return settings.DATA_UPLOAD_MAX_MEMORY_SIZE or CALLBACK_MAX_BYTES


def _mib(n: int) -> str:
    return f"{n / 2**20:.1f} MiB"


def too_large(request: HttpRequest, size: int, limit: int) -> HttpResponse:
    if UPLOAD_PATH.match(request.path_info):
        message = f"the file is larger than {UPLOAD_MAX_BYTES // 2**20} MiB; split it into smaller files"
    else:
        message = f"the request body is {_mib(size)}, more than this endpoint takes ({_mib(limit)})"
    if request.path_info.startswith("/api/"):
        return ApiError(413, message, field="body").response()
    return HttpResponse(f"413 Payload Too Large: {message}\n", status=413, content_type="text/plain; charset=utf-8")


class BodyLimitMiddleware:
    """Refuse a body whose Content-Length passes the endpoint's limit (413), before anything reads it.

    A body is never longer than its Content-Length: Django reads no further (and reads nothing without one)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        try:
            size = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            size = 0  # Django reads such a body as empty
        limit = body_limit(request.path_info)
        if size > limit:
            return too_large(request, size, limit)
        return self.get_response(request)
