"""Errors as JSON: ``{success: false, error: {field, reason}, message}`` with the right status code."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core.exceptions import BadRequest, RequestDataTooBig, SuspiciousOperation
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from pydantic import ValidationError

from timetabling.web.scheduling.errors import Refused

log = logging.getLogger(__name__)


class ApiError(Refused):
    """An expected outcome of a request: bad input, a missing record, a refused action. The workflow's own
    refusals (``scheduling.errors.Refused``) answer the same way (``error_response``)."""

    def response(self) -> JsonResponse:
        return error_response(self)


def error_response(err: Refused) -> JsonResponse:
    """``{success: false, message, error: {field, reason}, ...extra}`` with the refusal's status."""
    body: dict[str, Any] = {"success": False, "message": err.message, **err.extra}
    body["error"] = {"field": err.field, "reason": err.message}
    return JsonResponse(body, status=err.status)


def not_found(what: str = "record") -> ApiError:
    return ApiError(404, f"{what} not found")


def from_validation_error(err: ValidationError) -> ApiError:
    """The first problem of a request body, with its field path; all of them under ``errors``."""
    problems = []
    for e in err.errors():
        field = ".".join(str(p) for p in e["loc"]) or None
        problems.append({"field": field, "reason": e["msg"]})
    first = problems[0] if problems else {"field": None, "reason": "invalid request"}
    return ApiError(400, f"{first['field']}: {first['reason']}" if first["field"] else first["reason"],
                    field=first["field"], errors=problems)


class JsonErrorMiddleware:
    """Under ``/api/``, a 404, a 405 or an unexpected error answers JSON, never an HTML page or plain text."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if (
            request.path.startswith("/api/")
            and response.status_code == 404
            and not response.get("Content-Type", "").startswith("application/json")
        ):
            return ApiError(404, f"no such endpoint or record: {request.path}").response()
        if request.path.startswith("/api/") and response.status_code == 405:  # django-ninja's plain-text answer
            allowed = response.get("Allow", "")
            return ApiError(405, f"method {request.method} not allowed (use {allowed})").response()
        return response

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not request.path.startswith("/api/"):
            return None
        if isinstance(exception, Refused):
            return error_response(exception)
        if isinstance(exception, Http404):
            return ApiError(404, "record not found").response()
        if isinstance(exception, RequestDataTooBig):
            return ApiError(413, f"the request body is larger than {settings.DATA_UPLOAD_MAX_MEMORY_SIZE} bytes",
                            field="body").response()
        if isinstance(exception, SuspiciousOperation | BadRequest):  # too many fields, a damaged form...
            return ApiError(400, f"the request cannot be read: {exception}", field="body").response()
        log.exception("unexpected error in %s", request.path)
        return JsonResponse({"success": False, "message": "internal error"}, status=500)
