"""Who may read whose timetable: one rule for the API and the pages."""

from __future__ import annotations

from typing import Any

from timetabling.web.academics import models as am
from timetabling.web.accounts.models import STAFF_ROLES, Membership, Role

# the owners a timetable can be read for, by the name the URLs use
OWNER_KINDS = {"batch": am.Batch, "faculty": am.Faculty, "room": am.Room, "student": am.Student}


def may_read(membership: Membership, kind: str, owner: Any) -> bool:
    """Staff read everything; faculty their own timetable; students their own and their batch's."""
    if membership.role in STAFF_ROLES:
        return True
    user = membership.user
    if membership.role == Role.FACULTY:
        return kind == "faculty" and owner.user_id == user.pk
    if membership.role == Role.STUDENT:
        student = am.Student.objects.filter(user=user, organization=membership.organization).first()
        if student is None:
            return False
        return (kind == "student" and owner.pk == student.pk) or (kind == "batch" and owner.pk == student.batch_id)
    return False
