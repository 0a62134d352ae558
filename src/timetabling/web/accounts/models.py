"""A user belongs to one organization with one role; the role decides what the user may do there."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime
from typing import Any

from django.conf import settings
from django.db import models
from django.utils import timezone

from timetabling.web.academics.models import Organization


class Role(models.TextChoices):
    ORG_ADMIN = "org_admin", "Organization admin"
    SCHEDULER = "scheduler", "Scheduler"
    APPROVER = "approver", "Approver"
    FACULTY = "faculty", "Faculty"
    STUDENT = "student", "Student"


# what each role may do; checked by the API and the admin
STAFF_ROLES = frozenset({Role.ORG_ADMIN, Role.SCHEDULER, Role.APPROVER})
CAN_GENERATE = frozenset({Role.ORG_ADMIN, Role.SCHEDULER})
CAN_APPROVE = frozenset({Role.ORG_ADMIN, Role.APPROVER})
CAN_EDIT_DATA = frozenset({Role.ORG_ADMIN, Role.SCHEDULER})


class Membership(models.Model):
    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="membership")
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=20, choices=Role.choices)

    def __str__(self) -> str:
        return f"{self.user} ({self.get_role_display()}, {self.organization})"

    @property
    def is_staff_role(self) -> bool:
        return self.role in STAFF_ROLES


def membership_of(user: Any) -> Membership | None:
    """The user's membership, its organization loaded; None for a visitor or an account of no organization.
    The one lookup the pages and the API both use."""
    if not getattr(user, "is_authenticated", False):
        return None
    return Membership.objects.select_related("organization").filter(user=user).first()


TOKEN_PREFIX = "tt_"


def hash_token(token: str) -> str:
    """A token is 32 random bytes: a plain SHA-256 is enough (no salt, no slow hash), and it can be looked up."""
    return hashlib.sha256(token.encode()).hexdigest()


class ApiToken(models.Model):
    """A credential for scripts and API clients that have no session: ``Authorization: Bearer <token>``.
    Only its hash is stored; the token itself is shown once, when it is made."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=100, help_text="what it is for, e.g. 'nightly import'")
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    prefix = models.CharField(max_length=12, editable=False, help_text="the token's first characters")
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True, editable=False)
    expires_at = models.DateTimeField(null=True, blank=True, help_text="empty: until it is deleted")

    class Meta:
        ordering = ("-created_at",)
        verbose_name = "API token"

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…, {self.user})"

    def assign_new_token(self) -> str:
        """Give this (unsaved) record a fresh token; returns its text, which nothing can show again."""
        token = TOKEN_PREFIX + secrets.token_urlsafe(32)
        self.token_hash, self.prefix = hash_token(token), token[:8]
        return token

    @classmethod
    def issue(cls, user: Any, name: str, expires_at: datetime | None = None) -> tuple[ApiToken, str]:
        """A new token for ``user``: the stored record and the token text."""
        record = cls(user=user, name=name, expires_at=expires_at)
        token = record.assign_new_token()
        record.save()
        return record, token

    @classmethod
    def user_for(cls, token: str) -> Any | None:
        """The active user this unexpired token belongs to, else None. Notes the use (at most once a minute)."""
        record = cls.objects.select_related("user").filter(token_hash=hash_token(token)).first()
        now = timezone.now()
        if record is None or not record.user.is_active or (record.expires_at and record.expires_at <= now):
            return None
        if record.last_used_at is None or (now - record.last_used_at).total_seconds() > 60:
            cls.objects.filter(pk=record.pk).update(last_used_at=now)
        return record.user
