"""Every generation job of the organization: filtered by status, term and who started it, a page at a time, and
the same selection as CSV."""

from __future__ import annotations

import csv
from typing import Any
from urllib.parse import urlencode

from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse

from timetabling.web.accounts.models import STAFF_ROLES, Membership
from timetabling.web.pages.access import page
from timetabling.web.pages.views.common import render_page
from timetabling.web.scheduling.models import GenerationJob, JobStatus

PER_PAGE = 25
CSV_COLUMNS = ("id", "created_at", "completed_at", "academic_year", "semester", "status", "progress", "created_by",
               "variants", "generation_time_s", "review", "error")


def parse_term(text: str) -> tuple[str, int] | None:
    """"2026-27/1" -> ("2026-27", 1); None for anything else."""
    year, _, semester = text.partition("/")
    return (year, int(semester)) if year and semester.isdigit() and len(semester) < 3 else None


def filtered_jobs(membership: Membership, params: Any) -> tuple[QuerySet[GenerationJob], dict[str, str]]:
    """The organization's jobs that match ``status``, ``term`` and ``who``; unknown values match nothing."""
    jobs = GenerationJob.objects.filter(organization=membership.organization).select_related("created_by")
    chosen = {key: (params.get(key) or "").strip()[:100] for key in ("status", "term", "who")}
    if chosen["status"]:
        jobs = jobs.filter(status=chosen["status"])
    if chosen["term"]:
        term = parse_term(chosen["term"])
        jobs = jobs.filter(academic_year=term[0], semester=term[1]) if term else jobs.none()
    if chosen["who"]:
        jobs = jobs.filter(created_by__username=chosen["who"])
    return jobs.order_by("-created_at"), chosen


def job_row(job: GenerationJob) -> dict[str, Any]:
    m = job.metadata
    review = m.get("review") or {}
    return {"job": job, "variants": ", ".join(m.get("variants") or []),
            "generation_time": m.get("generation_time"), "review": review.get("action", "")}


@page(STAFF_ROLES)
def history(request: HttpRequest, membership: Membership) -> HttpResponse:
    jobs, chosen = filtered_jobs(membership, request.GET)
    if request.GET.get("format") == "csv":
        return jobs_csv(jobs)
    current = Paginator(jobs, PER_PAGE).get_page(request.GET.get("page"))
    org_jobs = GenerationJob.objects.filter(organization=membership.organization)
    terms = [f"{y}/{s}" for y, s in org_jobs.values_list("academic_year", "semester").distinct().order_by(
        "-academic_year", "-semester")]
    who = sorted({u for u in org_jobs.values_list("created_by__username", flat=True).distinct() if u})
    query = urlencode({k: v for k, v in chosen.items() if v})
    return render_page(request, "pages/history.html", {
        "page": current, "rows": [job_row(j) for j in current], "chosen": chosen, "statuses": JobStatus.values,
        "terms": terms, "people": who, "query": query})


def jobs_csv(jobs: QuerySet[GenerationJob]) -> HttpResponse:
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="generation-jobs.csv"'
    writer = csv.writer(response)
    writer.writerow(CSV_COLUMNS)
    for job in jobs.iterator(chunk_size=500):
        row = job_row(job)
        writer.writerow([job.id, job.created_at.isoformat(), job.completed_at.isoformat() if job.completed_at else "",
                         job.academic_year, job.semester, job.status, job.progress,
                         job.created_by.username if job.created_by else "", row["variants"],
                         row["generation_time"] if row["generation_time"] is not None else "", row["review"],
                         _safe_cell(job.error_message)])
    return response


def _safe_cell(text: str) -> str:
    """A cell a spreadsheet will not run as a formula."""
    return "'" + text if text[:1] in ("=", "+", "-", "@") else text
