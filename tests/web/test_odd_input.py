"""Nothing a client sends gives a 500: odd ids, odd bodies, odd query strings on every endpoint."""

from __future__ import annotations

import uuid

from django.test import override_settings

from tests.web.support import FAKE_CLIENT, PersonasTestCase

HUGE = 10**30


@override_settings(ENGINE_CLIENT=FAKE_CLIENT)
class OddInputTests(PersonasTestCase):
    def test_odd_ids_and_query_strings_are_never_a_server_error(self) -> None:
        self.as_user(self.admin)
        job = uuid.uuid4()
        urls = [
            f"/api/academics/batches/{HUGE}/", "/api/academics/rooms/?page=" + str(HUGE),
            "/api/academics/rooms/?page_size=-1",
            f"/api/timetable/batch/{HUGE}/", f"/api/timetable/faculty/{self.teacher.pk}/?timetable_id={HUGE}",
            f"/api/timetable/status/{job}/", "/api/timetable/result/%20/", "/api/timetable/timetables/?status=x",
        ]
        for url in urls:
            response = self.client.get(url)
            assert 400 <= response.status_code < 500, (url, response.status_code)
            assert response.json()["success"] is False
        assert self.client.get("/api/academics/rooms/?search=%00%27%22").json()["count"] == 0

    def test_odd_bodies_are_400s(self) -> None:
        self.as_user(self.admin)
        bodies = [
            {"academic_year": "2026-27", "semester": 1, "university_id": HUGE},
            {"academic_year": "2026-27", "semester": 1, "university_id": self.org.pk, "department_ids": [HUGE]},
            {"academic_year": "2026-27", "semester": 1, "university_id": self.org.pk, "batch_ids": ["x"]},
            {"academic_year": ["2026"], "semester": "one", "university_id": None},
            {"academic_year": "2026-27", "semester": 1e308, "university_id": self.org.pk},
        ]
        for body in bodies:
            response = self.post_json("/api/timetable/generate/", body)
            assert response.status_code == 400, (body, response.content)
        response = self.post_json(f"/api/timetable/approve/{uuid.uuid4()}/", {"action": "approve",
                                                                            "timetable_id": HUGE})
        assert response.status_code in (400, 404)
        assert self.client.post("/api/timetable/generate/", data=b"\xff\xfe", content_type="application/json"
                                ).status_code == 400
        nul = self.post_json("/api/auth/login/", {"username": "a\x00b", "password": "pw"})
        assert nul.status_code == 400 and nul.json()["error"]["field"] == "username"


class AuthTests(PersonasTestCase):
    def test_sign_in_who_am_i_and_sign_out(self) -> None:
        ok = self.post_json("/api/auth/login/", {"username": "scheduler", "password": "pw"})
        assert ok.status_code == 200
        me = self.client.get("/api/auth/me/").json()
        assert me["role"] == "scheduler" and me["organization"]["id"] == self.org.pk
        assert self.post_json("/api/auth/logout/", {}).status_code == 200
        assert self.client.get("/api/auth/me/").status_code == 401

    def test_a_wrong_password_or_a_missing_field_is_refused(self) -> None:
        wrong = self.post_json("/api/auth/login/", {"username": "scheduler", "password": "nope"})
        assert wrong.status_code == 401 and wrong.json()["error"]["field"] == "password"
        missing = self.post_json("/api/auth/login/", {"username": "scheduler"})
        assert missing.status_code == 400 and missing.json()["error"]["field"] == "password"
