"""The OpenAPI 3.1 description of the public API, built from the route table in ``api.routes``."""

from __future__ import annotations

import re
from typing import Any

from django.http import HttpRequest, JsonResponse
from pydantic import BaseModel

from timetabling import __version__
from timetabling.web.api.routes import API_ROUTES
from timetabling.web.api.serializers import ACADEMIC_KINDS
from timetabling.web.scheduling.models import TimetableStatus

RECORD_ID = {"type": "integer", "minimum": 1, "maximum": 2**63 - 1}


def _path_params(path: str, view: Any) -> list[dict[str, Any]]:
    params = []
    for conv, name in re.findall(r"<(?:(\w+):)?(\w+)>", path):
        schema = dict(RECORD_ID) if conv == "int" else {"type": "string"}
        schema.update(PATH_ENUMS.get((view.__name__, name), {}))
        params.append({"name": name, "in": "path", "required": True, "schema": schema})
    return params + QUERY_PARAMS.get(view.__name__, [])


def _query(name: str, schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"name": name, "in": "query", "required": False, "schema": schema, "description": description}


# what the route table does not say: the query strings views read, the kinds a path's ``kind`` takes
QUERY_PARAMS: dict[str, list[dict[str, Any]]] = {
    "listing": [_query("search", {"type": "string", "maxLength": 200}, "part of a code or name"),
                _query("page", {"type": "integer", "minimum": 1, "maximum": 10**9}, "1-based page"),
                _query("page_size", {"type": "integer", "minimum": 1, "maximum": 500}, "records per page")],
    "timetables": [_query("status", {"type": "string", "enum": list(TimetableStatus.values)},
                          "only timetables in this status")],
    "owner_timetable": [_query("timetable_id", RECORD_ID, "staff: this timetable instead of the published one")],
    "result": [_query("timetable_id", RECORD_ID, "this variant's slots (by id)"),
               _query("variant", {"type": "string", "maxLength": 200}, "this variant's slots (by name)"),
               _query("kind", {"type": "string", "enum": ["batch", "faculty", "room", "student"]},
                      "with owner_id: only this owner's slots"),
               _query("owner_id", RECORD_ID, "with kind: only this owner's slots"),
               _query("page", {"type": "integer", "minimum": 1, "maximum": 2**63 - 1}, "1-based page of slots"),
               _query("page_size", {"type": "integer", "minimum": 1, "maximum": 5000},
                      "slots per page (default 500)")],
    "result_download": [_query("format", {"type": "string", "enum": ["json", "csv"]}, "json (default) or csv"),
                        _query("timetable_id", RECORD_ID, "only this variant (by id)"),
                        _query("variant", {"type": "string", "maxLength": 200}, "only this variant (by name)")],
    "candidates": [_query("course", {"type": "string", "maxLength": 200}, "the session's course code (required)"),
                   _query("session", {"type": "integer", "minimum": 0, "maximum": 9999}, "the session number")],
}
PATH_ENUMS: dict[tuple[str, str], dict[str, Any]] = {
    ("owner_timetable", "kind"): {"enum": ["batch", "faculty", "room", "student"]},
    ("listing", "kind"): {"enum": list(ACADEMIC_KINDS)},
    ("detail", "kind"): {"enum": list(ACADEMIC_KINDS)},
}
# answers besides 200/400/401/403/404 (and 413/415 wherever there is a body)
EXTRA_RESPONSES: dict[str, dict[str, str]] = {
    "generate": {"429": "the organization runs as many jobs as it may", "503": "the engine service is down"},
    "cancel": {"409": "the job has already finished"},
    "approve": {"409": "the job cannot be approved (not finished, or already decided)"},
    "edit": {"409": "base_version is stale: someone else changed this draft (reload), or it is not a draft"},
    "undo": {"409": "nothing to undo, a stale base_version, or not a draft"},
    "redo": {"409": "nothing to redo, a stale base_version, or not a draft"},
    "publish": {"409": "already published, or another timetable of the scope was published at the same moment"},
}
# reads that carry an ETag: If-None-Match with it answers 304 and no body
CONDITIONAL = {"result", "result_download"}


