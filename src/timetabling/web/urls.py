"""URL routes; the public JSON API is one django-ninja API (``api.app``), which also serves its OpenAPI
description at ``/api/openapi.json``."""

from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest, JsonResponse
from django.http.response import HttpResponseBase
from django.urls import include, path

from timetabling.web.accounts.models import Role
from timetabling.web.api.app import api
from timetabling.web.api.credentials import Member
from timetabling.web.api.errors import error_response
from timetabling.web.scheduling.errors import Refused

ORG_ADMINS = Member([Role.ORG_ADMIN])


def health(request: HttpRequest) -> HttpResponseBase:
    """Up or not, for anyone; ``?detail=1``: the checks of ``timetable doctor --role web``, for organization
    admins only."""
    if not request.GET.get("detail"):
        return JsonResponse({"service": "web", "status": "ok"})
    try:
        ORG_ADMINS(request)
    except Refused as err:
        return error_response(err)
    from timetabling.web.doctor import web_checks

    checks = web_checks(timeout_s=3.0)
    problems = sum(c.ok is False for c in checks)
    return JsonResponse({"success": True, "service": "web", "status": "ok" if not problems else "problems",
                         "problems": problems, "checks": [c.to_json() for c in checks]})


urlpatterns = [
    path("", include("timetabling.web.pages.urls")),  # pages, /admin/timetables/... among them: before the admin
    path("notifications/", include("timetabling.web.notifications.urls")),
    path("admin/", admin.site.urls),
    path("api/health/", health, name="health"),
    path("api/", include(api.urls[0])),  # no namespace: the API's URL names are plain (``result_download``)
]
