"""The public API's route table: (path, view, summary, tag, request body model). ``urls`` routes it, ``openapi``
describes it."""

from __future__ import annotations

from timetabling.web.api import academics, auth, drafts, results, timetable
from timetabling.web.api.schemas import (
    ApproveRequest,
    CallbackRequest,
    EditRequest,
    GenerateRequest,
    LoginRequest,
    PriorityProfileRequest,
    VersionRequest,
)

T = "timetable/"
API_ROUTES = [
    ("api/auth/csrf/", auth.csrf_token, "The CSRF token a session's writes carry (X-CSRFToken); sets the cookie",
     "auth", None),
    ("api/auth/login/", auth.sign_in, "Sign in (session cookie); needs the CSRF token, answers the new one", "auth",
     LoginRequest),
    ("api/auth/logout/", auth.sign_out, "Sign out", "auth", None),
    ("api/auth/me/", auth.me, "The signed-in user, role and organization", "auth", None),
    (f"api/{T}generate/", timetable.generate, "Start generating timetable variants", "timetable", GenerateRequest),
    (f"api/{T}priorities/", timetable.priority_profiles,
     "The soft criteria and the organization's saved priority profiles; POST saves one", "timetable",
     PriorityProfileRequest),
    (f"api/{T}jobs/", timetable.jobs, "The organization's last generation jobs", "timetable", None),
    (f"api/{T}status/<str:job_id>/", timetable.status, "A generation job", "timetable", None),
    (f"api/{T}progress/<str:job_id>/", timetable.progress, "A job's progress 0-100", "timetable", None),
    (f"api/{T}result/<str:job_id>/", results.result,
     "A job's variants: a summary with each one's checker report; with a variant and/or an owner, their slots a "
     "page at a time", "timetable", None),
    (f"api/{T}result/<str:job_id>/download/", results.result_download,
     "Every slot of a job's variants (or one variant), streamed as JSON or CSV", "timetable", None),
    (f"api/{T}cancel/<str:job_id>/", timetable.cancel, "Cancel a running job", "timetable", None),
    (f"api/{T}rerun/<str:job_id>/", timetable.rerun, "Start a new job with a finished job's parameters",
     "timetable", None),
    (f"api/{T}approve/<str:job_id>/", timetable.approve, "Approve (publish) or reject a job's variants",
     "timetable", ApproveRequest),
    (f"api/{T}timetables/", timetable.timetables, "The organization's timetables", "timetable", None),
    (f"api/{T}timetables/<int:timetable_id>/draft/", drafts.make_draft,
     "A new draft version with exactly this version's slots and locks", "versions", None),
    (f"api/{T}timetables/<int:timetable_id>/publish/", drafts.publish,
     "Publish a draft, or re-publish an older version (rollback); archives only its scope's published one",
     "versions", None),
    (f"api/{T}timetables/<int:timetable_id>/repair/", drafts.repair,
     "Repair a version for today's data with the fewest moves (locks kept): a new draft and its diff", "versions",
     None),
    (f"api/{T}drafts/<int:timetable_id>/", drafts.draft,
     "A draft's state: slots version, checker report, locks, undo/redo, its edits and its scope's versions",
     "versions", None),
    (f"api/{T}drafts/<int:timetable_id>/candidates/", drafts.candidates,
     "Where one session could move: per (day, period) free, soft cost, or the hard rule broken and with whom; "
     "and the clash-free swaps", "versions", None),
    (f"api/{T}drafts/<int:timetable_id>/edits/", drafts.edit,
     "Move, swap, pick a room, lock or unlock, checked by the checker: 400 naming a broken hard rule, 409 when "
     "base_version is stale", "versions", EditRequest),
    (f"api/{T}drafts/<int:timetable_id>/undo/", drafts.undo, "Undo the draft's last edit", "versions",
     VersionRequest),
    (f"api/{T}drafts/<int:timetable_id>/redo/", drafts.redo, "Redo the draft's last undone edit", "versions",
     VersionRequest),
    (f"api/{T}diff/<int:a>/<int:b>/", drafts.diff,
     "What changed from version a to version b: per session, per batch, faculty member and student", "versions",
     None),
    (f"api/{T}<str:kind>/<int:owner_id>/", timetable.owner_timetable,
     "The published timetable of one batch, faculty member, room or student", "timetable", None),
    ("api/academics/timetable/fastapi_callback/", timetable.engine_callback,
     "Internal: the engine service reports progress and results (signed)", "internal", CallbackRequest),
    ("api/academics/time-grid/", academics.time_grid, "The weekly time grid", "academics", None),
    ("api/academics/<str:kind>/", academics.listing, "List academic data of one kind (search, pages)", "academics",
     None),
    ("api/academics/<str:kind>/<int:item_id>/", academics.detail, "One academic record", "academics", None),
]
