"""``/api/timetable/result/<job>/``: a job's variants, as a summary (the checker's report stored with each), or
the slots of one variant and/or one owner a page at a time; and the whole result as a streamed download.

Reads carry an ETag (If-None-Match answers 304) and are gzipped: they reflect no secret or CSRF token."""

import csv
import hashlib
import json
from collections.abc import Iterator
from typing import Any

from django.http import HttpRequest, JsonResponse
from django.http.response import HttpResponseBase
from django.urls import reverse
from django.utils.cache import get_conditional_response, patch_cache_control
from django.utils.http import urlencode
from django.views.decorators.gzip import gzip_page
from ninja import Query, Router

from timetabling.engine.export.csv import spreadsheet_safe
from timetabling.service.contract import bound_text
from timetabling.web.academics.grid import organization_grid
from timetabling.web.accounts.models import STAFF_ROLES, Membership
from timetabling.web.api.credentials import Member
from timetabling.web.api.errors import ApiError, not_found
from timetabling.web.api.schemas import DownloadQuery, ResultQuery
from timetabling.web.api.serializers import SLOT_VALUES, slot_row_json, timetable_json
from timetabling.web.api.timetable import job_of
from timetabling.web.scheduling import reports
from timetabling.web.scheduling.models import GenerationJob, Timetable, TimetableSlot, owner_q
from timetabling.web.scheduling.readers import OWNER_KINDS
from timetabling.web.streaming import Echo, StreamingResponse

DOWNLOAD_FORMATS = {"json": "application/json", "csv": "text/csv; charset=utf-8"}
CSV_COLUMNS = ("timetable_id", "variant", "day", "day_name", "period", "start_time", "end_time", "course",
               "course_name", "session", "faculty", "room", "batch")


def job_days(job: GenerationJob) -> list[str]:
    """The day names of the grid the job's variants were generated on."""
    if "grid" in job.metadata:
        return list(job.metadata["grid"]["days"])
    return list(organization_grid(job.organization).days)


router = Router(tags=["timetable"])


def _variants(query: ResultQuery | DownloadQuery, job: GenerationJob) -> tuple[list[Timetable], list[Timetable] | None]:
    """The job's variants, and the ones ``timetable_id`` or ``variant`` (a name) choose (None: no choice)."""
    variants = list(Timetable.objects.filter(generation_job=job).order_by("id"))
    wanted_id, wanted_name = query.timetable_id, query.variant
    if wanted_id is None and wanted_name is None:
        return variants, None
    chosen = variants
    if wanted_id is not None:
        chosen = [t for t in chosen if t.pk == wanted_id]
    if wanted_name is not None:
        chosen = [t for t in chosen if t.name == wanted_name]
    if not chosen:
        raise not_found("variant of this job")
    return variants, chosen


def _owner(query: ResultQuery, membership: Membership) -> tuple[str, Any] | None:
    kind, wanted = query.kind, query.owner_id
    if kind is None and wanted is None:
        return None
    if kind is None:
        raise ApiError(400, f"give kind ({', '.join(OWNER_KINDS)}) with owner_id", field="kind")
    if wanted is None:
        raise ApiError(400, "give owner_id with kind", field="owner_id")
    owner = OWNER_KINDS[kind].objects.filter(organization=membership.organization, pk=wanted).first()
    if owner is None:
        raise not_found(kind)
    return kind, owner


def _etag(request: HttpRequest, job: GenerationJob, variants: list[Timetable], what: str) -> str:
    """Changes with the job, any variant's status or slots, and the query: a weak validator of the answer."""
    state = [what, str(job.pk), job.updated_at.isoformat(), sorted(request.GET.items()),
             [(t.pk, t.status, t.slots_version, t.score) for t in variants]]
    return 'W/"' + hashlib.sha256(json.dumps(state, default=str).encode()).hexdigest()[:32] + '"'


def _revalidate(response: HttpResponseBase, etag: str) -> HttpResponseBase:
    response["ETag"] = etag
    patch_cache_control(response, private=True, no_cache=True)  # the browser keeps it, and asks each time
    return response


def _summary(t: Timetable, report: Any, bound: dict[str, Any] | None) -> dict[str, Any]:
    """The variant, its checker report, and its soft cost against the lower bound the engine computed for it."""
    checker = ({"error": report.error} if report.error else
               {"hard_violations": report.hard_total, "hard": report.hard, "soft_cost": report.soft_cost})
    cost = None if report.error else report.soft_cost
    return {**timetable_json(t), "sessions": report.sessions, "slot_rows": report.slot_rows, "checker": checker,
            "lower_bound": bound, "cost_line": bound_text(cost, bound)}


@router.get("result/{job_id}/", auth=Member(STAFF_ROLES),
            summary="A job's variants: a summary with each one's checker report; with a variant and/or an owner, "
                    "their slots a page at a time")
