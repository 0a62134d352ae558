"""What a throttled sign-in gets back: 429 with "too many failed sign-ins; try again in N s".

django-axes counts the failures (settings: ``AXES_*``) on every ``authenticate(request=...)``, which the API's
login, the pages' sign-in and the admin's login all call; its middleware hands the refused request here."""

from __future__ import annotations

import math
from typing import Any

from axes.helpers import get_cool_off
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from timetabling.web.api.errors import ApiError


def retry_after_seconds(request: HttpRequest) -> int:
    """Seconds until the next sign-in may be tried. Every refused try counts as a failure and starts the
    cool-off again (axes' ``AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT``), so it is the whole cool-off."""
    cool_off = get_cool_off(request)
    return max(1, math.ceil(cool_off.total_seconds())) if cool_off else 0


def throttled_message(seconds: int) -> str:
    return f"too many failed sign-ins; try again in {seconds} s"


def too_many_failures(request: HttpRequest, original_response: HttpResponse | None = None,
                      credentials: dict[str, Any] | None = None) -> HttpResponse:
    """axes' ``AXES_LOCKOUT_CALLABLE``: JSON under /api/, the sign-in page with the message elsewhere."""
    seconds = retry_after_seconds(request)
    message = throttled_message(seconds)
    if request.path.startswith("/api/"):
        response: HttpResponse = ApiError(429, message, field="username", retry_after=seconds).response()
    else:
        response = render(request, "429.html", {"message": message}, status=429)
    response["Retry-After"] = str(seconds)
    return response
