"""What people are told: a notification in the site per user, each user's choice per kind, and the queue of
e-mails to send (kept until the mail server took them), plus the publications whose changes are still to be
told to the people concerned."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class Kind(models.TextChoices):
    JOB_COMPLETED = "job_completed", "A generation I started finished"
    JOB_FAILED = "job_failed", "A generation I started failed"
    JOB_CANCELLED = "job_cancelled", "A generation I started was cancelled"
    APPROVAL_REQUESTED = "approval_requested", "A timetable waits for my approval"
    TIMETABLE_CHANGED = "timetable_changed", "My timetable was published or changed"


class Notification(models.Model):
    """One message in a user's notification list."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications")
    kind = models.CharField(max_length=30, choices=Kind.choices)
    title = models.CharField(max_length=200)
    body = models.TextField(blank=True)
    link = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ("-created_at", "-id")
        indexes = [models.Index(fields=["user", "read_at"], name="notification_user_unread")]

    def __str__(self) -> str:
        return f"{self.user}: {self.title}"


class NotificationPreference(models.Model):
    """A user's choice for one kind; no row means both on."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                             related_name="notification_preferences")
    kind = models.CharField(max_length=30, choices=Kind.choices)
    in_app = models.BooleanField(default=True)
    email = models.BooleanField(default=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "kind"], name="one_preference_per_user_and_kind")]

    def __str__(self) -> str:
        return f"{self.user} {self.kind}: in app {self.in_app}, e-mail {self.email}"


class MailStatus(models.TextChoices):
    PENDING = "pending"
    SENT = "sent"


class OutgoingMail(models.Model):
    """One e-mail to one address. A failed attempt keeps it pending with the error and the next try (backoff):
    nothing is dropped because a mail server was down or refused it."""

    to = models.CharField(max_length=254)
    subject = models.CharField(max_length=250)
    body = models.TextField()
    kind = models.CharField(max_length=30, choices=Kind.choices, blank=True)
    status = models.CharField(max_length=10, choices=MailStatus.choices, default=MailStatus.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)
    next_attempt = models.DateTimeField(db_index=True)
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ("-created_at", "-id")
        verbose_name = "outgoing e-mail"

    def __str__(self) -> str:
        return f"{self.subject} -> {self.to} ({self.status})"


class ChangeNotice(models.Model):
    """A publication whose changes are still to be told to the faculty and students concerned: written in the
    publishing transaction, worked out later (the diff takes seconds at scale) by the outbox worker."""

    timetable = models.ForeignKey("scheduling.Timetable", on_delete=models.CASCADE, related_name="+")
    previous = models.ForeignKey("scheduling.Timetable", null=True, blank=True, on_delete=models.SET_NULL,
                                 related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    done_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    error = models.TextField(blank=True)

    class Meta:
        ordering = ("id",)

    def __str__(self) -> str:
        return f"changes of timetable {self.timetable_id} (from {self.previous_id})"
