"""Review one variant (week grids, the checker's conflicts, metrics, approve or reject) and compare a job's
variants side by side."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.views.decorators.http import require_POST

from timetabling.web.accounts.models import CAN_APPROVE, CAN_GENERATE, STAFF_ROLES, Membership
from timetabling.web.pages import comparison
from timetabling.web.pages.access import page
from timetabling.web.pages.grids import KIND_LABELS, OWNER_MODELS, judge, mark, owner_week, owners_in
from timetabling.web.pages.views.common import job_of, render_page, timetable_of
from timetabling.web.scheduling import priorities as chosen_priorities
from timetabling.web.scheduling import reports, services, versions
from timetabling.web.scheduling.errors import Refused
from timetabling.web.scheduling.models import Timetable, TimetableEdit, TimetableStatus

REVIEW_KINDS = ("batch", "faculty", "room")
# the engine's metrics under names that say whose measure they are
METRIC_LABELS = {"hard_violations": "hard violations (engine)", "soft_cost": "soft cost, the variant's own weights"}


def metric_label(key: str) -> str:
    return METRIC_LABELS.get(key, key.replace("_", " "))


def _number(value: object) -> str:
    if isinstance(value, float):
        return f"{value:.3f}".rstrip("0").rstrip(".")
    return str(value)


@page(roles=STAFF_ROLES)
def review(request: HttpRequest, membership: Membership, timetable_id: int) -> HttpResponse:
    timetable = timetable_of(membership, timetable_id)
    kind = request.GET.get("kind", "batch")
    if kind not in REVIEW_KINDS:
        raise Http404(f"no view by '{kind}'")
    # the chooser's options as plain rows: a faculty list at the reference scale is a thousand records
    owners = [(pk, code if not name or name == code else f"{code} – {name}")
              for pk, code, name in owners_in(timetable, kind).values_list("pk", "code", "name")]
    # an owner of another kind (the kind was changed, the owner not yet) shows this kind's first one
    wanted = request.GET.get("owner", "")
    chosen = next((pk for pk, _ in owners if str(pk) == wanted), owners[0][0] if owners else None)
    owner = OWNER_MODELS[kind].objects.get(pk=chosen) if chosen is not None else None
    judgement = judge(timetable)
    week = mark(owner_week(timetable, kind, owner), judgement) if owner is not None else None
    job = timetable.generation_job
    return render_page(request, "pages/review.html", {
        "editor": _editor(membership, timetable), "lineage": versions.lineage(timetable),
        "timetable": timetable, "job": job, "kind": kind, "kind_label": KIND_LABELS[kind],
        "kinds": [(k, KIND_LABELS[k]) for k in REVIEW_KINDS], "owners": owners, "owner": owner, "week": week,
        "judgement": judgement,
        "metrics": [(metric_label(k), _number(v)) for k, v in sorted(timetable.metrics.items())],
        "review": job.metadata.get("review") if job else None,
        "variants": Timetable.objects.filter(generation_job=job).order_by("id") if job else [],
    })


def _editor(membership: Membership, timetable: Timetable) -> dict[str, Any] | None:
    """What the grid's editor (static/pages/editor.js) starts from, for a draft and a member who may edit it."""
    if timetable.status != TimetableStatus.DRAFT or membership.role not in CAN_GENERATE:
        return None
    history = TimetableEdit.objects.filter(timetable=timetable)
    return {"version": timetable.slots_version, "can_undo": history.filter(undone=False).exists(),
            "can_redo": history.filter(undone=True).exists(),
            "locked": {f"{lk['course']}#{lk.get('session', 0)}" for lk in timetable.locks}}


@require_POST
@page(roles=CAN_GENERATE)
def make_draft(request: HttpRequest, membership: Membership, timetable_id: int) -> HttpResponse:
    """A new draft of this version (its slots and locks), opened in the editor."""
    draft = versions.create_draft(timetable_of(membership, timetable_id), request.user)
    messages.success(request, f"Draft '{draft.name}' made: select a session to move it.")
    return redirect(f"{reverse('pages:review', args=[draft.pk])}?{request.GET.urlencode()}")


