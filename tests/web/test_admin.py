"""The admin shows and changes only the signed-in user's organization."""

from __future__ import annotations

from tests.web.support import PersonasTestCase
from timetabling.web.academics import models as am


class AdminTests(PersonasTestCase):
    def test_the_list_shows_only_the_own_organizations_courses(self) -> None:
        self.as_user(self.admin)
        page = self.client.get("/admin/academics/course/")
        assert page.status_code == 200
        mine = am.Course.objects.filter(organization=self.org).count()
        assert f"{mine} courses" in page.content.decode()
        assert page.context["cl"].result_count == mine

    def test_another_organizations_record_cannot_be_opened(self) -> None:
        theirs = am.Room.objects.filter(organization=self.other_org).first()
        self.as_user(self.admin)
        response = self.client.get(f"/admin/academics/room/{theirs.pk}/change/")
        assert response.status_code in (302, 404)
        assert f"/room/{theirs.pk}/change/" not in self.client.get("/admin/academics/room/").content.decode()

    def test_a_new_record_joins_the_users_organization(self) -> None:
        self.as_user(self.scheduler)
        response = self.client.post("/admin/academics/school/add/", {"code": "SX", "name": "School X"})
        assert response.status_code == 302, response.content[:500]
        assert am.School.objects.get(code="SX").organization == self.org

    def test_faculty_and_students_have_no_admin(self) -> None:
        self.faculty_user.is_staff = True
        self.faculty_user.save()
        self.as_user(self.faculty_user)
        assert self.client.get("/admin/academics/course/").status_code == 403
