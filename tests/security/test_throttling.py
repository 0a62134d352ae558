"""Login throttling per account and per address, on the API, the sign-in page and the admin; password rules."""

from __future__ import annotations

from datetime import timedelta

from axes.models import AccessAttempt
from django.conf import settings
from django.contrib.auth import password_validation
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.test import override_settings

from tests.web.support import PersonasTestCase
from timetabling.engine.generator import generate_university
from timetabling.web.academics.demo import seed_organization

LIMIT = 3
OTHER_ADDRESS = "203.0.113.7"


@override_settings(AXES_FAILURE_LIMIT=LIMIT, AXES_COOLOFF_TIME=timedelta(seconds=300))
class ThrottlingTests(PersonasTestCase):
    def api_login(self, username: str, password: str, address: str = "127.0.0.1"):
        return self.client.post("/api/auth/login/", {"username": username, "password": password},
                                content_type="application/json", REMOTE_ADDR=address)

    def fail_until_throttled(self, username: str = "scheduler", address: str = "127.0.0.1"):
        for _ in range(LIMIT - 1):
            assert self.api_login(username, "wrong", address).status_code == 401
        return self.api_login(username, "wrong", address)

    def test_repeated_wrong_logins_answer_429_with_the_wait(self) -> None:
        response = self.fail_until_throttled()
        assert response.status_code == 429
        body = response.json()
        assert body["message"] == "too many failed sign-ins; try again in 300 s"
        assert body["retry_after"] == 300 and response["Retry-After"] == "300"
        # the right password does not get through either, until the wait is over
        assert self.api_login("scheduler", "pw").status_code == 429
        assert self.client.get("/api/auth/me/").status_code == 401

    def test_the_address_is_throttled_for_other_accounts_too(self) -> None:
        self.fail_until_throttled("scheduler")
        assert self.api_login("approver", "pw").status_code == 429

    def test_the_account_is_throttled_from_other_addresses_too(self) -> None:
        self.fail_until_throttled("scheduler")
        assert self.api_login("scheduler", "pw", address=OTHER_ADDRESS).status_code == 429

    def test_other_accounts_from_other_addresses_still_sign_in(self) -> None:
        self.fail_until_throttled("scheduler")
        response = self.api_login("approver", "pw", address=OTHER_ADDRESS)
        assert response.status_code == 200 and response.json()["username"] == "approver"

    def test_below_the_limit_a_right_password_signs_in(self) -> None:
        for _ in range(LIMIT - 1):
            assert self.api_login("scheduler", "wrong").status_code == 401
        assert self.api_login("scheduler", "pw").status_code == 200

    def test_after_the_wait_a_sign_in_works_again(self) -> None:
        self.fail_until_throttled()
        AccessAttempt.objects.update(attempt_time=AccessAttempt.objects.get().attempt_time - timedelta(seconds=301))
        assert self.api_login("scheduler", "pw").status_code == 200

    def test_the_admin_login_is_throttled(self) -> None:
        for _ in range(LIMIT - 1):
            page = self.client.post("/admin/login/", {"username": "admin", "password": "wrong"})
            assert page.status_code == 200 and "correct username and password" in page.content.decode()
        page = self.client.post("/admin/login/", {"username": "admin", "password": "wrong"})
        assert page.status_code == 429
        assert "too many failed sign-ins; try again in 300 s" in page.content.decode()
        assert self.client.post("/admin/login/", {"username": "admin", "password": "pw"}).status_code == 429
        assert self.client.get("/admin/").status_code == 302  # not signed in

    def test_the_sign_in_page_is_throttled_and_shares_the_count_with_the_api(self) -> None:
        for _ in range(LIMIT - 1):
            assert self.api_login("admin", "wrong").status_code == 401
        page = self.client.post("/signin/", {"username": "admin", "password": "wrong"})
        assert page.status_code == 429 and "try again in" in page.content.decode()


class PasswordRuleTests(PersonasTestCase):
    def test_short_common_and_numeric_passwords_are_refused(self) -> None:
        assert len(settings.AUTH_PASSWORD_VALIDATORS) == 4
        for weak in ("pw", "password", "12345678901", "scheduler1"):
            with self.assertRaises(ValidationError, msg=weak):
                password_validation.validate_password(weak, User(username="scheduler1"))
        password_validation.validate_password("Quiet-Harbour-7241", User(username="scheduler1"))

    def test_the_demo_admins_generated_password_passes_the_rules(self) -> None:
        seeded = seed_organization(generate_university("tiny", 0), slug="demo", admin_username="demo-admin")
        password_validation.validate_password(seeded.password, User.objects.get(username="demo-admin"))
        assert self.client.post("/api/auth/login/", {"username": "demo-admin", "password": seeded.password},
                                content_type="application/json").status_code == 200
