"""``/api/timetable/drafts/...`` and versions: make a draft from any version, edit it with a server-side
conflict check (candidates, edits, undo, redo), publish or roll back, and diff two versions."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from timetabling.web.accounts.models import CAN_APPROVE, CAN_GENERATE, STAFF_ROLES, Membership
from timetabling.web.api.base import api, body_as
from timetabling.web.api.errors import ApiError, not_found
from timetabling.web.api.schemas import EditRequest, VersionRequest
from timetabling.web.scheduling import edits, repairs, reports, versions
from timetabling.web.scheduling.models import Timetable, TimetableEdit


def _timetable(membership: Membership, timetable_id: int, what: str = "timetable") -> Timetable:
    """The organization's timetable; 404 for another organization's, exactly as for one that does not exist."""
    t = (Timetable.objects.select_related("organization", "generation_job", "created_by")
         .filter(pk=timetable_id, organization=membership.organization).first())
    if t is None:
        raise not_found(what)
    return t


@api(["POST"], roles=CAN_GENERATE)
def make_draft(request: HttpRequest, membership: Membership, timetable_id: int) -> dict[str, Any]:
    """A new draft with exactly the version's slots and locks."""
    draft = versions.create_draft(_timetable(membership, timetable_id), request.user)
    return {"draft": versions.version_json(draft), "message": f"draft {draft.pk} made from timetable {timetable_id}"}


@api(["GET"], roles=CAN_GENERATE)
def draft(request: HttpRequest, membership: Membership, timetable_id: int) -> dict[str, Any]:
    """The draft's state (version, report, locks, undo/redo) with its edits and the scope's versions."""
    t = _timetable(membership, timetable_id, "draft")
    history = TimetableEdit.objects.filter(timetable=t).select_related("created_by").order_by("-id")[:100]
    return {**edits.state_json(t, reports.report_of(t)), "version": versions.version_json(t),
            "edits": [{"op": e.op, "summary": e.summary, "undone": e.undone, "at": e.created_at.isoformat(),
                       "by": e.created_by.username if e.created_by else None} for e in history],
            "versions": [versions.version_json(v) for v in versions.lineage(t)]}


@api(["GET"], roles=CAN_GENERATE)
def candidates(request: HttpRequest, membership: Membership, timetable_id: int) -> dict[str, Any]:
    """Every (day, period) the session could move to: free, soft cost, or the hard rule broken and with whom."""
    t = _timetable(membership, timetable_id, "draft")
    course = request.GET.get("course", "").strip()
    if not course:
        raise ApiError(400, "course is required", field="course")
    raw = request.GET.get("session", "0")
    if not (raw.isascii() and raw.isdigit()) or len(raw) > 4:
        raise ApiError(400, f"session '{raw[:20]}' is not a session number", field="session")
    return edits.candidates(t, course, int(raw))


@api(["POST"], roles=CAN_GENERATE)
def edit(request: HttpRequest, membership: Membership, timetable_id: int) -> dict[str, Any]:
    """One checked edit; 400 naming the broken hard rule, 409 when the draft changed since base_version."""
    body = body_as(request, EditRequest)
    t = _timetable(membership, timetable_id, "draft")
    fields = body.model_dump(exclude={"base_version"})
    return edits.apply_edit(t, request.user, edits.Edit(**fields), body.base_version)


@api(["POST"], roles=CAN_GENERATE)
def undo(request: HttpRequest, membership: Membership, timetable_id: int) -> dict[str, Any]:
    body = body_as(request, VersionRequest)
    return edits.undo_redo(_timetable(membership, timetable_id, "draft"), False, body.base_version)


@api(["POST"], roles=CAN_GENERATE)
def redo(request: HttpRequest, membership: Membership, timetable_id: int) -> dict[str, Any]:
    body = body_as(request, VersionRequest)
    return edits.undo_redo(_timetable(membership, timetable_id, "draft"), True, body.base_version)


@api(["POST"], roles=CAN_APPROVE)
def publish(request: HttpRequest, membership: Membership, timetable_id: int) -> dict[str, Any]:
    """Publish a draft, or re-publish an older version (rollback); only its scope's published one is archived."""
    t = versions.publish(_timetable(membership, timetable_id), request.user)
    return {"message": f"timetable '{t.name}' is published for {versions.scope_label(t)}",
            "timetable": versions.version_json(t)}


@api(["GET"], roles=STAFF_ROLES)
def diff(request: HttpRequest, membership: Membership, a: int, b: int) -> dict[str, Any]:
    """What changed from version a to version b."""
    return versions.diff_of(_timetable(membership, a), _timetable(membership, b))


@api(["POST"], roles=CAN_GENERATE)
def repair(request: HttpRequest, membership: Membership, timetable_id: int) -> dict[str, Any]:
    """A draft repaired for today's data with the fewest moves (locks kept), and its diff, for approval."""
    draft, changes = repairs.repair_draft(_timetable(membership, timetable_id), request.user)
    return {"draft": versions.version_json(draft), "changes": changes,
            "message": f"draft {draft.pk}: {changes.get('summary', {}).get('moved_in_time', 0)} session(s) moved"}