@gzip_page
def result(request: HttpRequest, job_id: str, query: Query[ResultQuery]) -> HttpResponseBase:
    """A summary of the job's variants; with ``timetable_id``/``variant`` and/or ``kind`` and ``owner_id``, also
    the chosen slots, ``page_size`` at a time (``page``), ordered by variant, day, period."""
    membership: Membership = request.auth
    job = job_of(membership, job_id)
    variants, chosen = _variants(query, job)
    owner = _owner(query, membership)
    page, size = query.page, query.page_size
    etag = _etag(request, job, variants, "result")
    unchanged = get_conditional_response(request, etag=etag)
    if unchanged is not None:
        return _revalidate(unchanged, etag)
    checked = reports.summaries_of(variants)
    bounds = job.metadata.get("bounds") or {}
    body: dict[str, Any] = {
        "success": True, "job_id": str(job.id), "status": job.status,
        "timetables": [_summary(t, checked[t.pk], bounds.get(t.name)) for t in variants],
        "comparison": job.metadata.get("comparison", []), "generation_time": job.metadata.get("generation_time"),
        "download": reverse("result_download", args=[job.pk]),
    }
    if chosen is not None or owner is not None:
        slots = TimetableSlot.objects.filter(timetable__in=chosen if chosen is not None else variants)
        if owner is not None:
            slots = slots.filter(owner_q(*owner))
        total = slots.count()
        first = (page - 1) * size
        days = job_days(job)
        rows = slots.order_by("timetable_id", "day", "period", "id").values_list(*SLOT_VALUES)[first:first + size]
        body["slots"] = [slot_row_json(row, days) for row in rows]
        more = first + size < total
        body["pagination"] = {
            "page": page, "page_size": size, "total": total, "pages": max(1, -(-total // size)),
            "next": f"{request.path}?{urlencode({**request.GET.dict(), 'page': page + 1})}" if more else None,
        }
    return _revalidate(JsonResponse(body), etag)


# ------------------------------------------------------------------------------------------ download


def _slot_rows(variants: list[Timetable]) -> Iterator[tuple[Any, ...]]:
    """``SLOT_VALUES`` rows of the variants, one after another, read from the database in chunks."""
    for t in variants:
        yield from (TimetableSlot.objects.filter(timetable=t).order_by("day", "period", "id")
                    .values_list(*SLOT_VALUES).iterator(chunk_size=2000))


def _json_chunks(job: GenerationJob, variants: list[Timetable], days: list[str]) -> Iterator[str]:
    """The whole result, one variant after another, in the shape the result API once answered in one piece."""
    head = {"success": True, "job_id": str(job.id), "status": job.status,
            "comparison": job.metadata.get("comparison", []), "generation_time": job.metadata.get("generation_time")}
    yield json.dumps(head)[:-1] + ', "timetables": ['
    for i, t in enumerate(variants):
        yield ("," if i else "") + json.dumps(timetable_json(t))[:-1] + ', "slots": ['
        batch: list[str] = []
        first = True
        for row in _slot_rows([t]):
            slot = slot_row_json(row, days)
            del slot["timetable_id"]  # the variant's own list says it
            batch.append(json.dumps(slot))
            if len(batch) == 500:
                yield ("" if first else ",") + ",".join(batch)
                first, batch = False, []
        if batch:
            yield ("" if first else ",") + ",".join(batch)
        yield "]}"
    yield "]}"


def _csv_chunks(variants: list[Timetable], days: list[str]) -> Iterator[str]:
    writer = csv.writer(Echo())
    names = {t.pk: t.name for t in variants}
    lines = [writer.writerow(CSV_COLUMNS)]
    for (_, timetable_id, day, period, start, end, session, _, course, course_name, _, faculty, _, _, room, _, _,
         batch, _) in _slot_rows(variants):
        lines.append(writer.writerow([spreadsheet_safe(v) for v in (
            timetable_id, names[timetable_id], day, days[day] if day < len(days) else day, period,
            start.strftime("%H:%M"), end.strftime("%H:%M"), course, course_name, session, faculty or "",
            room or "", batch or "",
        )]))
        if len(lines) == 500:  # a chunk per 500 rows, not one per row
            yield "".join(lines)
            lines = []
    yield "".join(lines)


@router.get("result/{job_id}/download/", auth=Member(STAFF_ROLES),
            summary="Every slot of a job's variants (or one variant), streamed as JSON or CSV")
@gzip_page
def result_download(request: HttpRequest, job_id: str, query: Query[DownloadQuery]) -> HttpResponseBase:
    """Every slot of every variant (or of the one ``timetable_id``/``variant`` chooses), streamed as JSON or CSV."""
    fmt = query.format
    job = job_of(request.auth, job_id)
    variants, chosen = _variants(query, job)
    etag = _etag(request, job, variants, "download")
    unchanged = get_conditional_response(request, etag=etag)
    if unchanged is not None:
        return _revalidate(unchanged, etag)
    chosen = chosen if chosen is not None else variants
    days = job_days(job)
    chunks = _json_chunks(job, chosen, days) if fmt == "json" else _csv_chunks(chosen, days)
    response = StreamingResponse(chunks, content_type=DOWNLOAD_FORMATS[fmt])
    response["Content-Disposition"] = f'attachment; filename="timetable-job-{job.pk}.{fmt}"'
    return _revalidate(response, etag)
