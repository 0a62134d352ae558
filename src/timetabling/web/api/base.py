"""Reading a JSON request body: the checks pydantic does not make (media type, nesting depth, NUL characters),
as django-ninja's ``Parser`` of the API (``app``)."""

from __future__ import annotations

import json
from typing import Any

from django.http import HttpRequest
from ninja.parser import Parser

from timetabling.web.api.errors import ApiError

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


def parse_json(request: HttpRequest) -> dict[str, Any]:
    """The body as a JSON object: 415 when it is not application/json, 400 naming the body (or the field) when it
    is not JSON, nests too deep, is not an object or holds a NUL character."""
    content_type = request.content_type or ""
    if content_type != "application/json":
        raise ApiError(415, f"send the request body as application/json (got '{content_type}')", field="body")
    data = load_json(request.body)
    bad = nul_path(data)
    if bad:
        raise ApiError(400, "text may not contain NUL characters", field=bad)
    if not isinstance(data, dict):
        raise ApiError(400, "the body must be a JSON object", field="body")
    return data


class JsonParser(Parser):
    """django-ninja reads request bodies with ``parse_json`` (it wraps what this raises in an ``HttpError``,
    which the API's handler unwraps: ``app``)."""

    def parse_body(self, request: HttpRequest) -> dict[str, Any]:
        return parse_json(request)
