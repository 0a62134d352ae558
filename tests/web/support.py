"""Django for the web tests: settings, a test database for the session, personas and fakes."""

from __future__ import annotations

import os
from typing import Any, ClassVar

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "timetabling.web.settings")

import django

django.setup()

from django.conf import settings  # noqa: E402

settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # fast sign-ins for tests
settings.ENGINE_RETRY_THREAD = False  # jobs waiting for the engine are retried by the tests themselves
settings.NOTIFICATION_THREAD = False  # queued e-mails are sent by the tests themselves (notifications.outbox)

from django.contrib.auth.models import User  # noqa: E402
from django.test import TestCase  # noqa: E402

from timetabling.engine.generator import generate_university  # noqa: E402
from timetabling.web.academics import models as am  # noqa: E402
from timetabling.web.academics.instance import import_instance  # noqa: E402
from timetabling.web.accounts.models import Membership, Role  # noqa: E402

CALLBACK_URL = "/api/academics/timetable/fastapi_callback/"


class FakeEngineClient:
    """Records what the web backend sends to the engine service; ``fail`` makes it unreachable."""

    submitted: ClassVar[list[dict[str, Any]]] = []
    cancelled: ClassVar[list[str]] = []
    fail: ClassVar[bool] = False
    fail_cancel: ClassVar[bool] = False

    def submit(self, payload: dict[str, Any]) -> dict[str, Any]:
        from timetabling.web.scheduling.engine_client import EngineUnavailable

        if FakeEngineClient.fail:
            raise EngineUnavailable("connection refused")
        FakeEngineClient.submitted.append(payload)
        return {"job_id": payload["job_id"], "status": "queued"}

    def cancel(self, job_id: str) -> dict[str, Any]:
        from timetabling.web.scheduling.engine_client import EngineUnavailable

        if FakeEngineClient.fail_cancel:
            raise EngineUnavailable("connection refused")
        FakeEngineClient.cancelled.append(job_id)
        return {"job_id": job_id, "status": "cancelling"}

    @classmethod
    def reset(cls) -> None:
        cls.submitted.clear()
        cls.cancelled.clear()
        cls.fail = False


FAKE_CLIENT = "tests.web.support.FakeEngineClient"


def make_organization(slug: str, profile: str = "tiny") -> am.Organization:
    org = am.Organization.objects.create(name=slug.title(), slug=slug)
    import_instance(org, generate_university(profile, 0))
    return org


def make_user(org: am.Organization, username: str, role: Role) -> User:
    user = User.objects.create_user(username, password="pw", is_staff=role in (Role.ORG_ADMIN, Role.SCHEDULER))
    Membership.objects.create(user=user, organization=org, role=role)
    return user


class PersonasTestCase(TestCase):
    """An organization with every role, and an outsider who runs another organization."""

    @classmethod
    def setUpTestData(cls) -> None:
        cls.org = make_organization("alpha")
        cls.other_org = make_organization("beta")
        cls.admin = make_user(cls.org, "admin", Role.ORG_ADMIN)
        cls.scheduler = make_user(cls.org, "scheduler", Role.SCHEDULER)
        cls.approver = make_user(cls.org, "approver", Role.APPROVER)
        cls.faculty_user = make_user(cls.org, "teacher", Role.FACULTY)
        cls.student_user = make_user(cls.org, "pupil", Role.STUDENT)
        cls.outsider = make_user(cls.other_org, "outsider", Role.ORG_ADMIN)
        cls.teacher = am.Faculty.objects.filter(organization=cls.org).order_by("code").first()
        cls.teacher.user = cls.faculty_user
        cls.teacher.save()
        cls.pupil = am.Student.objects.filter(organization=cls.org, batch__isnull=False).order_by("code").first()
        cls.pupil.user = cls.student_user
        cls.pupil.save()

    def setUp(self) -> None:
        FakeEngineClient.reset()

    def as_user(self, user: User | None) -> None:
        self.client.logout()
        if user is not None:
            self.client.force_login(user)

    def post_json(self, url: str, data: Any, **extra: Any):
        return self.client.post(url, data=data, content_type="application/json", **extra)


def placed_entries(org: am.Organization) -> list[dict[str, Any]]:
    """Every session of every course of ``org`` at some slot (not a valid timetable; for storage tests)."""
    room = am.Room.objects.filter(organization=org).order_by("code").first()
    entries = []
    for i, course in enumerate(am.Course.objects.filter(organization=org).order_by("code")):
        for s in range(course.sessions_per_week):
            entries.append({"course": course.code, "session": s, "day": s % 5, "period": i % 3, "room": room.code})
    return entries


def callback_body(job_id: Any, org: am.Organization, status: str = "completed", names=("Balanced", "Faculty-focused"),
                  scores=(80.0, 60.0)) -> dict[str, Any]:
    entries = placed_entries(org)
    return {
        "job_id": str(job_id), "status": status, "generation_time": 1.5,
        "variants": [{"name": n, "entries": entries, "score": s, "metrics": {"hard_violations": 0}}
                     for n, s in zip(names, scores, strict=True)] if status == "completed" else [],
        "comparison": [{"name": n, "score": s} for n, s in zip(names, scores, strict=True)],
    }


def signed_headers(body: bytes) -> dict[str, str]:
    from django.conf import settings

    from timetabling.service.signing import sign

    return {"HTTP_X_ENGINE_SIGNATURE": sign(body, settings.ENGINE_SHARED_SECRET)}
