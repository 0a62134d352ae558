"""``/api/timetable/...``: generate, follow, review and read timetables; the engine's callback."""

from __future__ import annotations

import contextlib
import hmac
from typing import Any

from django.conf import settings
from django.http import HttpRequest
from django.views.decorators.gzip import gzip_page
from pydantic import ValidationError

from timetabling.engine.priorities import CRITERIA
from timetabling.service.contract import estimated_seconds
from timetabling.service.signing import SIGNATURE_HEADER, verify
from timetabling.web.academics import models as am
from timetabling.web.academics.grid import organization_grid
from timetabling.web.accounts.models import CAN_APPROVE, CAN_GENERATE, STAFF_ROLES, Membership
from timetabling.web.api.base import api, body_as, load_json, nul_path, record_id
from timetabling.web.api.errors import ApiError, from_validation_error, not_found
from timetabling.web.api.schemas import ApproveRequest, CallbackRequest, GenerateRequest, PriorityProfileRequest
from timetabling.web.api.serializers import job_json, ref, slots_of, timetable_json
from timetabling.web.scheduling import priorities, refusals, services, submission, versions
from timetabling.web.scheduling.models import (
    GenerationJob,
    PriorityProfile,
    Timetable,
    TimetableSlot,
    TimetableStatus,
    owner_q,
)
from timetabling.web.scheduling.readers import OWNER_KINDS, may_read


def job_of(membership: Membership, job_id: str) -> GenerationJob:
    """The job if it exists in the member's organization; 404 for unknown ids and other organizations'."""
    job = services.find_job(membership.organization, job_id)
    if job is None:
        raise not_found("job")
    return job


def _days(timetable: Timetable) -> list[str]:
    job = timetable.generation_job
    if job is not None and "grid" in job.metadata:
        return list(job.metadata["grid"]["days"])
    return list(organization_grid(timetable.organization).days)


@api(["POST"], roles=CAN_GENERATE)
def generate(request: HttpRequest, membership: Membership) -> dict[str, Any]:
    body = body_as(request, GenerateRequest)
    org = membership.organization
    if body.university_id != org.pk:
        raise ApiError(404, f"university {body.university_id} not found", field="university_id")
    for field, model, ids in (("department_ids", am.Department, body.department_ids),
                              ("batch_ids", am.Batch, body.batch_ids)):
        known = set(model.objects.filter(organization=org, pk__in=ids).values_list("pk", flat=True))
        unknown = [i for i in ids if i not in known]
        if unknown:
            raise ApiError(400, f"unknown id(s) {unknown}", field=field)
    chosen = priorities.chosen(org, body.weights.given() if body.weights is not None else None, body.priority_profile)
    job = services.start_generation(
        org, request.user, body.academic_year, body.semester, body.department_ids, body.batch_ids,
        body.variants, body.time_limit, priorities=chosen,
    )
    return {"job_id": str(job.id), "status": job.status, "phase": job.metadata.get("phase", ""),
            "estimated_time": estimated_seconds(job.metadata["time_limit"]), **_waiting_note(job)}


@api(["GET", "POST"], roles=CAN_GENERATE)
def priority_profiles(request: HttpRequest, membership: Membership) -> dict[str, Any]:
    """The soft criteria (meaning, default, range) and the organization's saved profiles; POST saves one."""
    org = membership.organization
    if request.method == "POST":
        body = body_as(request, PriorityProfileRequest)
        department = None
        if body.department_id is not None:
            department = am.Department.objects.filter(organization=org, pk=body.department_id).first()
            if department is None:
                raise ApiError(400, f"unknown department {body.department_id}", field="department_id")
        priorities.save_profile(org, body.name, body.weights.given(), request.user, department)
    return {
        "criteria": [{"name": c.rule.value, "title": c.title, "meaning": c.meaning, "default": c.default,
                      "min": c.low, "max": c.high} for c in CRITERIA],
        "profiles": [{"name": p.name, "weights": p.weights, "department_id": p.department_id}
                     for p in PriorityProfile.objects.filter(organization=org)],
    }


def _waiting_note(job: GenerationJob) -> dict[str, Any]:
    if not submission.is_waiting(job):
        return {}
    return {"message": "the engine service cannot take the job now; it waits and is offered to the engine again "
                       f"(last error: {job.metadata['engine_wait']['last_error']})"}


@api(["POST"], roles=CAN_GENERATE)
def rerun(request: HttpRequest, membership: Membership, job_id: str) -> dict[str, Any]:
    """A new job with a finished job's parameters (after a failure, a cancel, or to try again)."""
    job = services.rerun_generation(job_of(membership, job_id), request.user)
    return {"job_id": str(job.id), "rerun_of": job_id, "status": job.status, "phase": job.metadata.get("phase", ""),
            "estimated_time": estimated_seconds(job.metadata["time_limit"]), **_waiting_note(job)}


@api(["GET"], roles=STAFF_ROLES)
def jobs(request: HttpRequest, membership: Membership) -> dict[str, Any]:
    submission.retry_due(membership.organization)
    qs = GenerationJob.objects.filter(organization=membership.organization).select_related("created_by")[:50]
    return {"jobs": [job_json(j) for j in qs]}


@api(["GET"], roles=STAFF_ROLES)
def status(request: HttpRequest, membership: Membership, job_id: str) -> dict[str, Any]:
    submission.retry_due(membership.organization)
    return {"job": job_json(job_of(membership, job_id))}


@api(["GET"], roles=STAFF_ROLES)
def progress(request: HttpRequest, membership: Membership, job_id: str) -> dict[str, Any]:
    submission.retry_due(membership.organization)
    job = job_of(membership, job_id)
    return {"job_id": str(job.id), "status": job.status, "progress": job.progress,
            "updated_at": job.updated_at.isoformat(), "phase": job.metadata.get("phase", ""),
            "eta_seconds": job.metadata.get("eta_seconds"), "convergence": job.metadata.get("convergence", {}),
            "lower_bound": job.metadata.get("lower_bound"), "cost_line": job.metadata.get("cost_line")}


