"""Getting started: the order in which to load academic data, and the sample university's spreadsheets."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse

from timetabling.web.accounts.models import STAFF_ROLES, Membership
from timetabling.web.pages.access import page
from timetabling.web.pages.samples import SAMPLE_ZIP_NAME, load_order, sample_zip
from timetabling.web.pages.views.common import render_page


@page(roles=STAFF_ROLES)
def load_order_page(request: HttpRequest, membership: Membership) -> HttpResponse:
    return render_page(request, "pages/load_order.html", {"steps": load_order(membership.organization)})


@page(roles=STAFF_ROLES)
def sample_download(request: HttpRequest, membership: Membership) -> HttpResponse:
    response = HttpResponse(sample_zip(), content_type="application/zip")
    response["Content-Disposition"] = f'attachment; filename="{SAMPLE_ZIP_NAME}"'
    return response
