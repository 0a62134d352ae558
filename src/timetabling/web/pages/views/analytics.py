"""Analytics across the organization's generation runs, as server-side SVG charts: generation time and time to
the first clash-free timetable, time per stage, outcomes per week, and per variant the soft cost, hard violations
and each quality metric of the checker's report."""

from __future__ import annotations

from collections import defaultdict

from django.http import HttpRequest, HttpResponse

from timetabling.web.accounts.models import STAFF_ROLES, Membership
from timetabling.web.pages import charts
from timetabling.web.pages.access import page
from timetabling.web.pages.views.common import render_page
from timetabling.web.scheduling import timings
from timetabling.web.scheduling.models import GenerationJob, JobStatus, TimetableReport

RUNS = 30  # the charts show the last this many jobs


@page(STAFF_ROLES)
def analytics(request: HttpRequest, membership: Membership) -> HttpResponse:
    org = membership.organization
    jobs = list(GenerationJob.objects.filter(organization=org).order_by("-created_at")[:RUNS])[::-1]
    labels = [j.created_at.strftime("%d %b %H:%M") for j in jobs]
    figures = []
    if jobs:
        figures.append(charts.line_chart("Generation time per run", "seconds", labels, {
            "generation time": [j.metadata.get("generation_time") for j in jobs],
            "first clash-free timetable": [j.metadata.get("first_timetable_s") for j in jobs]}))
        figures.append(stages_chart(jobs, labels))
        figures.append(outcomes_chart(org))
        figures.extend(quality_charts(jobs, labels))
    return render_page(request, "pages/analytics.html", {"figures": figures, "runs": len(jobs)})


def stages_chart(jobs: list[GenerationJob], labels: list[str]) -> object:
    """Per run, the seconds of each stage stacked (``timings``: from the phases its progress reported)."""
    per_job = [timings.stage_seconds(j.metadata) for j in jobs]
    stages = list(dict.fromkeys(stage for seconds in per_job for stage in seconds))
    return charts.bar_chart("Time per stage per run", "seconds", labels,
                            {stage: [seconds.get(stage, 0.0) for seconds in per_job] for stage in stages})


def outcomes_chart(org) -> object:
    """Jobs per week by how they ended."""
    weeks: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for created, status in GenerationJob.objects.filter(organization=org).values_list("created_at", "status"):
        year, week, _ = created.isocalendar()
        weeks[f"{year}-W{week:02d}"][status] += 1
    keys = sorted(weeks)[-12:]
    statuses = [s for s in JobStatus.values if any(weeks[k][s] for k in keys)]
    return charts.bar_chart("Outcomes per week", "jobs", keys, {s: [weeks[k][s] for k in keys] for s in statuses})


def quality_charts(jobs: list[GenerationJob], labels: list[str]) -> list[object]:
    """Per variant across runs: the checker's soft cost, hard violations and each quality metric."""
    index = {j.pk: i for i, j in enumerate(jobs)}
    reports = TimetableReport.objects.filter(timetable__generation_job__in=jobs, timetable__parent__isnull=True,
                                             error="").values_list("timetable__generation_job_id",
                                                                   "timetable__name", "soft_cost", "hard_total",
                                                                   "metrics")
    series: dict[str, dict[str, list[float | None]]] = defaultdict(dict)
    for job_id, variant, soft, hard, metrics in reports:
        i = index[job_id]
        values = {"soft cost": soft, "hard violations": hard,
                  **{k: v for k, v in (metrics or {}).items() if isinstance(v, int | float)}}
        for measure, value in values.items():
            series[measure].setdefault(variant, [None] * len(jobs))[i] = float(value)
    order = ["soft cost", "hard violations", *sorted(k for k in series if k not in ("soft cost", "hard violations"))]
    return [charts.line_chart(f"{measure.replace('_', ' ').capitalize()} per variant", measure.replace("_", " "),
                              labels, dict(sorted(series[measure].items())))
            for measure in order if measure in series]
