"""Published timetables of one faculty member, student, batch or room, and their exports; a department's."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.utils import timezone

from timetabling.web.academics import models as am
from timetabling.web.academics.terms import term_holidays
from timetabling.web.accounts.models import STAFF_ROLES, Membership
from timetabling.web.pages import exports
from timetabling.web.pages.access import page
from timetabling.web.pages.grids import KIND_LABELS, OWNER_MODELS, owner_week, owner_weeks, timetable_grid
from timetabling.web.pages.views.common import record_id, render_page, timetable_of
from timetabling.web.scheduling import versions
from timetabling.web.scheduling.models import TimetableSlot, owner_q
from timetabling.web.scheduling.readers import may_read  # the API's rule, kept in one place
from timetabling.web.streaming import StreamingFileResponse, StreamingResponse


def _owner_and_timetable(request: HttpRequest, membership: Membership, kind: str, owner_id: int):
    model = OWNER_MODELS.get(kind)
    if model is None:
        raise Http404(f"no timetables by '{kind}'")
    owner = model.objects.filter(organization=membership.organization, pk=owner_id).first()
    if owner is None:
        raise Http404(f"no such {kind}")
    if not may_read(membership, kind, owner):
        raise PermissionDenied(f"you may not read this {kind}'s timetable")
    wanted = request.GET.get("timetable")
    if wanted:
        if membership.role not in STAFF_ROLES:
            raise PermissionDenied("only staff may read timetables that are not published")
        return owner, timetable_of(membership, record_id(wanted, "timetable"))
    return owner, versions.published_for(membership.organization, owner_q(kind, owner))  # one per scope


def term_of(timetable: Any) -> am.Term | None:
    """The term (dates, holidays) of the timetable's academic year and semester, if one is set."""
    return am.Term.objects.filter(organization_id=timetable.organization_id, academic_year=timetable.academic_year,
                                  semester=timetable.semester).first()


def time_zone_of(org: am.Organization) -> str:
    return org.time_zone or settings.TIME_ZONE


def _calendar_days(request: HttpRequest, timetable: Any) -> exports.TermDates:
    """The term's dates; without a term, ``weeks`` weeks (16) from the week of ``start`` (today)."""
    term = term_of(timetable)
    if term is not None:
        return exports.TermDates(term.start_date, term.end_date, frozenset(term_holidays(term)))
    try:
        start = request.GET.get("start", "")
        first = date.fromisoformat(start) if start else timezone.localdate()
        count = max(1, min(52, int(request.GET.get("weeks", "16"))))
    except ValueError:
        raise Http404("start must be a date (YYYY-MM-DD) and weeks a number") from None
    return exports.TermDates.weeks_from(first, count)


@page()
def published(request: HttpRequest, membership: Membership, kind: str, owner_id: int) -> HttpResponse:
    owner, timetable = _owner_and_timetable(request, membership, kind, owner_id)
    week = owner_week(timetable, kind, owner) if timetable is not None else None
    return render_page(request, "pages/published.html", {
        "kind": kind, "kind_label": KIND_LABELS[kind], "owner": owner, "timetable": timetable, "week": week,
        "term": term_of(timetable) if timetable is not None else None,
        "query": f"?timetable={timetable.pk}" if timetable and request.GET.get("timetable") else "",
    }, status=200 if timetable else 404)


@page()
def export(request: HttpRequest, membership: Membership, kind: str, owner_id: int, fmt: str) -> HttpResponse:
    if fmt not in exports.FORMATS:
        raise Http404(f"exports come as {', '.join(exports.FORMATS)}")
    owner, timetable = _owner_and_timetable(request, membership, kind, owner_id)
    if timetable is None:
        raise Http404("there is no published timetable yet")
    week = owner_week(timetable, kind, owner)
    title = f"{KIND_LABELS[kind]} {owner.code}" + (f" {owner.name}" if owner.name and owner.name != owner.code else "")
    subtitle = _subtitle(timetable)
    if fmt == "pdf":
        body = exports.to_pdf(week, title, subtitle)
    elif fmt == "ics":
        body = exports.to_ics(week, f"{title} - {timetable.name}", f"tt{timetable.pk}-{kind}{owner.pk}",
                              _calendar_days(request, timetable), time_zone_of(membership.organization),
                              timezone.now())
    elif fmt == "xlsx":
        body = exports.to_xlsx(week, f"{title} - {subtitle}")
    else:
        body = exports.to_csv(week)
    response = HttpResponse(body, content_type=exports.FORMATS[fmt])
    safe = re.sub(r"[^A-Za-z0-9._-]+", "_", owner.code)
    response["Content-Disposition"] = f'attachment; filename="timetable-{kind}-{safe}.{fmt}"'
    return response


def _subtitle(timetable: Any) -> str:
    return f"{timetable.name}, {timetable.academic_year} semester {timetable.semester} ({timetable.status})"


