"""The JSON API on django-ninja (issue 15): the attacker's view of its auth (``credentials.Member``), its error
shape and the checks ninja does not make itself (media type, nesting, NUL, 405, ids no row can have)."""

from __future__ import annotations

import json

from django.contrib.auth.models import User
from django.test import Client, override_settings

from tests.web.support import FAKE_CLIENT, PersonasTestCase
from timetabling.web.accounts.models import ApiToken
from timetabling.web.scheduling.models import GenerationJob, JobStatus, Timetable, TimetableStatus

T = "/api/timetable"


def error_of(response) -> dict:
    """The error body, after checking its shape: ``{success: false, message, error: {field, reason}}``."""
    body = response.json()
    assert body["success"] is False and body["message"] and set(body["error"]) == {"field", "reason"}, body
    return body


@override_settings(ENGINE_CLIENT=FAKE_CLIENT)
class ApiAuthTests(PersonasTestCase):
    def setUp(self) -> None:
        super().setUp()
        self.theirs = Timetable.objects.create(organization=self.other_org, name="Theirs", academic_year="2026-27",
                                               semester=1, status=TimetableStatus.DRAFT)
        self.their_job = GenerationJob.objects.create(organization=self.other_org, academic_year="2026-27",
                                                      semester=1, status=JobStatus.COMPLETED)
        self.mine = Timetable.objects.create(organization=self.org, name="Mine", academic_year="2026-27",
                                             semester=1, status=TimetableStatus.DRAFT)

    def test_another_organizations_records_answer_404_as_if_they_did_not_exist(self) -> None:
        self.as_user(self.admin)
        reads = [f"{T}/drafts/{self.theirs.pk}/", f"{T}/result/{self.their_job.pk}/",
                 f"{T}/result/{self.their_job.pk}/download/", f"{T}/status/{self.their_job.pk}/",
                 f"{T}/diff/{self.mine.pk}/{self.theirs.pk}/"]
        for url in reads:
            response = self.client.get(url)
            assert response.status_code == 404, (url, response.status_code)
            error_of(response)
        writes = [(f"{T}/timetables/{self.theirs.pk}/draft/", {}), (f"{T}/timetables/{self.theirs.pk}/publish/", {}),
                  (f"{T}/drafts/{self.theirs.pk}/undo/", {}), (f"{T}/cancel/{self.their_job.pk}/", {}),
                  (f"{T}/approve/{self.their_job.pk}/", {"action": "approve"})]
        for url, body in writes:
            response = self.post_json(url, body)
            assert response.status_code == 404, (url, response.status_code, response.content)
        self.theirs.refresh_from_db()
        assert self.theirs.status == TimetableStatus.DRAFT
        assert Timetable.objects.filter(organization=self.org).count() == 1  # no draft was copied over

    def test_no_credentials_answer_401_and_no_organization_403(self) -> None:
        self.as_user(None)
        for method, url in (("get", "/api/auth/me/"), ("get", f"{T}/jobs/"), ("get", "/api/academics/rooms/"),
                            ("post", f"{T}/generate/"), ("post", f"{T}/drafts/{self.mine.pk}/edits/")):
            response = getattr(self.client, method)(url, content_type="application/json")
            assert response.status_code == 401, (url, response.status_code)
            assert error_of(response)["message"] == "sign in first"
        self.as_user(User.objects.create_user("loner", password="pw"))
        response = self.client.get(f"{T}/jobs/")
        assert response.status_code == 403 and "no organization" in error_of(response)["message"]

    def test_a_role_without_the_right_answers_403_before_the_body_is_read(self) -> None:
        self.as_user(self.faculty_user)
        for url in (f"{T}/generate/", f"{T}/drafts/{self.mine.pk}/edits/", f"{T}/timetables/{self.mine.pk}/publish/"):
            response = self.client.post(url, data=b"not json", content_type="application/json")
            assert response.status_code == 403, (url, response.status_code)
            assert "role" in error_of(response)["message"]
        assert self.client.get(f"{T}/jobs/").status_code == 403

    def test_session_writes_without_the_csrf_token_are_403_and_change_nothing(self) -> None:
        browser = Client(enforce_csrf_checks=True)
        browser.force_login(self.scheduler)
        for url, body in ((f"{T}/timetables/{self.mine.pk}/draft/", {}), (f"{T}/drafts/{self.mine.pk}/undo/", {}),
                          (f"{T}/priorities/", {"name": "mine", "weights": {}}),
                          ("/api/auth/logout/", {})):
            response = browser.post(url, data=json.dumps(body), content_type="application/json")
            assert response.status_code == 403, (url, response.status_code, response.content)
            assert error_of(response)["error"]["field"] == "csrf"
        assert Timetable.objects.filter(organization=self.org).count() == 1
        assert browser.get("/api/auth/me/").status_code == 200  # still signed in: the logout was refused too
        # a login without the token is refused as well (a login CSRF would sign the victim into our account)
        anonymous = Client(enforce_csrf_checks=True)
        response = anonymous.post("/api/auth/login/", data=json.dumps({"username": "scheduler", "password": "pw"}),
                                  content_type="application/json")
        assert response.status_code == 403 and error_of(response)["error"]["field"] == "csrf"

    def test_a_bearer_token_needs_no_csrf_and_a_bad_one_is_401_everywhere(self) -> None:
        _, token = ApiToken.issue(self.scheduler, "script")
        script = Client(enforce_csrf_checks=True)
        made = script.post(f"{T}/timetables/{self.mine.pk}/draft/", HTTP_AUTHORIZATION=f"Bearer {token}")
        assert made.status_code == 200 and made.json()["success"] is True, made.content
        for method, url in (("get", "/api/auth/csrf/"), ("post", "/api/auth/logout/"), ("get", f"{T}/jobs/")):
            response = getattr(script, method)(url, HTTP_AUTHORIZATION="Bearer tt_forged")
            assert response.status_code == 401, (url, response.status_code)
            assert error_of(response)["error"]["field"] == "Authorization"