DESCRIPTION = (
    "Academic data, timetable generation, review and publication; request bodies are JSON.\n\n"
    "Two ways to authenticate:\n"
    "- **API token** (scripts, other services): `Authorization: Bearer <token>`; an organization admin makes one "
    "in the admin (API tokens), an operator with `python -m timetabling.web create_api_token USER --name NAME`. "
    "Needs no CSRF token. An unknown, expired or revoked token answers 401.\n"
    "- **Session** (browsers, JS clients): `GET /api/auth/csrf/` sets the `csrftoken` cookie and answers the "
    "token; `POST /api/auth/login/` with the header `X-CSRFToken: <token>` signs in (session cookie) and answers "
    "the new token, which every later POST (and the logout) sends in `X-CSRFToken`. Django's CSRF check runs "
    "on them, Origin included (and Referer over HTTPS): a write from another origin answers 403.\n\n"
    "Failed sign-ins are throttled per account and per address: past the limit the login answers 429 "
    "\"too many failed sign-ins; try again in N s\" with a Retry-After header."
)
SECURITY_SCHEMES = {
    "apiToken": {"type": "http", "scheme": "bearer", "description": "an API token"},
    "session": {"type": "apiKey", "in": "cookie", "name": "sessionid", "description": "POST /api/auth/login/"},
    "csrfToken": {"type": "apiKey", "in": "header", "name": "X-CSRFToken",
                  "description": "for session writes: GET /api/auth/csrf/ gives it"},
}

ERROR = {
    "description": "error",
    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
}


def build_openapi(routes: list[tuple[str, Any, str, str, type[BaseModel] | None]]) -> dict[str, Any]:
    """``routes``: (django path, view, summary, tag, request body model)."""
    paths: dict[str, Any] = {}
    schemas: dict[str, Any] = {
        "Error": {
            "type": "object",
            "properties": {
                "success": {"const": False},
                "message": {"type": "string"},
                "error": {"type": "object", "properties": {"field": {"type": ["string", "null"]},
                                                           "reason": {"type": "string"}}},
            },
        }
    }
    for path, view, summary, tag, body in routes:
        oa_path = "/" + re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", path)
        for method in getattr(view, "api_methods", ("GET",)):
            op: dict[str, Any] = {
                "summary": summary, "tags": [tag], "operationId": f"{view.__name__}_{method.lower()}",
                "parameters": _path_params(path, view),
                "responses": {"200": {"description": "success: a JSON object with success: true"},
                              "400": ERROR, "401": ERROR, "403": ERROR, "404": ERROR},
            }
            if path.endswith("auth/login/"):
                op["responses"]["429"] = {**ERROR, "description": "too many failed sign-ins; try again in N s"}
            if view.__name__ in CONDITIONAL:
                op["responses"]["304"] = {"description": "not modified: the ETag sent in If-None-Match still holds"}
            for code, what in EXTRA_RESPONSES.get(view.__name__, {}).items():
                op["responses"][code] = {**ERROR, "description": what}
            if body is not None and method != "GET":
                op["responses"]["413"] = {**ERROR, "description": "the body is larger than the endpoint takes"}
                op["responses"]["415"] = {**ERROR, "description": "the body is not application/json"}
                schema = body.model_json_schema(ref_template="#/components/schemas/{model}")
                for name, sub in schema.pop("$defs", {}).items():
                    schemas[name] = sub
                schemas[body.__name__] = schema
                op["requestBody"] = {"required": True, "content": {"application/json": {
                    "schema": {"$ref": f"#/components/schemas/{body.__name__}"}}}}
            paths.setdefault(oa_path, {})[method.lower()] = op
    return {
        "openapi": "3.1.0",
        "info": {"title": "Timetabling API", "version": __version__,
                 "description": DESCRIPTION},
        "paths": paths,
        "components": {"schemas": schemas, "securitySchemes": SECURITY_SCHEMES},
        "security": [{"apiToken": []}, {"session": [], "csrfToken": []}],
    }


def openapi_view(request: HttpRequest) -> JsonResponse:
    return JsonResponse(build_openapi(API_ROUTES))
