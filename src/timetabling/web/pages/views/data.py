"""Academic data: a searchable list per kind, CSV and Excel upload, and the templates to fill in."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect

from timetabling.web.accounts.models import CAN_EDIT_DATA, STAFF_ROLES, Membership
from timetabling.web.pages.access import page
from timetabling.web.pages.editing import KINDS, Kind
from timetabling.web.pages.uploads import (
    TABLES,
    Table,
    UploadRejected,
    read_rows,
    store_upload,
    template_csv,
    template_xlsx,
)
from timetabling.web.pages.views.common import render_page

PAGE_SIZE = 50
# what the list shows beside code and name: (heading, attribute path)
LIST_COLUMNS: dict[str, tuple[tuple[str, str], ...]] = {
    "departments": (("School", "school.code"),),
    "rooms": (("Capacity", "capacity"), ("Type", "room_type"), ("Building", "building")),
    "faculty": (("Department", "department.code"), ("Max hours / week", "max_hours_per_week")),
    "batches": (("Department", "department.code"), ("Year", "year"), ("Section", "section"), ("Size", "size")),
    "courses": (("Department", "department.code"), ("Kind", "get_kind_display"), ("Credits", "credits"),
                ("Sessions / week", "sessions_per_week")),
    "students": (("Batch", "batch.code"),),
    "programs": (("Department", "department.code"), ("Level", "level"), ("Years", "duration_years")),
}
# kinds whose records have a timetable of their own (the published page's kind)
TIMETABLE_KIND = {"rooms": "room", "faculty": "faculty", "batches": "batch", "students": "student"}
RELATED = {"departments": ("school",), "faculty": ("department",), "batches": ("department",),
           "courses": ("department",), "students": ("batch",), "rooms": (), "programs": ("department",)}


def _table(kind: str) -> Table:
    table = TABLES.get(kind)
    if table is None:
        raise Http404(f"no academic data called '{kind}'")
    return table


def kind_of(kind: str) -> Kind:
    """The editable kind of academic data named in the URL; 404 for anything else."""
    found = KINDS.get(kind)
    if found is None:
        raise Http404(f"no academic data called '{kind}'")
    return found


def _order_field(path: str) -> str:
    """A list column's attribute path as the database orders by it."""
    return "kind" if path == "get_kind_display" else path.replace(".", "__")


def _value(obj: object, path: str) -> object:
    for part in path.split("."):
        obj = getattr(obj, part, None)
        if obj is None:
            return ""
    return obj() if callable(obj) else obj


def _list_context(membership: Membership, kind: Kind, search: str, page_no: str | None, sort: str = "code") -> dict:
    qs = kind.model.objects.filter(organization=membership.organization).select_related(*RELATED[kind.kind])
    if search:
        qs = qs.filter(Q(code__icontains=search) | Q(name__icontains=search))
    columns = LIST_COLUMNS[kind.kind]
    sortable = {"code", "name", *(_order_field(path) for _, path in columns)}
    if sort.lstrip("-") not in sortable:
        sort = "code"
    current = Paginator(qs.order_by(sort, "code"), PAGE_SIZE).get_page(page_no)
    table = TABLES.get(kind.kind)
    return {
        "table": table, "kind": kind, "kinds": [(k.kind, k.title) for k in KINDS.values()], "search": search,
        "page": current, "sort": sort,
        "rows": [(o.pk, o.code, o.name, [_value(o, path) for _, path in columns]) for o in current],
        "timetable_kind": TIMETABLE_KIND.get(kind.kind),
        "headings": [h for h, _ in columns], "problems": None,
        "sort_headings": [("Code", "code"), ("Name", "name"), *((h, _order_field(p)) for h, p in columns)],
        "columns": [(c.name, c.required) for c in table.columns] if table else [],
        "bulk_fields": [(f, kind.model._meta.get_field(f).verbose_name) for f in kind.bulk],
    }


@page(roles=STAFF_ROLES)
def data_list(request: HttpRequest, membership: Membership, kind: str) -> HttpResponse:
    context = _list_context(membership, kind_of(kind), request.GET.get("q", "").strip(), request.GET.get("page"),
                            request.GET.get("sort", "code"))
    return render_page(request, "pages/data_list.html", context)


@page(roles=CAN_EDIT_DATA)
def data_upload(request: HttpRequest, membership: Membership, kind: str) -> HttpResponse:
    table = _table(kind)
    if request.method != "POST":
        return redirect("pages:data_list", kind=kind)
    upload = request.FILES.get("file")
    problems = None
    if upload is None:
        messages.error(request, "Choose a .csv or .xlsx file to upload.")
        return redirect("pages:data_list", kind=kind)
    try:
        rows = read_rows(upload.name, upload.read())
        counts = store_upload(membership.organization, table, rows)
    except UploadRejected as err:
        problems = err.problems
    if problems is None:
        messages.success(request, f"{upload.name}: {counts['created']} {table.title.lower()} added, "
                                  f"{counts['updated']} updated.")
        return redirect("pages:data_list", kind=kind)
    context = _list_context(membership, kind_of(kind), "", None)
    return render_page(request, "pages/data_list.html", {**context, "problems": problems, "upload_name": upload.name},
                       status=400)


@page(roles=STAFF_ROLES)
def data_template(request: HttpRequest, membership: Membership, kind: str, fmt: str) -> HttpResponse:
    table = _table(kind)
    if fmt not in ("csv", "xlsx"):
        raise Http404("templates come as .csv or .xlsx")
    if fmt == "csv":
        response = HttpResponse(template_csv(table), content_type="text/csv; charset=utf-8")
    else:
        response = HttpResponse(template_xlsx(table), content_type=(
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"))
    response["Content-Disposition"] = f'attachment; filename="{kind}-template.{fmt}"'
    return response
