"""The pages' routes; included by the project's urls before Django's admin, which owns the rest of /admin/."""

from __future__ import annotations

from django.contrib.auth import views as auth_views
from django.urls import path, register_converter, reverse_lazy

from timetabling.web.pages.views import (
    analytics,
    data,
    generation,
    history,
    home,
    people,
    published,
    records,
    review,
    start,
    terms,
)
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


def _password_page(view: type, title: str, **options: object):
    return view.as_view(template_name="pages/password_form.html", extra_context={"title": title}, **options)


def _password_message(view: type, title: str, message: str):
    return view.as_view(template_name="pages/password_message.html",
                        extra_context={"title": title, "message": message})


# Django's own password views, in the pages' look
PASSWORD_ROUTES = [
    path("account/password/", _password_page(auth_views.PasswordChangeView, "Change password",
                                             success_url=reverse_lazy("pages:password_change_done")),
         name="password_change"),
    path("account/password/done/", _password_message(auth_views.PasswordChangeDoneView, "Password changed",
                                                     "Your new password is in use."), name="password_change_done"),
    path("password-reset/", _password_page(
        auth_views.PasswordResetView, "Forgot password", success_url=reverse_lazy("pages:password_reset_done"),
        email_template_name="pages/password_reset_email.txt",
        subject_template_name="pages/password_reset_subject.txt"), name="password_reset"),
    path("password-reset/sent/", _password_message(
        auth_views.PasswordResetDoneView, "Check your e-mail",
        "If an active account has that address, a one-time link to set a new password is on its way."),
        name="password_reset_done"),
    path("password-reset/<uidb64>/<token>/", _password_page(
        auth_views.PasswordResetConfirmView, "Choose a new password",
        success_url=reverse_lazy("pages:password_reset_complete")), name="password_reset_confirm"),
    path("password-reset/done/", _password_message(auth_views.PasswordResetCompleteView, "Password set",
                                                   "Sign in with your new password."),
         name="password_reset_complete"),
]

urlpatterns = [
    *PASSWORD_ROUTES,
    path("people/", people.people_list, name="people"),
    path("people/<id:user_id>/", people.person, name="person"),
    path("terms/", terms.terms, name="terms"),
    path("terms/<id:term_id>/", terms.terms, name="term"),
    path("", home.dashboard, name="dashboard"),
    path("signin/", home.SignInView.as_view(), name="sign_in"),
    path("signout/", home.sign_out, name="sign_out"),
    path("my/timetable/", home.my_timetable, name="my_timetable"),
    path("start/data/", start.load_order_page, name="load_order"),
    path("start/sample-university.zip", start.sample_download, name="sample_zip"),
    path("data/<str:kind>/", data.data_list, name="data_list"),
    path("data/<str:kind>/upload/", data.data_upload, name="data_upload"),
    path("data/<str:kind>/template.<str:fmt>", data.data_template, name="data_template"),
    path("data/<str:kind>/new/", records.record_new, name="record_new"),
    path("data/<str:kind>/bulk/", records.bulk_edit, name="bulk_edit"),
    path("data/<str:kind>/<id:pk>/", records.record_edit, name="record_edit"),
    path("data/<str:kind>/<id:pk>/delete/", records.record_delete, name="record_delete"),
    path("data/<str:kind>/<id:pk>/history/", records.record_history, name="record_history"),
    path("admin/timetables/new", generation.new_generation, name="new_generation"),
    path("admin/timetables/history", history.history, name="history"),
    path("admin/timetables/analytics", analytics.analytics, name="analytics"),
    path("admin/timetables/status/<str:job_id>", generation.status, name="status"),
    path("admin/timetables/status/<str:job_id>/cancel", generation.cancel, name="cancel"),
    path("admin/timetables/status/<str:job_id>/rerun", generation.rerun, name="rerun"),
    path("admin/timetables/jobs/<str:job_id>/compare", review.compare, name="compare"),
    path("admin/timetables/<id:timetable_id>/review", review.review, name="review"),
    path("admin/timetables/<id:timetable_id>/decide", review.decide, name="decide"),
    path("admin/timetables/<id:timetable_id>/diff/<id:other_id>", review.diff, name="diff"),
    path("admin/timetables/<id:timetable_id>/draft", review.make_draft, name="make_draft"),
    path("admin/timetables/<id:timetable_id>/publish", review.publish, name="publish"),
    path("admin/timetables/<id:timetable_id>/repair", generation.repair, name="repair"),
    # before the owners' route, whose kind would match 'department'
    path("timetables/department/<id:department_id>/export.<str:fmt>", published.department_export,
         name="department_export"),
    path("timetables/<str:kind>/pdfs.zip", published.pdf_set, name="pdf_set"),
    path("timetables/<str:kind>/<id:owner_id>/", published.published, name="published"),
    path("timetables/<str:kind>/<id:owner_id>/export.<str:fmt>", published.export, name="export"),
]