@api(["POST"], roles=CAN_GENERATE)
def cancel(request: HttpRequest, membership: Membership, job_id: str) -> dict[str, Any]:
    job = services.cancel_generation(job_of(membership, job_id))
    return {"job_id": str(job.id), "message": "cancel requested"}


@api(["POST"], roles=CAN_APPROVE)
def approve(request: HttpRequest, membership: Membership, job_id: str) -> dict[str, Any]:
    job = job_of(membership, job_id)
    body = body_as(request, ApproveRequest)
    chosen = services.approve(job, request.user, body.action, body.comments, body.timetable_id)
    if chosen is None:
        return {"message": "the job's timetables were rejected"}
    return {"message": f"timetable '{chosen.name}' is published", "timetable_id": chosen.pk}


@api(["GET"], roles=STAFF_ROLES)
def timetables(request: HttpRequest, membership: Membership) -> dict[str, Any]:
    qs = Timetable.objects.filter(organization=membership.organization)
    wanted = request.GET.get("status")
    if wanted:
        if wanted not in TimetableStatus.values:
            raise ApiError(400, f"unknown status '{wanted}'", field="status")
        qs = qs.filter(status=wanted)
    return {"timetables": [timetable_json(t) for t in qs[:200]]}


# --------------------------------------------------------------------- one batch, faculty, room, student

@gzip_page  # a JSON read: it reflects no secret or CSRF token
@api(["GET"])
def owner_timetable(request: HttpRequest, membership: Membership, kind: str, owner_id: int) -> dict[str, Any]:
    model = OWNER_KINDS.get(kind)
    if model is None:
        raise not_found(f"timetable kind '{kind}'")
    org = membership.organization
    owner = model.objects.filter(organization=org, pk=owner_id).first()
    if owner is None:
        raise not_found(kind)
    if not may_read(membership, kind, owner):
        raise ApiError(403, f"you may not read this {kind}'s timetable")
    wanted = request.GET.get("timetable_id")
    if wanted is not None:
        if membership.role not in STAFF_ROLES:
            raise ApiError(403, "only staff may read draft timetables", field="timetable_id")
        timetable = Timetable.objects.filter(organization=org, pk=record_id(wanted, "timetable_id")).first()
    else:
        timetable = versions.published_for(org, owner_q(kind, owner))  # each scope has its own published one
    if timetable is None:
        raise not_found("published timetable" if wanted is None else "timetable")
    slots = TimetableSlot.objects.filter(owner_q(kind, owner), timetable=timetable)
    rows = slots_of(slots.order_by("day", "period", "id"), _days(timetable))
    if kind in ("student", "room"):  # one row per session (a joint session has a row per batch and faculty)
        seen: set[tuple[int, int]] = set()
        unique = []
        for r in rows:
            key = (r["course"]["id"], r["session"])
            if key not in seen:
                seen.add(key)
                unique.append(r)
        rows = unique
    return {"kind": kind, "owner": ref(owner), "timetable": timetable_json(timetable), "slots": rows}


# ------------------------------------------------------------------------------- the engine's callback


@api(["POST"], auth=False, csrf=False)  # signed by the engine service, not a browser
def engine_callback(request: HttpRequest) -> dict[str, Any]:
    """Internal: the engine service reports progress and results, signed with the shared secret."""
    secret = settings.ENGINE_SHARED_SECRET
    # a whole timetable outgrows Django's DATA_UPLOAD_MAX_MEMORY_SIZE, which ``request.body`` enforces; the
    # stream is bounded by Content-Length, which BodyLimitMiddleware holds to CALLBACK_MAX_BYTES
    raw = request.read()
    signature = request.headers.get(SIGNATURE_HEADER)
    plain = request.headers.get("X-Engine-Secret")
    if not signature and not plain:
        raise ApiError(401, "the callback must carry the engine service's signature", field=SIGNATURE_HEADER)
    if not verify(raw, secret, signature) and not (plain and hmac.compare_digest(plain.encode(), secret.encode())):
        # signed under another secret, or forged: nothing is stored; the job it names gets a note (refusals)
        with contextlib.suppress(ApiError):
            refusals.note_refused(load_json(raw or b"null"))
        raise ApiError(403, "the callback's signature is wrong: the engine service and the web backend have "
                       "different secrets (TIMETABLE_ENGINE_SECRET)", field=SIGNATURE_HEADER)
    try:
        data = load_json(raw or b"null")
        if isinstance(data, dict) and set(data) == {"ping"}:  # timetable doctor: the secret matches, nothing stored
            return {"pong": str(data["ping"])[:100]}
        if nul_path(data):
            raise ApiError(400, "text may not contain NUL characters", field=nul_path(data))
        body = CallbackRequest.model_validate(data)
    except ValidationError as err:
        raise from_validation_error(err) from None
    job = GenerationJob.objects.select_related("organization").filter(pk=body.job_id).first()
    if job is None:
        raise not_found("job")
    if body.status in ("queued", "running"):
        point = (body.variant, body.elapsed_s, body.objective) if body.variant and body.objective is not None \
            and body.elapsed_s is not None else None
        changed = services.record_progress(job, body.status, body.progress, body.phase, body.eta_seconds, point,
                                           body.elapsed_s, body.objective, body.bound)
        return {"stored": changed}
    stored = services.store_result(
        job, body.status, [v.model_dump() for v in body.variants], body.generation_time, body.message,
        body.comparison,
    )
    return {"stored": stored, "message": "stored" if stored else "already stored"}
