"""``/api/health/``: minimal for anyone; ``?detail=1`` shows the doctor's web checks to organization admins."""

from __future__ import annotations

from django.test import override_settings

from tests.web.support import PersonasTestCase


@override_settings(ENGINE_URL="http://127.0.0.1:9")  # nothing listens there: the engine check fails, fast
class HealthDetailTests(PersonasTestCase):
    def test_anonymous_health_says_only_that_the_web_backend_is_up(self) -> None:
        assert self.client.get("/api/health/").json() == {"service": "web", "status": "ok"}

    def test_the_detail_is_for_organization_admins_only(self) -> None:
        assert self.client.get("/api/health/?detail=1").status_code == 401
        for user in (self.scheduler, self.approver, self.faculty_user):
            self.as_user(user)
            assert self.client.get("/api/health/?detail=1").status_code == 403

    def test_an_admin_sees_each_check_with_its_fix(self) -> None:
        self.as_user(self.admin)
        body = self.client.get("/api/health/?detail=1").json()
        checks = {c["name"]: c for c in body["checks"]}
        assert checks["database"]["ok"] and checks["migrations"]["ok"] and checks["organization"]["ok"]
        engine = checks["engine service"]
        assert engine["ok"] is False and "TIMETABLE_ENGINE_URL" in engine["fix"]
        assert body["status"] == "problems" and body["problems"] >= 1
