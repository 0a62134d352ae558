"""The OpenAPI 3.1 description of the public API, built from the route table in ``urls``."""

from __future__ import annotations

import re
from typing import Any

from django.http import HttpRequest, JsonResponse
from pydantic import BaseModel

from timetabling import __version__


def _path_params(path: str) -> list[dict[str, Any]]:
    params = []
    for conv, name in re.findall(r"<(?:(\w+):)?(\w+)>", path):
        schema = {"type": "integer"} if conv == "int" else {"type": "string"}
        params.append({"name": name, "in": "path", "required": True, "schema": schema})
    return params


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
                "parameters": _path_params(path),
                "responses": {"200": {"description": "success: a JSON object with success: true"},
                              "400": ERROR, "401": ERROR, "403": ERROR, "404": ERROR},
            }
            if body is not None:
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
                 "description": "Academic data, timetable generation, review and publication. Sign in with "
                                "POST /api/auth/login/ (session cookie); request bodies are JSON."},
        "paths": paths,
        "components": {"schemas": schemas},
    }


def openapi_view(request: HttpRequest) -> JsonResponse:
    from timetabling.web.urls import API_ROUTES

    return JsonResponse(build_openapi(API_ROUTES))