@require_POST
@page(roles=CAN_APPROVE)
def publish(request: HttpRequest, membership: Membership, timetable_id: int) -> HttpResponse:
    """Publish a draft, or re-publish an older version (rollback); only its scope's published one is archived."""
    try:
        t = versions.publish(timetable_of(membership, timetable_id), request.user)
    except Refused as err:
        messages.error(request, err.message)
    else:
        messages.success(request, f"Timetable '{t.name}' is published for {versions.scope_label(t)}.")
    return redirect(f"{reverse('pages:review', args=[timetable_id])}?{request.GET.urlencode()}")


@require_POST
@page(roles=CAN_APPROVE)
def decide(request: HttpRequest, membership: Membership, timetable_id: int) -> HttpResponse:
    timetable = timetable_of(membership, timetable_id)
    action = request.POST.get("action")
    if action not in ("approve", "reject") or timetable.generation_job is None:
        messages.error(request, "Choose Approve or Reject.")
        return redirect("pages:review", timetable_id=timetable.pk)
    comments = request.POST.get("comments", "").strip()[:4000]
    try:
        chosen = services.approve(timetable.generation_job, request.user, action, comments, timetable.pk)
    except Refused as err:
        messages.error(request, err.message)
    else:
        if chosen is None:
            messages.success(request, "The job's timetables were rejected.")
        else:
            messages.success(request, f"Timetable '{chosen.name}' is approved and published.")
    return redirect("pages:review", timetable_id=timetable.pk)


@page(roles=STAFF_ROLES)
def compare(request: HttpRequest, membership: Membership, job_id: str) -> HttpResponse:
    job = job_of(membership, job_id)
    variants = list(Timetable.objects.filter(generation_job=job).order_by("id"))
    checked = reports.summaries_of(variants)  # stored with each variant: no checker run here

    def checker(t: Timetable, value: int) -> int | str:
        return "could not run" if checked[t.pk].error else value

    rows = [
        comparison.row("score", [t.score for t in variants], "score", "of 100", "higher",
                       "100 with no violation and no soft cost; each hard violation costs 10 points."),
        comparison.row("checker_hard", [checker(t, checked[t.pk].hard_total) for t in variants],
                       "hard violations (checker)", "count", "lower",
                       "Clashes and broken hard rules, counted by the independent checker."),
        comparison.row("checker_soft", [checker(t, checked[t.pk].soft_cost) for t in variants],
                       "soft cost, the university's weights (checker)", "weighted units", "lower",
                       "Every variant under the same weights: the fair comparison of soft quality."),
        *comparison.metric_rows(variants),
    ]
    comparison.label_cells(rows, [t.name for t in variants])
    best = max(variants, key=lambda t: (t.score is not None, t.score or 0), default=None)
    return render_page(request, "pages/compare.html", {
        "job": job, "variants": variants, "rows": rows, "best": best, "review": job.metadata.get("review"),
        "priorities": chosen_priorities.shown(job.metadata),
    })


@page(roles=STAFF_ROLES)
def diff(request: HttpRequest, membership: Membership, timetable_id: int, other_id: int) -> HttpResponse:
    """What changed from one version to another: moved sessions, and per batch, faculty member and student."""
    a, b = timetable_of(membership, timetable_id), timetable_of(membership, other_id)
    try:
        changes = versions.diff_of(a, b)
    except Refused as err:
        messages.error(request, err.message)
        return redirect("pages:review", timetable_id=b.pk)
    lists = [(title, sorted(changes[key].items())[:500]) for title, key in (
        ("Batches", "per_batch"), ("Faculty", "per_faculty"), ("Students", "per_student"))]
    return render_page(request, "pages/diff.html", {"diff": changes, "lists": lists})
