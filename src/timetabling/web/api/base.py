"""The ``api`` decorator: method check, sign-in, organization membership, role, JSON body -> pydantic model."""

from __future__ import annotations

import functools
import json
from collections.abc import Callable, Collection
from typing import Any, TypeVar

from django.http import HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from pydantic import BaseModel, ValidationError

from timetabling.web.accounts.models import Membership
from timetabling.web.api.errors import ApiError, from_validation_error

M = TypeVar("M", bound=BaseModel)
View = Callable[..., JsonResponse | dict[str, Any]]


def parse_json(request: HttpRequest) -> Any:
    if not request.body:
        return {}
    content_type = request.content_type or ""
    if content_type != "application/json":
        raise ApiError(415, f"send the request body as application/json (got '{content_type}')", field="body")
    try:
        return json.loads(request.body)
    except (UnicodeDecodeError, json.JSONDecodeError) as err:
        raise ApiError(400, f"the body is not valid JSON: {err}", field="body") from None


def nul_path(value: Any, path: str = "") -> str | None:
    """The path of the first string holding a NUL character (PostgreSQL stores none), else None."""
    if isinstance(value, str):
        return path or "body" if "\x00" in value else None
    items = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else ()
    for key, item in items:
        if isinstance(key, str) and "\x00" in key:
            return path or "body"
        found = nul_path(item, f"{path}.{key}" if path else str(key))
        if found:
            return found
    return None


def body_as(request: HttpRequest, schema: type[M]) -> M:
    data = parse_json(request)
    bad = nul_path(data)
    if bad:
        raise ApiError(400, "text may not contain NUL characters", field=bad)
    if not isinstance(data, dict):
        raise ApiError(400, "the body must be a JSON object", field="body")
    try:
        return schema.model_validate(data)
    except ValidationError as err:
        raise from_validation_error(err) from None


def membership_of(request: HttpRequest) -> Membership:
    user = request.user
    if not user.is_authenticated:
        raise ApiError(401, "sign in first")
    membership = Membership.objects.select_related("organization").filter(user=user).first()
    if membership is None:
        raise ApiError(403, "this account belongs to no organization")
    return membership


def api(methods: Collection[str] = ("GET",), roles: Collection[str] | None = None, auth: bool = True):
    """Wrap a view ``view(request, [membership,] **kwargs)`` that returns a dict or a JsonResponse.

    POST bodies must be JSON (a browser form cannot send that across sites, which is why CSRF tokens are
    not asked for); ``roles`` limits the view to members with one of these roles (403 otherwise)."""

    def decorate(view: View) -> Callable[..., JsonResponse]:
        @csrf_exempt
        @functools.wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> JsonResponse:
            try:
                for name, value in kwargs.items():  # an id no database row can have is simply not there
                    if isinstance(value, int) and not 0 < value < 2**63:
                        raise ApiError(404, f"{name} {value} not found", field=name)
                if request.method not in methods:
                    raise ApiError(405, f"method {request.method} not allowed (use {', '.join(methods)})")
                if auth:
                    membership = membership_of(request)
                    if roles is not None and membership.role not in roles:
                        raise ApiError(403, f"your role ({membership.get_role_display()}) may not do this")
                    result = view(request, membership, *args, **kwargs)
                else:
                    result = view(request, *args, **kwargs)
            except ApiError as err:
                return err.response()
            if isinstance(result, JsonResponse):
                return result
            return JsonResponse({"success": True, **result})

        wrapper.api_methods = tuple(methods)  # type: ignore[attr-defined]
        return wrapper

    return decorate
