"""The admin's escalation paths (issue 13): roles, memberships and the publication workflow cannot be bypassed."""

from __future__ import annotations

from datetime import time, timedelta

from django.contrib.auth.models import User
from django.db import IntegrityError, connection, transaction
from django.db.migrations.executor import MigrationExecutor
from django.test import TransactionTestCase, override_settings

from tests.web.support import FAKE_CLIENT, PersonasTestCase
from timetabling.web.academics import models as am
from timetabling.web.accounts.models import Membership, Role
from timetabling.web.scheduling import services
from timetabling.web.scheduling.models import GenerationJob, JobStatus, Timetable, TimetableSlot, TimetableStatus

MEMBERSHIPS = "/admin/accounts/membership/"
STRONG = "Quiet-Harbour-7241"


def timetable(org: am.Organization, status: str = TimetableStatus.DRAFT, name: str = "Balanced",
              job: GenerationJob | None = None) -> Timetable:
    return Timetable.objects.create(organization=org, name=name, academic_year="2026-27", semester=1, status=status,
                                    is_active=status == TimetableStatus.PUBLISHED, generation_job=job)


def slot(of: Timetable) -> TimetableSlot:
    course = am.Course.objects.filter(organization=of.organization).order_by("code").first()
    return TimetableSlot.objects.create(timetable=of, day=0, period=0, start_time=time(9), end_time=time(10),
                                        course=course)


class MembershipAdminTests(PersonasTestCase):
    def membership(self, user: User) -> Membership:
        return Membership.objects.get(user=user)

    def test_a_scheduler_cannot_make_itself_organization_admin(self) -> None:
        self.as_user(self.scheduler)
        own = self.membership(self.scheduler)
        assert self.client.get(MEMBERSHIPS).status_code == 403
        response = self.client.post(f"{MEMBERSHIPS}{own.pk}/change/", {"role": Role.ORG_ADMIN})
        assert response.status_code == 403
        assert self.membership(self.scheduler).role == Role.SCHEDULER

    def test_an_approver_cannot_open_memberships_either(self) -> None:
        self.approver.is_staff = True
        self.approver.save()
        self.as_user(self.approver)
        own = self.membership(self.approver)
        assert self.client.post(f"{MEMBERSHIPS}{own.pk}/change/", {"role": Role.ORG_ADMIN}).status_code == 403
        assert self.membership(self.approver).role == Role.APPROVER

    def test_an_organization_admin_changes_a_members_role_and_the_admin_access_follows(self) -> None:
        self.as_user(self.admin)
        theirs = self.membership(self.scheduler)
        response = self.client.post(f"{MEMBERSHIPS}{theirs.pk}/change/", {"role": Role.APPROVER})
        assert response.status_code == 302, response.content[:800]
        assert self.membership(self.scheduler).role == Role.APPROVER
        self.scheduler.refresh_from_db()
        assert not self.scheduler.is_staff

    def test_an_organization_admin_cannot_change_or_remove_its_own_membership(self) -> None:
        self.as_user(self.admin)
        own = self.membership(self.admin)
        assert self.client.post(f"{MEMBERSHIPS}{own.pk}/change/", {"role": Role.STUDENT}).status_code == 403
        assert self.client.post(f"{MEMBERSHIPS}{own.pk}/delete/", {"post": "yes"}).status_code == 403
        assert self.membership(self.admin).role == Role.ORG_ADMIN

    def test_another_organizations_membership_cannot_be_seen_or_changed(self) -> None:
        self.as_user(self.admin)
        theirs = self.membership(self.outsider)
        listing = self.client.get(MEMBERSHIPS).content.decode()
        assert "outsider" not in listing and "scheduler" in listing
        response = self.client.post(f"{MEMBERSHIPS}{theirs.pk}/change/", {"role": Role.STUDENT})
        assert response.status_code in (302, 404)
        assert self.membership(self.outsider).role == Role.ORG_ADMIN

    def test_a_new_member_is_a_new_account_of_the_admins_organization(self) -> None:
        self.as_user(self.admin)
        form = self.client.get(f"{MEMBERSHIPS}add/").content.decode()
        assert "outsider" not in form and 'name="user"' not in form and 'name="organization"' not in form
        response = self.client.post(f"{MEMBERSHIPS}add/", {
            "username": "newcomer", "password1": STRONG, "password2": STRONG, "role": Role.SCHEDULER,
            "organization": self.other_org.pk, "user": self.outsider.pk,  # both ignored
        })
        assert response.status_code == 302, response.content[:800]
        newcomer = User.objects.get(username="newcomer")
        assert newcomer.check_password(STRONG) and newcomer.is_staff
        assert self.membership(newcomer).organization == self.org
        assert self.membership(self.outsider).organization == self.other_org

    def test_a_new_members_password_must_pass_the_validators(self) -> None:
        self.as_user(self.admin)
        response = self.client.post(f"{MEMBERSHIPS}add/", {
            "username": "weak", "password1": "password", "password2": "password", "role": Role.STUDENT,
        })
        assert response.status_code == 200
        assert "too common" in response.content.decode()
        assert not User.objects.filter(username="weak").exists()

    def test_account_choices_list_only_the_organizations_own_people(self) -> None:
        loner = User.objects.create_user("loner", password="pw")  # no organization at all
        teacher = am.Faculty.objects.filter(organization=self.org).order_by("code").last()
        self.as_user(self.admin)
        page = self.client.get(f"/admin/academics/faculty/{teacher.pk}/change/")
        assert page.status_code == 200
        choices = set(page.context["adminform"].form.fields["user"].queryset)
        assert self.scheduler in choices and self.faculty_user in choices
        assert self.outsider not in choices and loner not in choices

    def test_a_superuser_manages_every_organizations_memberships(self) -> None:
        root = User.objects.create_superuser("root", password="pw")
        self.as_user(root)
        theirs = self.membership(self.outsider)
        response = self.client.post(f"{MEMBERSHIPS}{theirs.pk}/change/", {
            "user": self.outsider.pk, "organization": self.other_org.pk, "role": Role.SCHEDULER})
        assert response.status_code == 302, response.content[:800]
        assert self.membership(self.outsider).role == Role.SCHEDULER


