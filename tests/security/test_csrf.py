"""CSRF on the JSON API (issue 13): a session's writes carry the token; an API token needs none."""

from __future__ import annotations

import io
import json
from datetime import timedelta

from django.core.management import call_command
from django.test import Client, override_settings
from django.utils import timezone

from tests.web.support import (
    CALLBACK_URL,
    FAKE_CLIENT,
    FakeEngineClient,
    PersonasTestCase,
    callback_body,
    signed_headers,
)
from timetabling.web.accounts.models import ApiToken
from timetabling.web.scheduling.models import GenerationJob, JobStatus

SIBLING = "http://localhost:9000"  # another port of the same host: a sibling origin, same site


@override_settings(ENGINE_CLIENT=FAKE_CLIENT)
class CsrfTests(PersonasTestCase):
    def setUp(self) -> None:
        super().setUp()
        self.browser = Client(enforce_csrf_checks=True)
        self.job = GenerationJob.objects.create(organization=self.org, academic_year="2026-27", semester=1,
                                                status=JobStatus.RUNNING)
        self.cancel_url = f"/api/timetable/cancel/{self.job.pk}/"

    def signed_in_browser(self) -> str:
        """The scheduler signed in through the API as a browser would; returns the CSRF token to send."""
        token = self.browser.get("/api/auth/csrf/").json()["csrf_token"]
        response = self.browser.post("/api/auth/login/", {"username": "scheduler", "password": "pw"},
                                     content_type="application/json", HTTP_X_CSRFTOKEN=token)
        assert response.status_code == 200, response.content
        return response.json()["csrf_token"]

    def cancel_was_asked(self) -> bool:
        self.job.refresh_from_db()
        return bool(self.job.metadata.get("cancel_requested")) or str(self.job.pk) in FakeEngineClient.cancelled

    def test_a_session_post_without_the_token_is_refused_with_a_json_error(self) -> None:
        self.browser.force_login(self.scheduler)
        response = self.browser.post(self.cancel_url)
        assert response.status_code == 403
        body = response.json()
        assert body["success"] is False and "CSRF" in body["message"] and body["error"]["field"] == "csrf"
        assert not self.cancel_was_asked()

    def test_a_cross_origin_form_post_to_cancel_is_refused(self) -> None:
        self.browser.force_login(self.scheduler)
        plain = self.browser.post(self.cancel_url, {"reason": "x"}, HTTP_ORIGIN=SIBLING)
        assert plain.status_code == 403 and "CSRF" in plain.json()["message"]
        # even a form that knows the cookie's token (a sibling subdomain can set that cookie) fails on its Origin
        token = self.browser.get("/api/auth/csrf/").json()["csrf_token"]
        tossed = self.browser.post(self.cancel_url, {"csrfmiddlewaretoken": token}, HTTP_ORIGIN=SIBLING)
        assert tossed.status_code == 403 and "Origin" in tossed.json()["message"]
        assert not self.cancel_was_asked()

    def test_over_https_a_post_from_another_referer_is_refused(self) -> None:
        self.browser.force_login(self.scheduler)
        token = self.browser.get("/api/auth/csrf/", secure=True).json()["csrf_token"]
        response = self.browser.post(self.cancel_url, secure=True, HTTP_X_CSRFTOKEN=token,
                                     HTTP_REFERER="https://evil.example/page")
        assert response.status_code == 403 and "Referer" in response.json()["message"]
        assert not self.cancel_was_asked()

    def test_the_login_needs_the_token_and_answers_the_next_one(self) -> None:
        refused = self.browser.post("/api/auth/login/", {"username": "scheduler", "password": "pw"},
                                    content_type="application/json")
        assert refused.status_code == 403 and "CSRF" in refused.json()["message"]
        token = self.signed_in_browser()
        assert self.browser.get("/api/auth/me/").json()["username"] == "scheduler"
        response = self.browser.post(self.cancel_url, HTTP_X_CSRFTOKEN=token)
        assert response.status_code == 200, response.content
        assert self.cancel_was_asked()

    def test_a_session_post_with_the_token_works_and_so_does_the_logout(self) -> None:
        token = self.signed_in_browser()
        assert self.browser.post("/api/auth/logout/").status_code == 403  # a forged logout is refused too
        assert self.browser.post("/api/auth/logout/", HTTP_X_CSRFTOKEN=token).status_code == 200
        assert self.browser.get("/api/auth/me/").status_code == 401

    def test_an_anonymous_write_is_told_to_sign_in(self) -> None:
        response = self.browser.post(self.cancel_url)
        assert response.status_code == 401 and "sign in" in response.json()["message"]

    def test_the_engines_signed_callback_needs_no_csrf_token(self) -> None:
        raw = json.dumps(callback_body(self.job.pk, self.org)).encode()
        response = self.browser.post(CALLBACK_URL, data=raw, content_type="application/json", **signed_headers(raw))
        assert response.status_code == 200, response.content
        self.job.refresh_from_db()
        assert self.job.status == JobStatus.COMPLETED

    def test_the_openapi_description_says_how_to_authenticate(self) -> None:
        spec = self.client.get("/api/openapi.json").json()
        assert "/api/auth/csrf/" in spec["paths"]
        assert {"apiToken", "session", "csrfToken"} <= set(spec["components"]["securitySchemes"])
        assert "X-CSRFToken" in spec["info"]["description"] and "Bearer" in spec["info"]["description"]
        assert "429" in spec["paths"]["/api/auth/login/"]["post"]["responses"]