class ApiInputTests(PersonasTestCase):
    def test_wrong_method_is_a_json_405_naming_the_allowed_ones(self) -> None:
        self.as_user(self.scheduler)
        response = self.client.put(f"{T}/generate/")
        assert response.status_code == 405 and "POST" in error_of(response)["message"]
        response = self.client.delete(f"{T}/priorities/")
        assert response.status_code == 405 and {"GET", "POST"} <= set(error_of(response)["message"].replace(
            ",", " ").replace(")", " ").split())

    def test_bodies_that_are_not_a_json_object_are_refused_naming_the_body(self) -> None:
        self.as_user(self.scheduler)
        url = f"{T}/generate/"
        assert error_of(self.client.post(url, data="a=1", content_type="text/plain"))["error"]["field"] == "body"
        assert self.client.post(url, data="a=1", content_type="text/plain").status_code == 415
        for raw in (b"[1, 2]", b"{", b"[" * 40 + b"]" * 40, b'"just text"'):
            response = self.client.post(url, data=raw, content_type="application/json")
            assert response.status_code == 400, (raw[:20], response.status_code)
            assert error_of(response)["error"]["field"] == "body"
        nul = self.post_json(url, {"academic_year": "2026\x00-27", "semester": 1, "university_id": self.org.pk})
        assert nul.status_code == 400 and error_of(nul)["error"]["field"] == "academic_year"

    def test_validation_errors_name_the_field_and_list_them_all(self) -> None:
        self.as_user(self.scheduler)
        response = self.post_json(f"{T}/generate/", {"academic_year": "soon", "semester": 99,
                                                     "university_id": self.org.pk, "surprise": 1})
        body = error_of(response)
        assert response.status_code == 400
        assert {e["field"] for e in body["errors"]} == {"academic_year", "semester", "surprise"}
        assert body["message"].startswith(body["error"]["field"] + ": ")

    def test_ids_no_row_can_have_and_unknown_kinds_in_paths_are_404(self) -> None:
        self.as_user(self.admin)
        for url in (f"{T}/drafts/{2**63}/", f"{T}/drafts/0/", f"{T}/diff/1/{10**30}/", "/api/academics/rooms/0/",
                    f"/api/academics/rooms/{2**64}/", "/api/academics/planets/", f"{T}/planet/{self.teacher.pk}/"):
            response = self.client.get(url)
            assert response.status_code == 404, (url, response.status_code)
            error_of(response)

    def test_query_strings_are_validated_by_their_schema(self) -> None:
        self.as_user(self.admin)
        response = self.client.get(f"{T}/timetables/", {"status": "lost"})
        assert response.status_code == 400 and error_of(response)["error"]["field"] == "status"
        assert self.client.get(f"{T}/timetables/", {"status": "draft"}).json()["success"] is True
        response = self.client.get("/api/academics/rooms/", {"page_size": 501})
        assert response.status_code == 400 and error_of(response)["error"]["field"] == "page_size"

    def test_the_openapi_description_is_ninjas_with_the_query_schemas_and_the_error_shape(self) -> None:
        spec = self.client.get("/api/openapi.json").json()
        params = {p["name"]: p for p in spec["paths"][f"{T}/result/{{job_id}}/"]["get"]["parameters"]}
        assert params["page_size"]["in"] == "query" and params["page_size"]["schema"]["maximum"] == 5000
        assert params["kind"]["schema"]["anyOf"][0]["enum"] == ["batch", "faculty", "room", "student"]
        assert params["job_id"]["in"] == "path" and params["job_id"]["required"] is True
        edit = spec["paths"][f"{T}/drafts/{{timetable_id}}/edits/"]["post"]
        assert {"400", "401", "403", "404", "409", "413", "415"} <= set(edit["responses"])
        assert "422" not in edit["responses"]  # ninja's default: this API answers 400
        assert spec["components"]["schemas"]["Error"]["properties"]["error"]["properties"]["field"]
        callback = spec["paths"]["/api/academics/timetable/fastapi_callback/"]["post"]
        assert callback["requestBody"]["content"]["application/json"]["schema"]["$ref"].endswith("CallbackRequest")
        assert "CallbackRequest" in spec["components"]["schemas"]
