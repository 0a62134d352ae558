"""The ``api`` decorator: method check, sign-in, organization membership, role, JSON body -> pydantic model."""

from __future__ import annotations

import functools
import json
from collections.abc import Callable, Collection
from typing import Any, TypeVar

from django.http import HttpRequest, JsonResponse
from django.http.response import HttpResponseBase
from django.views.decorators.csrf import csrf_exempt
from pydantic import BaseModel, ValidationError

from timetabling.web.accounts.models import Membership, membership_of
from timetabling.web.api.credentials import authenticate_request
from timetabling.web.api.errors import ApiError, error_response, from_validation_error
from timetabling.web.scheduling.errors import Refused

M = TypeVar("M", bound=BaseModel)
View = Callable[..., HttpResponseBase | dict[str, Any]]


MAX_JSON_DEPTH = 32  # our deepest body (the engine's callback) nests 4 levels; Python's parser stops near 1000


def load_json(raw: bytes) -> Any:
    """The parsed body; a 400 naming the body when it is not JSON or nests deeper than ``MAX_JSON_DEPTH``."""
    try:
        data = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError) as err:
        raise ApiError(400, f"the body is not valid JSON: {err}", field="body") from None
    except RecursionError:
        data = None
        depth = MAX_JSON_DEPTH + 1
    else:
        depth = json_depth(data, MAX_JSON_DEPTH)
    if depth > MAX_JSON_DEPTH:
        raise ApiError(400, f"the body nests arrays and objects more than {MAX_JSON_DEPTH} levels deep", field="body")
    return data


def json_depth(value: Any, limit: int) -> int:
    """How deep arrays and objects nest in ``value``, counted without recursion; stops past ``limit``."""
    deepest = 0
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        children = item.values() if isinstance(item, dict) else item if isinstance(item, list) else None
        if children is None:
            continue
        deepest = max(deepest, depth)
        if deepest > limit:
            break
        stack.extend((child, depth + 1) for child in children if isinstance(child, dict | list))
    return deepest


def parse_json(request: HttpRequest) -> Any:
    if not request.body:
        return {}
    content_type = request.content_type or ""
    if content_type != "application/json":
        raise ApiError(415, f"send the request body as application/json (got '{content_type}')", field="body")
    return load_json(request.body)


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


def record_id(value: str, field: str) -> int:
    """A query string's record id; 400 naming ``field`` for anything else."""
    if not (value.isascii() and value.isdigit()) or len(value) > 19:  # int() reads '٣' and ' 3' too
        raise ApiError(400, f"'{value[:40]}' is not a record id (a whole number)", field=field)
    number = int(value)
    if not 0 < number < 2**63:
        raise ApiError(400, f"{number} is not a valid id", field=field)
    return number


def member(request: HttpRequest) -> Membership:
    """The signed-in member: 401 for a visitor, 403 for an account of no organization."""
    if not request.user.is_authenticated:
        raise ApiError(401, "sign in first")
    membership = membership_of(request.user)
    if membership is None:
        raise ApiError(403, "this account belongs to no organization")
    return membership


def api(methods: Collection[str] = ("GET",), roles: Collection[str] | None = None, auth: bool = True,
        csrf: bool = True):
    """Wrap a view ``view(request, [membership,] **kwargs)`` that returns a dict or a response.

    ``roles`` limits the view to members with one of these roles (403 otherwise). A session-authenticated
    write needs the CSRF token, an API token (``Authorization: Bearer``) does not (see ``credentials``);
    ``csrf=False`` only for a caller that proves itself otherwise (the engine's signed callback)."""

    def decorate(view: View) -> Callable[..., HttpResponseBase]:
        @csrf_exempt  # Django's middleware would answer an HTML 403, and cannot tell a token from a session
        @functools.wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
            try:
                for name, value in kwargs.items():  # an id no database row can have is simply not there
                    if isinstance(value, int) and not 0 < value < 2**63:
                        raise ApiError(404, f"{name} {value} not found", field=name)
                if request.method not in methods:
                    raise ApiError(405, f"method {request.method} not allowed (use {', '.join(methods)})")
                authenticate_request(request, needs_csrf=csrf, signed_in_only=auth)
                if auth:
                    membership = member(request)
                    if roles is not None and membership.role not in roles:
                        raise ApiError(403, f"your role ({membership.get_role_display()}) may not do this")
                    result = view(request, membership, *args, **kwargs)
                else:
                    result = view(request, *args, **kwargs)
            except Refused as err:  # the API's own errors and the workflow's refusals
                return error_response(err)
            if isinstance(result, HttpResponseBase):  # a 304, a download, or JSON the view built itself
                return result
            return JsonResponse({"success": True, **result})

        wrapper.api_methods = tuple(methods)  # type: ignore[attr-defined]
        return wrapper

    return decorate
