"""What ``GET /api/variants/{job_id}`` answers for a finished job: a summary of its variants (no entries) by
default, one variant's entries with ``?variant=NAME``; an ETag that If-None-Match turns into a 304."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from fastapi import Response
from fastapi.responses import JSONResponse

from timetabling.service.contract import VariantsAnswer


def etag_of(job_id: str, outcome: dict[str, Any], variant: str | None) -> str:
    """A finished job's outcome never changes: its id, status, timing and the chosen variant name it."""
    state = [job_id, outcome["status"], outcome.get("generation_time"), variant,
             [(v["name"], v.get("score")) for v in outcome["variants"]]]
    return 'W/"' + hashlib.sha256(json.dumps(state, default=str).encode()).hexdigest()[:32] + '"'


def _matches(if_none_match: str | None, etag: str) -> bool:
    if not if_none_match:
        return False
    if if_none_match.strip() == "*":
        return True
    bare = etag.removeprefix("W/")
    return any(tag.strip().removeprefix("W/") == bare for tag in if_none_match.split(","))


def finished_answer(job_id: str, outcome: dict[str, Any], variant: str | None,
                    if_none_match: str | None) -> Response:
    etag = etag_of(job_id, outcome, variant)
    headers = {"ETag": etag, "Cache-Control": "private, no-cache"}
    if _matches(if_none_match, etag):
        return Response(status_code=304, headers=headers)
    if variant is None:
        variants = [{"name": v["name"], "score": v["score"], "metrics": v["metrics"], "bound": v.get("bound"),
                     "entries_count": len(v["entries"])} for v in outcome["variants"]]
    else:
        variants = [{**v, "entries_count": len(v["entries"])} for v in outcome["variants"] if v["name"] == variant]
        if not variants:
            reason = f"job {job_id} has no variant '{variant}'"
            return JSONResponse(status_code=404, content={"detail": reason,
                                                          "error": {"field": "variant", "reason": reason}})
    body = VariantsAnswer(job_id=job_id, status=outcome["status"], variants=variants,
                          comparison=outcome["comparison"], generation_time=outcome["generation_time"],
                          message=outcome.get("message", ""))
    return JSONResponse(body.model_dump(mode="json", exclude_none=True), headers=headers)
