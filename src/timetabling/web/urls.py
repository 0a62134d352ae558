"""URL routes; the public API's come from ``api.routes.API_ROUTES``, which the OpenAPI description is built from."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest, JsonResponse
from django.http.response import HttpResponseBase
from django.urls import include, path

from timetabling.web.accounts.models import Membership, Role
from timetabling.web.api.base import api
from timetabling.web.api.openapi import openapi_view
from timetabling.web.api.routes import API_ROUTES


def health(request: HttpRequest) -> HttpResponseBase:
    """Up or not, for anyone; ``?detail=1``: the checks of ``timetable doctor --role web``, for organization
    admins only."""
    if request.GET.get("detail"):
        return health_detail(request)
    return JsonResponse({"service": "web", "status": "ok"})


@api(["GET"], roles=[Role.ORG_ADMIN])
def health_detail(request: HttpRequest, membership: Membership) -> dict[str, Any]:
    from timetabling.web.doctor import web_checks

    checks = web_checks(timeout_s=3.0)
    problems = sum(c.ok is False for c in checks)
    return {"service": "web", "status": "ok" if not problems else "problems", "problems": problems,
            "checks": [c.to_json() for c in checks]}


urlpatterns = [
    path("", include("timetabling.web.pages.urls")),  # pages, /admin/timetables/... among them: before the admin
    path("notifications/", include("timetabling.web.notifications.urls")),
    path("admin/", admin.site.urls),
    path("api/openapi.json", openapi_view, name="openapi"),
    path("api/health/", health, name="health"),
    *[path(route, view, name=view.__name__) for route, view, *_ in API_ROUTES],
]
