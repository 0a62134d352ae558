"""People management on the pages: only organization admins make accounts and change roles, never across
organizations; role changes are recorded; passwords: shown once, changed by their owner, reset by e-mail."""

from __future__ import annotations

import re

from django.contrib.auth.models import User
from django.core import mail
from django.test import override_settings

from tests.pages.test_views import FAST_HASHING
from tests.web.support import PersonasTestCase
from timetabling.web.academics import models as am
from timetabling.web.accounts.models import Membership, Role

LOCMEM = override_settings(EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend")


@FAST_HASHING
@LOCMEM
class PeopleTests(PersonasTestCase):
    def signs_in(self, username: str, password: str) -> bool:
        """Through the sign-in page (its login throttling needs a request)."""
        self.client.logout()
        return self.client.post("/signin/", {"username": username, "password": password}).status_code == 302

    def test_an_admin_makes_a_scheduler_whose_password_is_shown_once_and_works(self) -> None:
        self.as_user(self.admin)
        response = self.client.post("/people/", {"username": "newsched", "email": "n@example.org",
                                                 "role": Role.SCHEDULER})
        html = response.content.decode()
        password = re.search(r'id="new-password">.*?<code class="code">([^<]+)</code>', html, re.S)[1]
        member = Membership.objects.get(user__username="newsched")
        assert (member.organization, member.role) == (self.org, Role.SCHEDULER)
        assert password not in self.client.get("/people/").content.decode()
        self.client.logout()
        assert self.signs_in("newsched", password)

    def test_a_role_change_and_a_link_are_recorded(self) -> None:
        self.as_user(self.admin)
        faculty = am.Faculty.objects.filter(organization=self.org, user__isnull=True).first()
        response = self.client.post(f"/people/{self.approver.pk}/", {
            "email": "", "role": Role.SCHEDULER, "active": "on", "faculty": faculty.pk, "student": ""})
        assert response.status_code == 302
        assert Membership.objects.get(user=self.approver).role == Role.SCHEDULER
        faculty.refresh_from_db()
        assert faculty.user == self.approver
        change = am.ChangeRecord.objects.get(kind="users", record_id=self.approver.pk)
        assert change.user == self.admin
        assert change.changes == {"role": ["approver", "scheduler"], "faculty": [None, faculty.code]}
        assert "approver → scheduler" in self.client.get(f"/people/{self.approver.pk}/").content.decode()

    def test_a_deactivated_account_cannot_sign_in_and_an_admin_cannot_lock_themselves_out(self) -> None:
        self.as_user(self.admin)
        self.client.post(f"/people/{self.approver.pk}/", {"email": "", "role": Role.APPROVER})
        assert not User.objects.get(pk=self.approver.pk).is_active
        response = self.client.post(f"/people/{self.admin.pk}/", {"email": "", "role": Role.SCHEDULER,
                                                                   "active": "on"})
        assert response.status_code == 400 and "your own admin role" in response.content.decode()
        assert Membership.objects.get(user=self.admin).role == Role.ORG_ADMIN

    def test_only_org_admins_manage_people_and_never_another_organizations(self) -> None:
        for user in (self.scheduler, self.approver, self.faculty_user, self.student_user):
            self.as_user(user)
            assert self.client.get("/people/").status_code == 403
            assert self.client.post("/people/", {"username": "x", "role": Role.ORG_ADMIN}).status_code == 403
            assert self.client.post(f"/people/{self.scheduler.pk}/",
                                    {"role": Role.ORG_ADMIN, "active": "on"}).status_code == 403
        assert not User.objects.filter(username="x").exists()
        assert Membership.objects.get(user=self.scheduler).role == Role.SCHEDULER
        self.as_user(self.outsider)  # an admin of another organization
        listed = self.client.get("/people/").content.decode()
        assert ">outsider</a>" in listed and ">scheduler</a>" not in listed and ">admin</a>" not in listed
        assert self.client.get(f"/people/{self.scheduler.pk}/").status_code == 404
        assert self.client.post(f"/people/{self.scheduler.pk}/", {"action": "password"}).status_code == 404
        response = self.client.post("/people/", {"username": "y", "role": Role.ORG_ADMIN})
        assert Membership.objects.get(user__username="y").organization == self.other_org, response

    def test_forgot_password_sends_a_one_time_link_that_sets_a_new_password(self) -> None:
        self.scheduler.email = "sched@example.org"
        self.scheduler.save()
        self.client.logout()
        response = self.client.post("/password-reset/", {"email": "sched@example.org"})
        assert response.status_code == 302 and len(mail.outbox) == 1
        link = re.search(r"http://testserver(/password-reset/\S+/)", mail.outbox[0].body)[1]
        form_url = self.client.get(link)["Location"]  # Django hides the token behind a redirect
        response = self.client.post(form_url, {"new_password1": "Fresh-pass-93", "new_password2": "Fresh-pass-93"})
        assert response.status_code == 302
        assert self.signs_in("scheduler", "Fresh-pass-93")
        self.client.logout()
        assert "already used" in self.client.get(link, follow=True).content.decode()

    def test_an_admin_sends_a_reset_link_and_a_user_changes_their_own_password(self) -> None:
        self.scheduler.email = "sched@example.org"
        self.scheduler.save()
        self.as_user(self.admin)
        self.client.post(f"/people/{self.scheduler.pk}/", {"action": "reset-link"})
        assert mail.outbox[0].to == ["sched@example.org"]
        self.as_user(self.scheduler)
        response = self.client.post("/account/password/", {"old_password": "pw", "new_password1": "Other-pass-71",
                                                           "new_password2": "Other-pass-71"})
        assert response.status_code == 302
        self.client.logout()
        assert self.signs_in("scheduler", "Other-pass-71")
