"""The pages' routes; included by the project's urls before Django's admin, which owns the rest of /admin/."""

from __future__ import annotations

from django.urls import path, register_converter

from timetabling.web.pages.views import data, generation, home, published, review, start
from timetabling.web.pages.views.common import MAX_ID


class RecordIdConverter:
    """A record id in a path: 1 to ``MAX_ID``; anything larger matches no route (a 404, not a database
    overflow)."""

    regex = "[0-9]{1,19}"

    def to_python(self, value: str) -> int:
        number = int(value)
        if not 0 < number <= MAX_ID:
            raise ValueError(value)  # Django: this route does not match
        return number

    def to_url(self, value: int) -> str:
        return str(value)


register_converter(RecordIdConverter, "id")

app_name = "pages"

urlpatterns = [
    path("", home.dashboard, name="dashboard"),
    path("signin/", home.SignInView.as_view(), name="sign_in"),
    path("signout/", home.sign_out, name="sign_out"),
    path("my/timetable/", home.my_timetable, name="my_timetable"),
    path("start/data/", start.load_order_page, name="load_order"),
    path("start/sample-university.zip", start.sample_download, name="sample_zip"),
    path("data/<str:kind>/", data.data_list, name="data_list"),
    path("data/<str:kind>/upload/", data.data_upload, name="data_upload"),
    path("data/<str:kind>/template.<str:fmt>", data.data_template, name="data_template"),
    path("admin/timetables/new", generation.new_generation, name="new_generation"),
    path("admin/timetables/status/<str:job_id>", generation.status, name="status"),
    path("admin/timetables/status/<str:job_id>/cancel", generation.cancel, name="cancel"),
    path("admin/timetables/status/<str:job_id>/rerun", generation.rerun, name="rerun"),
    path("admin/timetables/jobs/<str:job_id>/compare", review.compare, name="compare"),
    path("admin/timetables/<id:timetable_id>/review", review.review, name="review"),
    path("admin/timetables/<id:timetable_id>/decide", review.decide, name="decide"),
    path("admin/timetables/<id:timetable_id>/diff/<id:other_id>", review.diff, name="diff"),
    path("admin/timetables/<id:timetable_id>/draft", review.make_draft, name="make_draft"),
    path("admin/timetables/<id:timetable_id>/publish", review.publish, name="publish"),
    # before the owners' route, whose kind would match 'department'
    path("timetables/department/<id:department_id>/export.<str:fmt>", published.department_export,
         name="department_export"),
    path("timetables/<str:kind>/<id:owner_id>/", published.published, name="published"),
    path("timetables/<str:kind>/<id:owner_id>/export.<str:fmt>", published.export, name="export"),
]
