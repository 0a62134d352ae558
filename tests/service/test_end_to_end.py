"""End to end through real HTTP: the Django API -> the engine service -> the signed callback -> review.

Both servers run in this process on free ports: Django's live test server (its test database) and the
FastAPI engine service under uvicorn (thread runner, tiny instance, a short time limit)."""

from __future__ import annotations

import socket
import threading
import time

import httpx
import uvicorn
from django.test import LiveServerTestCase, override_settings

from tests.web.support import CALLBACK_URL, make_organization, make_user
from timetabling.engine.checker import check
from timetabling.engine.model import Assignment, Solution
from timetabling.service.app import create_app
from timetabling.service.settings import ServiceSettings
from timetabling.web.academics import models as am
from timetabling.web.academics.instance import build_instance
from timetabling.web.accounts.models import Role


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class EndToEndTests(LiveServerTestCase):
    def setUp(self) -> None:
        from django.conf import settings

        port = free_port()
        config = ServiceSettings(callback_url=self.live_server_url + CALLBACK_URL, runner="thread", solver_workers=1,
                                 shared_secret=settings.ENGINE_SHARED_SECRET, progress_interval_s=0.2)
        self.engine = uvicorn.Server(uvicorn.Config(create_app(config), host="127.0.0.1", port=port,
                                                    log_level="warning"))
        self.engine_thread = threading.Thread(target=self.engine.run, daemon=True)
        self.engine_thread.start()
        deadline = time.monotonic() + 20
        while not self.engine.started and time.monotonic() < deadline:
            time.sleep(0.05)
        assert self.engine.started, "the engine service did not start"
        self.engine_url = f"http://127.0.0.1:{port}"
        self.org = make_organization("e2e")
        make_user(self.org, "boss", Role.ORG_ADMIN)

    def tearDown(self) -> None:
        self.engine.should_exit = True
        self.engine_thread.join(timeout=10)

    def test_generate_complete_check_approve_and_read_published_timetables(self) -> None:
        with override_settings(ENGINE_URL=self.engine_url), httpx.Client(base_url=self.live_server_url,
                                                                          timeout=30) as web:
            web.headers["X-CSRFToken"] = web.get("/api/auth/csrf/").json()["csrf_token"]  # a session's writes
            signed_in = web.post("/api/auth/login/", json={"username": "boss", "password": "pw"})
            assert signed_in.status_code == 200, signed_in.text
            web.headers["X-CSRFToken"] = signed_in.json()["csrf_token"]
            started = web.post("/api/timetable/generate/", json={
                "academic_year": "2026-27", "semester": 1, "university_id": self.org.pk,
                "variants": ["Balanced", "Faculty-focused"], "time_limit": 2,
            })
            assert started.status_code == 200, started.text
            job_id = started.json()["job_id"]

            seen = []
            deadline = time.monotonic() + 120
            while time.monotonic() < deadline:
                progress = web.get(f"/api/timetable/progress/{job_id}/").json()
                seen.append(progress["progress"])
                if progress["status"] in ("completed", "failed", "cancelled"):
                    break
                time.sleep(0.2)
            assert progress["status"] == "completed", progress
            assert seen == sorted(seen) and seen[-1] == 100

            result = web.get(f"/api/timetable/result/{job_id}/download/").json()
            assert [t["name"] for t in result["timetables"]] == ["Balanced", "Faculty-focused"]
            instance = build_instance(self.org)
            for timetable in result["timetables"]:
                placed = {(s["course"]["code"], s["session"]): s for s in timetable["slots"]}
                assert len(placed) == instance.n_sessions, timetable["name"]
                solution = Solution(assignments=tuple(
                    Assignment(course=c, session=k, day=s["day"], period=s["period"],
                               room=s["room"]["code"] if s["room"] else None)
                    for (c, k), s in placed.items()
                ))
                assert check(instance, solution).hard_total == 0, timetable["name"]

            approved = web.post(f"/api/timetable/approve/{job_id}/", json={"action": "approve", "comments": "fine"})
            assert approved.status_code == 200, approved.text
            published_id = approved.json()["timetable_id"]

            batch = am.Batch.objects.filter(organization=self.org, courses__isnull=False).first()
            teacher = am.Faculty.objects.filter(organization=self.org, courses__isnull=False).first()
            for kind, owner in (("batch", batch), ("faculty", teacher)):
                served = web.get(f"/api/timetable/{kind}/{owner.pk}/").json()
                assert served["timetable"]["id"] == published_id and served["timetable"]["status"] == "published"
                expected = sum(c.sessions_per_week for c in owner.courses.all())
                assert len({(s["course"]["id"], s["session"]) for s in served["slots"]}) == expected, kind
