"""Sign in and out, and the dashboard: data counts, the last generation jobs, the published timetable."""

from __future__ import annotations

from django.contrib.auth import logout
from django.contrib.auth.views import LoginView
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.views.decorators.http import require_POST

from timetabling.web.academics import models as am
from timetabling.web.accounts.models import CAN_GENERATE, STAFF_ROLES, Membership, Role
from timetabling.web.pages.access import page
from timetabling.web.pages.samples import getting_started
from timetabling.web.pages.uploads import TABLES
from timetabling.web.pages.views.common import render_page
from timetabling.web.scheduling import breakage
from timetabling.web.scheduling.models import GenerationJob, Timetable, TimetableStatus


class SignInView(LoginView):
    template_name = "pages/signin.html"
    redirect_authenticated_user = True

    def get_default_redirect_url(self) -> str:
        return "/"


@require_POST
def sign_out(request: HttpRequest) -> HttpResponse:
    logout(request)
    return redirect("pages:sign_in")


def own_timetable(membership: Membership) -> tuple[str, int] | None:
    """(kind, id) of the member's own timetable: a faculty member's or a student's."""
    user = membership.user
    if membership.role == Role.FACULTY:
        faculty = am.Faculty.objects.filter(user=user, organization=membership.organization).first()
        return ("faculty", faculty.pk) if faculty else None
    if membership.role == Role.STUDENT:
        student = am.Student.objects.filter(user=user, organization=membership.organization).first()
        return ("student", student.pk) if student else None
    return None


@page()
def dashboard(request: HttpRequest, membership: Membership) -> HttpResponse:
    org = membership.organization
    published = Timetable.objects.filter(organization=org, status=TimetableStatus.PUBLISHED).first()
    context = {"published": published, "own": own_timetable(membership)}
    if membership.role in STAFF_ROLES:
        context["counts"] = [(t.title, kind, t.model.objects.filter(organization=org).count())
                             for kind, t in TABLES.items()]
        context["jobs"] = GenerationJob.objects.filter(organization=org).select_related("created_by")[:5]
        context["breaks"] = breakage.what_breaks(org)  # cached per data fingerprint: the checker runs after changes
    if membership.role in CAN_GENERATE and published is None:  # a new organization: what to do first
        context["getting_started"] = getting_started(org)
    return render_page(request, "pages/dashboard.html", context)


@page()
def my_timetable(request: HttpRequest, membership: Membership) -> HttpResponse:
    own = own_timetable(membership)
    if own is None:
        return redirect("pages:dashboard")
    return redirect("pages:published", kind=own[0], owner_id=own[1])