class TimetableAdminTests(PersonasTestCase):
    def test_a_timetables_status_cannot_be_set_in_the_admin(self) -> None:
        draft = timetable(self.org)
        self.as_user(self.scheduler)
        response = self.client.post(f"/admin/scheduling/timetable/{draft.pk}/change/", {
            "name": "Renamed", "academic_year": "2026-27", "semester": 1, "status": TimetableStatus.PUBLISHED,
            "is_active": "on"})
        assert response.status_code == 302, response.content[:800]
        draft.refresh_from_db()
        assert draft.name == "Renamed"  # the form was saved, without the status
        assert draft.status == TimetableStatus.DRAFT and not draft.is_active

    def test_a_superuser_cannot_publish_in_the_admin_either(self) -> None:
        draft = timetable(self.org)
        self.as_user(User.objects.create_superuser("root", password="pw"))
        self.client.post(f"/admin/scheduling/timetable/{draft.pk}/change/", {
            "name": "X", "academic_year": "2026-27", "semester": 1, "organization": self.org.pk,
            "status": TimetableStatus.PUBLISHED})
        draft.refresh_from_db()
        assert draft.status == TimetableStatus.DRAFT

    def test_a_published_timetable_is_read_only(self) -> None:
        published = timetable(self.org, TimetableStatus.PUBLISHED)
        self.as_user(self.admin)
        url = f"/admin/scheduling/timetable/{published.pk}/"
        view = self.client.get(f"{url}change/")
        assert view.status_code == 200 and 'type="submit"' not in view.content.decode().split('id="content"')[1]
        assert self.client.post(f"{url}change/", {"name": "Edited", "academic_year": "2026-27",
                                                  "semester": 1}).status_code == 403
        assert self.client.post(f"{url}delete/", {"post": "yes"}).status_code == 403
        bulk = self.client.post("/admin/scheduling/timetable/", {
            "action": "delete_selected", "_selected_action": [published.pk], "post": "yes"})
        assert bulk.status_code in (200, 302, 403)
        published.refresh_from_db()
        assert published.name == "Balanced" and published.status == TimetableStatus.PUBLISHED

    def test_a_published_timetables_slots_are_read_only(self) -> None:
        published = timetable(self.org, TimetableStatus.PUBLISHED)
        fixed = slot(published)
        self.as_user(self.scheduler)
        url = f"/admin/scheduling/timetableslot/{fixed.pk}/"
        assert self.client.post(f"{url}change/", {"timetable": published.pk, "day": 3, "period": 0,
                                                  "start_time": "09:00", "end_time": "10:00",
                                                  "course": fixed.course_id, "session": 0}).status_code == 403
        assert self.client.post(f"{url}delete/", {"post": "yes"}).status_code == 403
        fixed.refresh_from_db()
        assert fixed.day == 0

    def test_no_slot_is_added_to_or_moved_into_a_published_timetable(self) -> None:
        published = timetable(self.org, TimetableStatus.PUBLISHED)
        draft = timetable(self.org, name="Draft")
        movable = slot(draft)
        self.as_user(self.scheduler)
        fields = {"day": 1, "period": 0, "start_time": "09:00", "end_time": "10:00", "course": movable.course_id,
                  "session": 0, "timetable": published.pk}
        added = self.client.post("/admin/scheduling/timetableslot/add/", fields)
        assert added.status_code == 200 and "timetable" in added.context["adminform"].form.errors
        moved = self.client.post(f"/admin/scheduling/timetableslot/{movable.pk}/change/", fields)
        assert moved.status_code == 200 and "timetable" in moved.context["adminform"].form.errors
        assert published.slots.count() == 0
        fields["timetable"] = draft.pk
        assert self.client.post(f"/admin/scheduling/timetableslot/{movable.pk}/change/", fields).status_code == 302
        movable.refresh_from_db()
        assert movable.day == 1

    def test_a_jobs_status_cannot_be_set_by_hand(self) -> None:
        job = GenerationJob.objects.create(organization=self.org, academic_year="2026-27", semester=1,
                                           status=JobStatus.RUNNING)
        self.as_user(self.scheduler)
        url = f"/admin/scheduling/generationjob/{job.pk}/"
        assert self.client.get(f"{url}change/").status_code == 200  # to look at
        assert self.client.post(f"{url}change/", {"status": JobStatus.COMPLETED, "progress": 100,
                                                  "academic_year": "2026-27", "semester": 1}).status_code == 403
        assert self.client.post(f"{url}delete/", {"post": "yes"}).status_code == 403  # it still runs
        assert self.client.post("/admin/scheduling/generationjob/add/", {
            "status": JobStatus.QUEUED, "academic_year": "2026-27", "semester": 1}).status_code == 403
        job.refresh_from_db()
        assert job.status == JobStatus.RUNNING