def owner_title(kind: str, owner: am.OrgScoped) -> str:
    """``Faculty member Dr. A. Rao (CSE-F03)``: the name people know, the code beside it."""
    if owner.name and owner.name != owner.code:
        return f"{KIND_LABELS[kind]} {owner.name} ({owner.code})"
    return f"{KIND_LABELS[kind]} {owner.code}"


def _safe(code: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "_", code)


SET_KINDS = ("batch", "faculty", "room")


@page(roles=STAFF_ROLES)
def pdf_set(request: HttpRequest, membership: Membership, kind: str) -> HttpResponseBase:
    """A ZIP of one PDF per batch, faculty member or room that has sessions in the published timetable (staff:
    ``?timetable=`` for another); ``?department=<id>``: only that department's."""
    if kind not in SET_KINDS:
        raise Http404(f"PDF sets come by {', '.join(SET_KINDS)}")
    org = membership.organization
    wanted = request.GET.get("timetable")
    timetable = timetable_of(membership, record_id(wanted, "timetable")) if wanted else versions.published_for(org)
    if timetable is None:
        raise Http404("there is no published timetable yet")
    model = OWNER_MODELS[kind]
    owners = model.objects.filter(organization=org, pk__in=TimetableSlot.objects.filter(timetable=timetable)
                                  .values(f"{kind}_id"))
    department = request.GET.get("department")
    if department:
        found = am.Department.objects.filter(organization=org, pk=record_id(department, "department")).first()
        if found is None:
            raise Http404("no such department")
        owners = owners.filter(department=found)
    subtitle = _subtitle(timetable)
    files = ((f"timetable-{kind}-{_safe(owner.code)}.pdf",
              exports.to_pdf(week, owner_title(kind, owner), subtitle))
             for owner, week in owner_weeks(timetable, kind, owners.order_by("code")))
    response = StreamingResponse(exports.zip_stream(files), content_type="application/zip")
    response["Content-Disposition"] = f'attachment; filename="timetables-{kind}-{timetable.pk}.zip"'
    return response


DEPARTMENT_FORMATS = ("csv", "xlsx", "pdf")


@page(roles=STAFF_ROLES)
def department_export(request: HttpRequest, membership: Membership, department_id: int, fmt: str) -> HttpResponseBase:
    """Every session of a department's courses and batches in the published timetable (staff: ``?timetable=``
    for another), as CSV or Excel written while the slot rows stream from the database."""
    if fmt not in DEPARTMENT_FORMATS:
        raise Http404(f"department exports come as {', '.join(DEPARTMENT_FORMATS)}")
    department = am.Department.objects.filter(organization=membership.organization, pk=department_id).first()
    if department is None:
        raise Http404("no such department")
    theirs = Q(course__in=am.Course.objects.filter(department=department)) | Q(
        batch__in=am.Batch.objects.filter(department=department))
    wanted = request.GET.get("timetable")
    if wanted:
        timetable = timetable_of(membership, record_id(wanted, "timetable"))
    else:
        timetable = versions.published_for(membership.organization, theirs)
    if timetable is None:
        raise Http404("there is no published timetable yet")
    if fmt == "pdf":
        return _booklet(department, timetable)
    slots = (TimetableSlot.objects.filter(theirs, timetable=timetable)
             .select_related("course", "faculty", "room", "batch")
             .order_by("day", "period", "course_id", "session", "id").iterator(chunk_size=2000))
    rows = exports.merged_sessions(slots, list(timetable_grid(timetable).days))
    safe = re.sub(r"[^A-Za-z0-9._-]+", "_", department.code)
    if fmt == "csv":
        response: HttpResponseBase = StreamingResponse(exports.csv_stream(rows), content_type=exports.FORMATS["csv"])
    else:
        title = f"Department {department.code} - {timetable.name}, {timetable.academic_year} semester " \
                f"{timetable.semester} ({timetable.status})"
        response = StreamingFileResponse(exports.xlsx_file(rows, title), content_type=exports.FORMATS["xlsx"])
    response["Content-Disposition"] = f'attachment; filename="timetable-department-{safe}.{fmt}"'
    return response


def _booklet(department: am.Department, timetable: Any) -> HttpResponse:
    """The department's booklet: a cover, then a page per batch, faculty member and room of the department."""
    parts = []
    for kind, heading in (("batch", "Batches"), ("faculty", "Faculty"), ("room", "Rooms")):
        owners = OWNER_MODELS[kind].objects.filter(department=department).order_by("code")
        parts.append((heading, [exports.OwnerWeek(owner_title(kind, owner), week)
                                for owner, week in owner_weeks(timetable, kind, owners)]))
    name = department.name if department.name and department.name != department.code else department.code
    body = exports.to_booklet(f"Department {name}" + (f" ({department.code})" if name != department.code else ""),
                              _subtitle(timetable), parts)
    response = HttpResponse(body, content_type=exports.FORMATS["pdf"])
    response["Content-Disposition"] = f'attachment; filename="timetable-department-{_safe(department.code)}.pdf"'
    return response
