"""Who is told what. Each rule returns ``Message``s; ``deliver`` turns them into notifications and e-mails as
each recipient chose (``NotificationPreference``)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from django.contrib.auth.models import User

from timetabling.engine.model import Instance
from timetabling.engine.repair.changes import Changes, SessionChange
from timetabling.web.academics import models as am
from timetabling.web.accounts.models import CAN_APPROVE, Membership
from timetabling.web.notifications.models import Kind
from timetabling.web.scheduling.models import GenerationJob, JobStatus, Timetable

MAX_LINES = 25  # a person's summary lists at most this many changed sessions, then counts the rest

JOB_KINDS = {JobStatus.COMPLETED: Kind.JOB_COMPLETED, JobStatus.FAILED: Kind.JOB_FAILED,
             JobStatus.CANCELLED: Kind.JOB_CANCELLED}


@dataclass(frozen=True)
class Message:
    user: User
    kind: str
    title: str
    body: str
    link: str = ""


def job_label(job: GenerationJob) -> str:
    return f"{job.academic_year} semester {job.semester}"


def job_finished(job: GenerationJob) -> list[Message]:
    """Who started the job hears how it ended; a completed job with variants asks the approvers to review it."""
    messages: list[Message] = []
    kind = JOB_KINDS.get(job.status)
    if kind is None:
        return messages
    link = f"/admin/timetables/status/{job.id}"
    starter = job.created_by if job.created_by is not None and job.created_by.is_active else None
    variants = list(job.timetables.values_list("name", flat=True))
    if starter is not None:
        if kind == Kind.JOB_COMPLETED:
            body = (f"The generation for {job_label(job)} finished with {len(variants)} variant(s): "
                    f"{', '.join(variants) or 'none'}.")
        elif kind == Kind.JOB_FAILED:
            body = f"The generation for {job_label(job)} failed: {job.error_message or 'no reason given'}."
        else:
            body = f"The generation for {job_label(job)} was cancelled. {job.error_message}".strip()
        messages.append(Message(starter, kind, f"Generation {job.status}: {job_label(job)}", body, link))
    if kind == Kind.JOB_COMPLETED and variants:
        for approver in approvers_of(job.organization_id, exclude=starter):
            messages.append(Message(
                approver, Kind.APPROVAL_REQUESTED, f"Timetable waiting for approval: {job_label(job)}",
                f"{len(variants)} variant(s) of {job_label(job)} wait for your review: {', '.join(variants)}.",
                link))
    return messages


def approvers_of(organization_id: int, exclude: User | None = None) -> list[User]:
    """The organization's active members whose role may approve, by username."""
    users = [m.user for m in Membership.objects.select_related("user").filter(
        organization_id=organization_id, role__in=CAN_APPROVE, user__is_active=True).order_by("user__username")]
    return [u for u in users if exclude is None or u.pk != exclude.pk]


def describe(change: SessionChange, instance: Instance) -> str:
    """One changed session in words: "CS101 session 2: Mon 09:00 -> Tue 10:00, room R1 -> R2"."""
    def where(side: dict[str, Any] | None) -> str:
        if side is None:
            return "-"
        return f"{side.get('slot', (side['day'], side['period']))}" + (f" in {side['room']}" if side["room"] else "")

    d = change.to_dict(instance)
    session = (d["new"] or d["old"])["session"]
    if change.kind == "added":
        return f"{change.course} session {session + 1}: {where(d['new'])}"
    if change.kind == "removed":
        return f"{change.course} session {session + 1}: removed (was {where(d['old'])})"
    return f"{change.course} session {session + 1}: {where(d['old'])} -> {where(d['new'])}"


def changed_sessions(instance: Instance, changes: Changes) -> dict[tuple[str, str], list[SessionChange]]:
    """("faculty" | "student", engine id) -> the changed sessions of the courses they teach or attend."""
    by_course: dict[str, list[SessionChange]] = defaultdict(list)
    for change in changes.sessions:
        by_course[change.course].append(change)
    out: dict[tuple[str, str], list[SessionChange]] = defaultdict(list)
    for course_id, course_changes in by_course.items():
        course = instance.course_by_id.get(course_id)
        for faculty_id in course.faculty if course is not None else ():
            out[("faculty", faculty_id)].extend(course_changes)
    for courses, students in instance.student_groups.items():
        theirs = [c for cid in sorted(courses) for c in by_course.get(cid, ())]
        if theirs:
            for student_id in students:
                out[("student", student_id)].extend(theirs)
    return out


def timetable_changed(timetable: Timetable, previous: Timetable | None, instance: Instance,
                      changes: Changes) -> list[Message]:
    """The faculty and students with a user account whose sessions changed, each with their own changes."""
    per_person = changed_sessions(instance, changes)
    users: dict[tuple[str, str], User] = {}
    for kind, model in (("faculty", am.Faculty), ("student", am.Student)):
        codes = [code for k, code in per_person if k == kind]
        for code, user in model.objects.filter(organization_id=timetable.organization_id, code__in=codes,
                                               user__isnull=False, user__is_active=True
                                               ).values_list("code", "user"):
            users[(kind, code)] = user
    user_objects = {u.pk: u for u in User.objects.filter(pk__in=set(users.values()))}
    label = f"{timetable.academic_year} semester {timetable.semester}"
    verb = "changed" if previous is not None else "published"
    messages = []
    for key, user_id in sorted(users.items()):
        sessions = per_person[key]
        lines = [f"- {describe(c, instance)}" for c in sessions[:MAX_LINES]]
        if len(sessions) > MAX_LINES:
            lines.append(f"- and {len(sessions) - MAX_LINES} more")
        intro = (f"Your timetable for {label} was {verb} ({timetable.name}); "
                 f"{len(sessions)} of your sessions {'changed' if previous is not None else 'are scheduled'}:")
        messages.append(Message(user_objects[user_id], Kind.TIMETABLE_CHANGED, f"Your timetable was {verb}: {label}",
                                intro + "\n" + "\n".join(lines), "/my/timetable/"))
    return messages
