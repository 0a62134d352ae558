"""``/api/timetable/drafts/...`` and versions: make a draft from any version, edit it with a server-side
conflict check (candidates, edits, undo, redo), publish or roll back, and diff two versions."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Query, Router

from timetabling.web.accounts.models import CAN_APPROVE, CAN_GENERATE, STAFF_ROLES, Membership
from timetabling.web.api.credentials import Member
from timetabling.web.api.errors import not_found
from timetabling.web.api.schemas import CandidatesQuery, EditRequest, RecordId, VersionRequest
from timetabling.web.scheduling import edits, repairs, reports, versions
from timetabling.web.scheduling.models import Timetable, TimetableEdit


def _timetable(membership: Membership, timetable_id: int, what: str = "timetable") -> Timetable:
    """The organization's timetable; 404 for another organization's, exactly as for one that does not exist."""
    t = (Timetable.objects.select_related("organization", "generation_job", "created_by")
         .filter(pk=timetable_id, organization=membership.organization).first())
    if t is None:
        raise not_found(what)
    return t


router = Router(tags=["versions"])
GENERATORS, APPROVERS, STAFF = Member(CAN_GENERATE), Member(CAN_APPROVE), Member(STAFF_ROLES)


@router.post("timetables/{int:timetable_id}/draft/", auth=GENERATORS,
             summary="A new draft version with exactly this version's slots and locks")
def make_draft(request: HttpRequest, timetable_id: RecordId) -> dict[str, Any]:
    membership = request.auth
    """A new draft with exactly the version's slots and locks."""
    draft = versions.create_draft(_timetable(membership, timetable_id), request.user)
    return {"draft": versions.version_json(draft), "message": f"draft {draft.pk} made from timetable {timetable_id}"}


@router.get("drafts/{int:timetable_id}/", auth=GENERATORS,
            summary="A draft's state: slots version, checker report, locks, undo/redo, its edits and its scope's "
                    "versions")
def draft(request: HttpRequest, timetable_id: RecordId) -> dict[str, Any]:
    """The draft's state (version, report, locks, undo/redo) with its edits and the scope's versions."""
    t = _timetable(request.auth, timetable_id, "draft")
    history = TimetableEdit.objects.filter(timetable=t).select_related("created_by").order_by("-id")[:100]
    return {**edits.state_json(t, reports.report_of(t)), "version": versions.version_json(t),
            "edits": [{"op": e.op, "summary": e.summary, "undone": e.undone, "at": e.created_at.isoformat(),
                       "by": e.created_by.username if e.created_by else None} for e in history],
            "versions": [versions.version_json(v) for v in versions.lineage(t)]}


@router.get("drafts/{int:timetable_id}/candidates/", auth=GENERATORS,
            summary="Where one session could move: per (day, period) free, soft cost, or the hard rule broken and "
                    "with whom; and the clash-free swaps")
def candidates(request: HttpRequest, timetable_id: RecordId, query: Query[CandidatesQuery]) -> dict[str, Any]:
    """Every (day, period) the session could move to: free, soft cost, or the hard rule broken and with whom."""
    t = _timetable(request.auth, timetable_id, "draft")
    return edits.candidates(t, query.course.strip(), query.session)


@router.post("drafts/{int:timetable_id}/edits/", auth=GENERATORS,
             summary="Move, swap, pick a room, lock or unlock, checked by the checker: 400 naming a broken hard "
                     "rule, 409 when base_version is stale")
def edit(request: HttpRequest, timetable_id: RecordId, body: EditRequest) -> dict[str, Any]:
    """One checked edit; 400 naming the broken hard rule, 409 when the draft changed since base_version."""
    t = _timetable(request.auth, timetable_id, "draft")
    fields = body.model_dump(exclude={"base_version"})
    return edits.apply_edit(t, request.user, edits.Edit(**fields), body.base_version)


@router.post("drafts/{int:timetable_id}/undo/", auth=GENERATORS, summary="Undo the draft's last edit")
def undo(request: HttpRequest, timetable_id: RecordId, body: VersionRequest | None = None) -> dict[str, Any]:
    body = body or VersionRequest()
    return edits.undo_redo(_timetable(request.auth, timetable_id, "draft"), False, body.base_version)


@router.post("drafts/{int:timetable_id}/redo/", auth=GENERATORS, summary="Redo the draft's last undone edit")
def redo(request: HttpRequest, timetable_id: RecordId, body: VersionRequest | None = None) -> dict[str, Any]:
    body = body or VersionRequest()
    return edits.undo_redo(_timetable(request.auth, timetable_id, "draft"), True, body.base_version)


@router.post("timetables/{int:timetable_id}/publish/", auth=APPROVERS,
             summary="Publish a draft, or re-publish an older version (rollback); archives only its scope's "
                     "published one")
def publish(request: HttpRequest, timetable_id: RecordId) -> dict[str, Any]:
    """Publish a draft, or re-publish an older version (rollback); only its scope's published one is archived."""
    t = versions.publish(_timetable(request.auth, timetable_id), request.user)
    return {"message": f"timetable '{t.name}' is published for {versions.scope_label(t)}",
            "timetable": versions.version_json(t)}


@router.get("diff/{int:a}/{int:b}/", auth=STAFF,
            summary="What changed from version a to version b: per session, per batch, faculty member and student")
def diff(request: HttpRequest, a: RecordId, b: RecordId) -> dict[str, Any]:
    """What changed from version a to version b."""
    membership = request.auth
    return versions.diff_of(_timetable(membership, a), _timetable(membership, b))


@router.post("timetables/{int:timetable_id}/repair/", auth=GENERATORS,
             summary="Repair a version for today's data with the fewest moves (locks kept): a new draft and its "
                     "diff")
def repair(request: HttpRequest, timetable_id: RecordId) -> dict[str, Any]:
    """A draft repaired for today's data with the fewest moves (locks kept), and its diff, for approval."""
    draft, changes = repairs.repair_draft(_timetable(request.auth, timetable_id), request.user)
    return {"draft": versions.version_json(draft), "changes": changes,
            "message": f"draft {draft.pk}: {changes.get('summary', {}).get('moved_in_time', 0)} session(s) moved"}
