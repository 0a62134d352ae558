"""People of an organization, managed by its admins: accounts with a role, linked to a faculty member or a
student record, deactivated, given a new password. Every change of role, link or state is recorded."""

from __future__ import annotations

import secrets
from typing import Any

from django.contrib.auth.models import User
from django.db import transaction

from timetabling.web.academics import models as am
from timetabling.web.academics.changes import record_change
from timetabling.web.accounts.models import Membership, Role

KIND = "users"  # the ChangeRecord kind of accounts


class RefusedChange(ValueError):
    """A change an admin may not make (e.g. taking away their own admin role); the message says why."""


def generated_password() -> str:
    """A password to read out once: 4 groups of 4 letters and digits, easy to type."""
    alphabet = "abcdefghjkmnpqrstuvwxyz23456789"
    return "-".join("".join(secrets.choice(alphabet) for _ in range(4)) for _ in range(4))


def members(org: am.Organization) -> list[Membership]:
    return list(Membership.objects.filter(organization=org).select_related("user", "user__faculty", "user__student")
                .order_by("user__username"))


def member_of(org: am.Organization, user_id: int) -> Membership | None:
    """The organization's member with this user id; None for anyone else's."""
    return Membership.objects.select_related("user").filter(organization=org, user_id=user_id).first()


def _state(membership: Membership) -> dict[str, Any]:
    user = membership.user
    faculty = am.Faculty.objects.filter(user=user).values_list("code", flat=True).first()
    student = am.Student.objects.filter(user=user).values_list("code", flat=True).first()
    return {"role": membership.role, "email": user.email, "active": user.is_active, "faculty": faculty,
            "student": student}


def _link(org: am.Organization, user: User, faculty: am.Faculty | None, student: am.Student | None) -> None:
    am.Faculty.objects.filter(organization=org, user=user).exclude(pk=getattr(faculty, "pk", None)).update(user=None)
    am.Student.objects.filter(organization=org, user=user).exclude(pk=getattr(student, "pk", None)).update(user=None)
    for record in (faculty, student):
        if record is not None and record.user_id != user.pk:
            record.user = user
            record.save(update_fields=["user"])


@transaction.atomic
def create_member(org: am.Organization, actor: User, username: str, email: str, role: str,
                  faculty: am.Faculty | None = None, student: am.Student | None = None) -> tuple[Membership, str]:
    """A new account in ``org`` with a generated password; returns the membership and the password (shown
    once, never stored in clear)."""
    password = generated_password()
    user = User.objects.create_user(username, email=email, password=password)
    membership = Membership.objects.create(user=user, organization=org, role=role)
    _link(org, user, faculty, student)
    record_change(org, actor, KIND, user, "created", {k: [None, v] for k, v in _state(membership).items()})
    return membership, password


@transaction.atomic
def update_member(org: am.Organization, actor: User, membership: Membership, *, role: str, email: str,
                  active: bool, faculty: am.Faculty | None, student: am.Student | None) -> None:
    """Change an account's role, e-mail, link and state; an admin cannot demote or deactivate themselves
    (the organization would lose its last way in)."""
    user = membership.user
    if user.pk == actor.pk and (role != Role.ORG_ADMIN or not active):
        raise RefusedChange("you cannot take away your own admin role or deactivate yourself")
    before = _state(membership)
    membership.role = role
    membership.save(update_fields=["role"])
    user.email, user.is_active = email, active
    user.save(update_fields=["email", "is_active"])
    _link(org, user, faculty, student)
    after = _state(membership)
    record_change(org, actor, KIND, user, "updated", {k: [before[k], v] for k, v in after.items() if before[k] != v})


def reset_password(org: am.Organization, actor: User, membership: Membership) -> str:
    """A new generated password for the account (shown once); the change is recorded, not the password."""
    password = generated_password()
    membership.user.set_password(password)
    membership.user.save(update_fields=["password"])
    record_change(org, actor, KIND, membership.user, "password reset", {})
    return password