class OnePublishedTimetableTests(PersonasTestCase):
    def test_the_database_refuses_a_second_published_timetable(self) -> None:
        timetable(self.org, TimetableStatus.PUBLISHED)
        timetable(self.other_org, TimetableStatus.PUBLISHED)  # another organization's is fine
        with self.assertRaises(IntegrityError), transaction.atomic():
            timetable(self.org, TimetableStatus.PUBLISHED, name="Second")
        draft = timetable(self.org, name="Draft")
        with self.assertRaises(IntegrityError), transaction.atomic():
            Timetable.objects.filter(pk=draft.pk).update(
                status=TimetableStatus.PUBLISHED)
        assert Timetable.objects.filter(organization=self.org, status=TimetableStatus.PUBLISHED).count() == 1

    @override_settings(ENGINE_CLIENT=FAKE_CLIENT)
    def test_approval_archives_the_published_timetable_before_publishing_the_next(self) -> None:
        first_job, second_job = (GenerationJob.objects.create(organization=self.org, academic_year="2026-27",
                                                              semester=1, status=JobStatus.COMPLETED)
                                 for _ in range(2))
        first, second = timetable(self.org, job=first_job), timetable(self.org, job=second_job)
        assert services.approve(first_job, self.approver, "approve", "", None) == first
        assert services.approve(second_job, self.approver, "approve", "", None) == second
        first.refresh_from_db()
        second.refresh_from_db()
        assert (first.status, first.is_active) == (TimetableStatus.ARCHIVED, False)
        assert (second.status, second.is_active) == (TimetableStatus.PUBLISHED, True)
        assert second_job.metadata["review"]["timetable_id"] == second.pk


class MigrationTests(TransactionTestCase):
    """The constraint's migration on a database that already holds two published timetables of one organization."""

    def test_the_migration_archives_the_older_published_timetables_before_adding_the_constraint(self) -> None:
        executor = MigrationExecutor(connection)
        before, after = [("scheduling", "0001_initial")], [("scheduling", "0002_one_published_timetable")]
        executor.migrate(before)
        try:
            # the organizations' table stays migrated (its model as it is now), the scheduling tables as before
            others = [n for n in executor.loader.graph.leaf_nodes() if n[0] == "academics"]
            old = executor.loader.project_state(before + others).apps
            org = old.get_model("academics", "Organization").objects.create(name="Gamma", slug="gamma")
            other = old.get_model("academics", "Organization").objects.create(name="Delta", slug="delta")
            rows = old.get_model("scheduling", "Timetable").objects
            common = {"academic_year": "2026-27", "semester": 1, "status": "published", "is_active": True}
            older = rows.create(organization=org, name="Older", **common)
            newer = rows.create(organization=org, name="Newer", **common)
            theirs = rows.create(organization=other, name="Theirs", **common)
            rows.filter(pk=older.pk).update(created_at=newer.created_at - timedelta(days=1))
        finally:
            executor = MigrationExecutor(connection)
            executor.loader.build_graph()
            executor.migrate(after)
        try:
            migrated = executor.loader.project_state(after).apps.get_model("scheduling", "Timetable").objects
            status = dict(migrated.values_list("pk", "status"))
            assert status == {older.pk: "archived", newer.pk: "published", theirs.pk: "published"}
            assert not migrated.get(pk=older.pk).is_active
        finally:  # the later migrations again, for the tests that follow
            executor = MigrationExecutor(connection)
            executor.loader.build_graph()
            executor.migrate(executor.loader.graph.leaf_nodes())
