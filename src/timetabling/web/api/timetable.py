"""``/api/timetable/...``: generate, follow, review and read timetables; the engine's callback."""

import contextlib
import hmac
from typing import Any

from django.conf import settings
from django.http import HttpRequest, JsonResponse
from django.http.response import HttpResponseBase
from django.views.decorators.gzip import gzip_page
from ninja import Query, Router
from pydantic import ValidationError

from timetabling.engine.priorities import CRITERIA
from timetabling.service.contract import estimated_seconds
from timetabling.service.signing import SIGNATURE_HEADER, verify
from timetabling.web.academics import models as am
from timetabling.web.academics.grid import organization_grid
from timetabling.web.accounts.models import CAN_APPROVE, CAN_GENERATE, STAFF_ROLES, Membership
from timetabling.web.api.base import load_json, nul_path
from timetabling.web.api.credentials import Member
from timetabling.web.api.errors import ApiError, from_validation_error, not_found
from timetabling.web.api.schemas import (
    ApproveRequest,
    CallbackRequest,
    GenerateRequest,
    OwnerKind,
    OwnerQuery,
    PriorityProfileRequest,
    RecordId,
    TimetablesQuery,
)
from timetabling.web.api.serializers import job_json, ref, slots_of, timetable_json
from timetabling.web.scheduling import priorities, refusals, services, submission, versions
from timetabling.web.scheduling.models import GenerationJob, PriorityProfile, Timetable, TimetableSlot, owner_q
from timetabling.web.scheduling.readers import OWNER_KINDS, may_read

router = Router(tags=["timetable"])
owners = Router(tags=["timetable"])  # after the others: ``{kind}/{owner_id}/`` would match ``drafts/7/``
internal = Router(tags=["internal"])
GENERATORS, APPROVERS, STAFF = Member(CAN_GENERATE), Member(CAN_APPROVE), Member(STAFF_ROLES)


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


@router.post("generate/", auth=GENERATORS, summary="Start generating timetable variants")
def generate(request: HttpRequest, body: GenerateRequest) -> dict[str, Any]:
    org = request.auth.organization
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


@router.post("priorities/", auth=GENERATORS, summary="Save a priority profile; answers as GET does")
def save_priority_profile(request: HttpRequest, body: PriorityProfileRequest) -> dict[str, Any]:
    org = request.auth.organization
    department = None
    if body.department_id is not None:
        department = am.Department.objects.filter(organization=org, pk=body.department_id).first()
        if department is None:
            raise ApiError(400, f"unknown department {body.department_id}", field="department_id")
    priorities.save_profile(org, body.name, body.weights.given(), request.user, department)
    return priority_profiles(request)


@router.get("priorities/", auth=GENERATORS,
            summary="The soft criteria and the organization's saved priority profiles; POST saves one")
def priority_profiles(request: HttpRequest) -> dict[str, Any]:
    """The soft criteria (meaning, default, range) and the organization's saved profiles."""
    org = request.auth.organization
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


@router.post("rerun/{job_id}/", auth=GENERATORS, summary="Start a new job with a finished job's parameters")
def rerun(request: HttpRequest, job_id: str) -> dict[str, Any]:
    """A new job with a finished job's parameters (after a failure, a cancel, or to try again)."""
    job = services.rerun_generation(job_of(request.auth, job_id), request.user)
    return {"job_id": str(job.id), "rerun_of": job_id, "status": job.status, "phase": job.metadata.get("phase", ""),
            "estimated_time": estimated_seconds(job.metadata["time_limit"]), **_waiting_note(job)}


@router.get("jobs/", auth=STAFF, summary="The organization's last generation jobs")
def jobs(request: HttpRequest) -> dict[str, Any]:
    membership = request.auth
    submission.retry_due(membership.organization)
    qs = GenerationJob.objects.filter(organization=membership.organization).select_related("created_by")[:50]
    return {"jobs": [job_json(j) for j in qs]}


@router.get("status/{job_id}/", auth=STAFF, summary="A generation job")
def status(request: HttpRequest, job_id: str) -> dict[str, Any]:
    membership = request.auth
    submission.retry_due(membership.organization)
    return {"job": job_json(job_of(membership, job_id))}


@router.get("progress/{job_id}/", auth=STAFF, summary="A job's progress 0-100")
def progress(request: HttpRequest, job_id: str) -> dict[str, Any]:
    membership = request.auth
    submission.retry_due(membership.organization)
    job = job_of(membership, job_id)
    return {"job_id": str(job.id), "status": job.status, "progress": job.progress,
            "updated_at": job.updated_at.isoformat(), "phase": job.metadata.get("phase", ""),
            "eta_seconds": job.metadata.get("eta_seconds"), "convergence": job.metadata.get("convergence", {}),
            "lower_bound": job.metadata.get("lower_bound"), "cost_line": job.metadata.get("cost_line")}


@router.post("cancel/{job_id}/", auth=GENERATORS, summary="Cancel a running job")
def cancel(request: HttpRequest, job_id: str) -> dict[str, Any]:
    job = services.cancel_generation(job_of(request.auth, job_id))
    return {"job_id": str(job.id), "message": "cancel requested"}


@router.post("approve/{job_id}/", auth=APPROVERS, summary="Approve (publish) or reject a job's variants")
def approve(request: HttpRequest, job_id: str, body: ApproveRequest) -> dict[str, Any]:
    job = job_of(request.auth, job_id)
    chosen = services.approve(job, request.user, body.action, body.comments, body.timetable_id)
    if chosen is None:
        return {"message": "the job's timetables were rejected"}
    return {"message": f"timetable '{chosen.name}' is published", "timetable_id": chosen.pk}


@router.get("timetables/", auth=STAFF, summary="The organization's timetables")
def timetables(request: HttpRequest, query: Query[TimetablesQuery]) -> dict[str, Any]:
    qs = Timetable.objects.filter(organization=request.auth.organization)
    if query.status:
        qs = qs.filter(status=query.status)
    return {"timetables": [timetable_json(t) for t in qs[:200]]}


# --------------------------------------------------------------------- one batch, faculty, room, student

@owners.get("{kind}/{int:owner_id}/",
            summary="The published timetable of one batch, faculty member, room or student")
@gzip_page  # a JSON read: it reflects no secret or CSRF token
def owner_timetable(request: HttpRequest, kind: OwnerKind, owner_id: RecordId,
                    query: Query[OwnerQuery]) -> HttpResponseBase:
    membership: Membership = request.auth
    model = OWNER_KINDS[kind]
    org = membership.organization
    owner = model.objects.filter(organization=org, pk=owner_id).first()
    if owner is None:
        raise not_found(kind)
    if not may_read(membership, kind, owner):
        raise ApiError(403, f"you may not read this {kind}'s timetable")
    wanted = query.timetable_id
    if wanted is not None:
        if membership.role not in STAFF_ROLES:
            raise ApiError(403, "only staff may read draft timetables", field="timetable_id")
        timetable = Timetable.objects.filter(organization=org, pk=wanted).first()
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
    return JsonResponse({"success": True, "kind": kind, "owner": ref(owner), "timetable": timetable_json(timetable),
                         "slots": rows})


# ------------------------------------------------------------------------------- the engine's callback


@internal.post("timetable/fastapi_callback/", auth=None,  # signed by the engine service, not a browser
               summary="Internal: the engine service reports progress and results (signed)")
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
