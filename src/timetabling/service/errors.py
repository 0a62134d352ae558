"""HTTP errors of the engine service in its one error shape, ``{detail, error: {field, reason}}``.

FastAPI answers a body it cannot parse (JSON nested deeper than Python's parser goes, a body that breaks the
decoder) with a bare 400; here it names the body, as the web backend's API does."""

from __future__ import annotations

from fastapi import Request
from fastapi.exception_handlers import http_exception_handler
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException

UNPARSED_BODY = "There was an error parsing the body"  # FastAPI's words, routing.py


async def http_error(request: Request, exc: HTTPException) -> Response:
    if exc.status_code == 400 and exc.detail == UNPARSED_BODY:
        reason = "the body cannot be read as JSON (not JSON, or nested too deeply)"
        return JSONResponse(status_code=400, content={"detail": reason, "error": {"field": "body", "reason": reason}})
    return await http_exception_handler(request, exc)
