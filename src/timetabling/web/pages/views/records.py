"""Creating, editing, deleting and bulk-editing academic records, and each record's history."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect

from timetabling.web.academics.changes import history
from timetabling.web.accounts.models import CAN_EDIT_DATA, STAFF_ROLES, Membership
from timetabling.web.pages.access import page
from timetabling.web.pages.editing import (
    KINDS,
    Kind,
    bulk_update,
    delete_impact,
    delete_record,
    form_class,
    save_form,
)
from timetabling.web.pages.views.common import record_id, render_page
from timetabling.web.pages.views.data import kind_of


def _record(membership: Membership, kind: Kind, pk: int):
    """The member's organization's record; 404 for another organization's or none."""
    obj = kind.model.objects.filter(organization=membership.organization, pk=pk).first()
    if obj is None:
        raise Http404(f"no such {kind.singular}")
    return obj


def _edit(request: HttpRequest, membership: Membership, kind: Kind, obj=None) -> HttpResponse:
    org = membership.organization
    form_type = form_class(kind)
    if request.method == "POST":
        form = form_type(request.POST, instance=obj, organization=org)
        if form.is_valid() and save_form(org, request.user, kind, form):
            messages.success(request, f"{kind.singular.capitalize()} {form.instance.code} saved.")
            return redirect("pages:data_list", kind=kind.kind)
        status = 400
    else:
        form = form_type(instance=obj, organization=org)
        status = 200
    return render_page(request, "pages/record_form.html", {
        "kind": kind, "form": form, "record": obj, "kinds": [(k.kind, k.title) for k in KINDS.values()],
    }, status=status)


@page(roles=CAN_EDIT_DATA)
def record_new(request: HttpRequest, membership: Membership, kind: str) -> HttpResponse:
    return _edit(request, membership, kind_of(kind))


@page(roles=CAN_EDIT_DATA)
def record_edit(request: HttpRequest, membership: Membership, kind: str, pk: int) -> HttpResponse:
    found = kind_of(kind)
    return _edit(request, membership, found, _record(membership, found, pk))


@page(roles=CAN_EDIT_DATA)
def record_delete(request: HttpRequest, membership: Membership, kind: str, pk: int) -> HttpResponse:
    """GET: what the deletion affects and a confirmation; POST with ``confirm``: delete."""
    found = kind_of(kind)
    obj = _record(membership, found, pk)
    if request.method == "POST" and request.POST.get("confirm") == "yes":
        code = obj.code
        delete_record(membership.organization, request.user, found, obj)
        messages.success(request, f"{found.singular.capitalize()} {code} deleted.")
        return redirect("pages:data_list", kind=kind)
    return render_page(request, "pages/record_delete.html", {
        "kind": found, "record": obj, "affected": delete_impact(found, obj),
    })


@page(roles=STAFF_ROLES)
def record_history(request: HttpRequest, membership: Membership, kind: str, pk: int) -> HttpResponse:
    found = kind_of(kind)
    # a deleted record's history stays readable: look up the changes, not the record
    changes = list(history(membership.organization, kind, pk)[:200])
    obj = found.model.objects.filter(organization=membership.organization, pk=pk).first()
    if obj is None and not changes:
        raise Http404(f"no such {found.singular}")
    return render_page(request, "pages/record_history.html", {
        "kind": found, "record": obj, "code": obj.code if obj else changes[0].code, "changes": changes,
    })


@page(roles=CAN_EDIT_DATA)
def bulk_edit(request: HttpRequest, membership: Membership, kind: str) -> HttpResponse:
    """The selected rows (``ids``) and one field: first a form for its value, then (``apply``) the change."""
    found = kind_of(kind)
    if request.method != "POST":
        return redirect("pages:data_list", kind=kind)
    field = request.POST.get("field", "")
    if field not in found.bulk:
        raise Http404(f"{found.title.lower()} have no field '{field[:40]}' to set in bulk")
    ids = sorted({record_id(v, found.singular) for v in request.POST.getlist("ids")})
    org = membership.organization
    records = list(found.model.objects.filter(organization=org, pk__in=ids).order_by("code"))
    if not records:
        messages.error(request, "Select the rows to change first.")
        return redirect("pages:data_list", kind=kind)
    form = form_class(found, [field])(request.POST if "apply" in request.POST else None, organization=org)
    problems: list[str] = []
    if "apply" in request.POST and form.is_valid():
        changed, problems = bulk_update(org, request.user, found, [r.pk for r in records], field, form)
        if not problems:
            messages.success(request, f"{changed} {found.title.lower()} changed.")
            return redirect("pages:data_list", kind=kind)
    return render_page(request, "pages/bulk_edit.html", {
        "kind": found, "form": form, "field": field, "records": records, "problems": problems,
    }, status=400 if problems else 200)
