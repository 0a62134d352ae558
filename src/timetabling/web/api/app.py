"""The public JSON API as one django-ninja ``NinjaAPI``: its routers, auth (``credentials.Member``), body parser
(``base.JsonParser``), errors as ``{success: false, message, error: {field, reason}, errors}`` and the OpenAPI
description ninja builds from the pydantic schemas, served at ``/api/openapi.json``."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError

from timetabling import __version__
from timetabling.web.api import academics, auth, drafts, results, timetable
from timetabling.web.api.base import JsonParser
from timetabling.web.api.credentials import Member
from timetabling.web.api.errors import ApiError, error_response
from timetabling.web.api.schemas import CallbackRequest
from timetabling.web.scheduling.errors import Refused

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
ERROR_SCHEMA = {
    "type": "object",
    "properties": {
        "success": {"const": False},
        "message": {"type": "string"},
        "error": {"type": "object",
                  "properties": {"field": {"type": ["string", "null"]}, "reason": {"type": "string"}}},
        "errors": {"type": "array", "items": {"type": "object"}},
    },
}
ERROR = {"description": "error", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}
# answers besides 200/400/401/403/404 (and 413/415 wherever there is a body), by operation id
EXTRA_RESPONSES: dict[str, dict[str, str]] = {
    "sign_in_post": {"429": "too many failed sign-ins; try again in N s"},
    "generate_post": {"429": "the organization runs as many jobs as it may", "503": "the engine service is down"},
    "cancel_post": {"409": "the job has already finished"},
    "approve_post": {"409": "the job cannot be approved (not finished, or already decided)"},
    "edit_post": {"409": "base_version is stale: someone else changed this draft (reload), or it is not a draft"},
    "undo_post": {"409": "nothing to undo, a stale base_version, or not a draft"},
    "redo_post": {"409": "nothing to redo, a stale base_version, or not a draft"},
    "publish_post": {"409": "already published, or another timetable of the scope was published at the same moment"},
    "result_get": {"304": "not modified: the ETag sent in If-None-Match still holds"},
    "result_download_get": {"304": "not modified: the ETag sent in If-None-Match still holds"},
}

# operations anyone may call (``credentials.Visitor``, or signed like the engine's callback)
OPEN_OPERATIONS = {"csrf_token_get", "sign_in_post", "sign_out_post", "engine_callback_post"}


def problems_of(errors: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """ninja's validation errors as ``{field, reason}``; the field is the path inside the body or the name of
    the query or path parameter (ninja's own prefix, the source and the body's parameter name, left out)."""
    problems = []
    for e in errors:
        loc = [str(p) for p in e.get("loc", ())]
        if loc and loc[0] == "body":
            loc = loc[2:]  # "body", the view's parameter name
        elif loc:
            loc = loc[1:]
        reason = str(e.get("msg", "invalid")).removeprefix("Value error, ")  # pydantic's prefix of our own errors
        problems.append({"field": ".".join(loc) or "body", "reason": reason})
    return problems


class TimetablingApi(NinjaAPI):
    def create_response(self, request: HttpRequest, data: Any, *, status: int | None = None,
                        temporal_response: HttpResponse | None = None) -> HttpResponse:
        """A view's dict answers ``{success: true, ...}``, as every answer of this API did before ninja."""
        if isinstance(data, dict) and "success" not in data:
            data = {"success": True, **data}
        return super().create_response(request, data, status=status, temporal_response=temporal_response)

    def get_root_path(self, path_params: dict[str, Any]) -> str:
        return "/api/"  # mounted without a URL namespace: ``reverse("result_download")`` as before

    def get_openapi_operation_id(self, operation: Any) -> str:
        return f"{operation.view_func.__name__}_{operation.methods[0].lower()}"

    def get_openapi_schema(self, *, path_prefix: str | None = None,
                           path_params: dict[str, Any] | None = None) -> Any:
        """ninja's description, with the error answers, the security schemes and the engine callback's body (read
        by the view itself: a whole timetable outgrows Django's body limit)."""
        schema = super().get_openapi_schema(path_prefix=path_prefix, path_params=path_params)
        components = schema.setdefault("components", {})
        schemas = components.setdefault("schemas", {})
        schemas["Error"] = ERROR_SCHEMA
        callback = CallbackRequest.model_json_schema(ref_template="#/components/schemas/{model}")
        schemas.update(callback.pop("$defs", {}))
        schemas["CallbackRequest"] = callback
        components["securitySchemes"] = SECURITY_SCHEMES
        schema["security"] = [{"apiToken": []}, {"session": [], "csrfToken": []}]
        for path, operations in schema["paths"].items():
            for op in operations.values():
                responses = op.setdefault("responses", {})
                responses.pop("422", None)
                responses.update({code: ERROR for code in ("400", "401", "403", "404")})
                if path.endswith("/fastapi_callback/"):
                    op["requestBody"] = {"required": True, "content": {"application/json": {
                        "schema": {"$ref": "#/components/schemas/CallbackRequest"}}}}
                if "requestBody" in op:
                    responses["413"] = {**ERROR, "description": "the body is larger than the endpoint takes"}
                    responses["415"] = {**ERROR, "description": "the body is not application/json"}
                if op.get("operationId") in OPEN_OPERATIONS:
                    op["security"] = [{}, *schema["security"]]  # anyone may call it (a session write: CSRF)
                for code, what in EXTRA_RESPONSES.get(op.get("operationId", ""), {}).items():
                    responses[code] = {**ERROR, "description": what} if code != "304" else {"description": what}
        return schema


api = TimetablingApi(title="Timetabling API", version=__version__, description=DESCRIPTION, auth=Member(),
                     parser=JsonParser(), openapi_url="/openapi.json", docs_url=None, urls_namespace="api")


@api.exception_handler(Exception)
def unexpected(request: HttpRequest, exc: Exception) -> HttpResponse:
    """Anything else (a 404 of ``get_object_or_404``, a body over Django's limit, a bug) goes on to
    ``errors.JsonErrorMiddleware``, which answers JSON (ninja's default would answer a traceback under DEBUG)."""
    raise exc


@api.exception_handler(Refused)
def refused(request: HttpRequest, exc: Refused) -> HttpResponse:
    """The API's own errors (``ApiError``) and the workflow's refusals."""
    return error_response(exc)


@api.exception_handler(HttpError)
def http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    """ninja wraps what the body parser raises ('Cannot parse request body'): answer the parser's own error."""
    if isinstance(exc.__cause__, Refused):
        return error_response(exc.__cause__)
    field = "Authorization" if isinstance(exc, AuthenticationError) else None
    return error_response(ApiError(exc.status_code, exc.message, field=field))


@api.exception_handler(NinjaValidationError)
def invalid(request: HttpRequest, exc: NinjaValidationError) -> HttpResponse:
    """400 naming the first bad field, all of them under ``errors``; a path id no row can have is 404."""
    path_errors = [e for e in exc.errors if e.get("loc", ("",))[0] == "path"]
    if path_errors:
        name = str(path_errors[0]["loc"][-1])
        return error_response(ApiError(404, f"{name} not found", field=name))
    problems = problems_of(exc.errors)
    first = problems[0] if problems else {"field": "body", "reason": "invalid request"}
    return error_response(ApiError(400, f"{first['field']}: {first['reason']}", field=first["field"],
                                   errors=problems))


for prefix, router in (("/auth/", auth.router), ("/timetable/", timetable.router), ("/timetable/", results.router),
                       ("/timetable/", drafts.router), ("/timetable/", timetable.owners),
                       ("/academics/", timetable.internal), ("/academics/", academics.router)):
    api.add_router(prefix, router)
