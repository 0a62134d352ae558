"""A user belongs to one organization with one role; the role decides what the user may do there."""

from __future__ import annotations

from django.conf import settings
from django.db import models

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