@override_settings(ENGINE_CLIENT=FAKE_CLIENT)
class ApiTokenTests(PersonasTestCase):
    def setUp(self) -> None:
        super().setUp()
        self.script = Client(enforce_csrf_checks=True)
        self.job = GenerationJob.objects.create(organization=self.org, academic_year="2026-27", semester=1,
                                                status=JobStatus.RUNNING)

    def bearer(self, token: str) -> dict[str, str]:
        return {"HTTP_AUTHORIZATION": f"Bearer {token}"}

    def test_a_bearer_token_writes_without_a_csrf_token(self) -> None:
        record, token = ApiToken.issue(self.scheduler, "nightly")
        response = self.script.post(f"/api/timetable/cancel/{self.job.pk}/", **self.bearer(token))
        assert response.status_code == 200, response.content
        assert str(self.job.pk) in FakeEngineClient.cancelled
        assert self.script.get("/api/auth/me/", **self.bearer(token)).json()["role"] == "scheduler"
        record.refresh_from_db()
        assert record.last_used_at is not None
        assert token not in (record.token_hash, record.prefix)  # only its hash is stored

    def test_the_tokens_user_keeps_its_role_and_organization(self) -> None:
        _, token = ApiToken.issue(self.faculty_user, "student script")
        assert self.script.post(f"/api/timetable/cancel/{self.job.pk}/", **self.bearer(token)).status_code == 403
        theirs = GenerationJob.objects.create(organization=self.other_org, academic_year="2026-27", semester=1,
                                              status=JobStatus.RUNNING)
        _, mine = ApiToken.issue(self.scheduler, "x")
        assert self.script.post(f"/api/timetable/cancel/{theirs.pk}/", **self.bearer(mine)).status_code == 404

    def test_a_bad_expired_or_revoked_token_answers_401(self) -> None:
        _, old = ApiToken.issue(self.scheduler, "old", expires_at=timezone.now() - timedelta(seconds=1))
        revoked, gone = ApiToken.issue(self.scheduler, "gone")
        revoked.delete()
        _, inactive = ApiToken.issue(self.approver, "left")
        self.approver.is_active = False
        self.approver.save()
        for token in ("tt_not-a-real-token", old, gone, inactive, ""):
            response = self.script.post(f"/api/timetable/cancel/{self.job.pk}/", **self.bearer(token))
            assert response.status_code == 401, token
            assert response.json()["error"]["field"] == "Authorization"
        self.job.refresh_from_db()
        assert not self.job.metadata.get("cancel_requested") and not FakeEngineClient.cancelled

    def test_a_bad_token_does_not_fall_back_to_the_session(self) -> None:
        self.script.force_login(self.scheduler)
        assert self.script.get("/api/auth/me/", **self.bearer("tt_wrong")).status_code == 401

    def test_the_management_command_prints_a_working_token(self) -> None:
        out, err = io.StringIO(), io.StringIO()
        call_command("create_api_token", "scheduler", name="import", days=30, stdout=out, stderr=err)
        token = out.getvalue().strip()
        assert token.startswith("tt_") and "not shown again" in err.getvalue()
        record = ApiToken.objects.get(name="import")
        assert record.user == self.scheduler and record.expires_at > timezone.now() + timedelta(days=29)
        assert self.script.get("/api/auth/me/", **self.bearer(token)).json()["username"] == "scheduler"

    def test_an_organization_admin_makes_a_token_in_the_admin_for_its_own_people_only(self) -> None:
        self.as_user(self.admin)
        form = self.client.get("/admin/accounts/apitoken/add/")
        choices = set(form.context["adminform"].form.fields["user"].queryset)
        assert self.scheduler in choices and self.outsider not in choices
        response = self.client.post("/admin/accounts/apitoken/add/", {"user": self.scheduler.pk, "name": "sync"},
                                    follow=True)
        shown = [str(m) for m in response.context["messages"]]
        token = next(word for m in shown for word in m.split() if word.startswith("tt_"))
        assert self.script.get("/api/auth/me/", **self.bearer(token)).json()["username"] == "scheduler"
        refused = self.client.post("/admin/accounts/apitoken/add/", {"user": self.outsider.pk, "name": "steal"})
        assert refused.status_code == 200 and not ApiToken.objects.filter(name="steal").exists()

    def test_a_scheduler_cannot_make_tokens_in_the_admin(self) -> None:
        self.as_user(self.scheduler)
        response = self.client.post("/admin/accounts/apitoken/add/", {"user": self.admin.pk, "name": "become admin"})
        assert response.status_code == 403
        assert not ApiToken.objects.exists()
