"""``/api/academics/...``: read the organization's academic data."""

from __future__ import annotations

from typing import Any

from django.db.models import Q
from django.http import HttpRequest
from ninja import Query, Router

from timetabling.web.academics.grid import organization_grid
from timetabling.web.accounts.models import STAFF_ROLES, Membership
from timetabling.web.api.errors import ApiError, not_found
from timetabling.web.api.schemas import AcademicKind, ListingQuery, RecordId
from timetabling.web.api.serializers import ACADEMIC_KINDS

PRIVATE_KINDS = frozenset({"students"})  # only staff read lists of people

router = Router(tags=["academics"])


def _kind(membership: Membership, kind: str) -> tuple:
    if kind in PRIVATE_KINDS and membership.role not in STAFF_ROLES:
        raise ApiError(403, f"your role may not list {kind}")
    model, serialize, related, many = ACADEMIC_KINDS[kind]
    qs = model.objects.filter(organization=membership.organization).select_related(*related).prefetch_related(*many)
    return qs, serialize


@router.get("time-grid/", summary="The weekly time grid")
def time_grid(request: HttpRequest) -> dict[str, Any]:
    grid = organization_grid(request.auth.organization)
    return {
        "days": list(grid.days),
        "periods": [{"index": i, "name": p.name, "start": p.start.strftime("%H:%M"), "end": p.end.strftime("%H:%M")}
                    for i, p in enumerate(grid.periods)],
        "breaks": [{"after_period": b.after_period, "name": b.name} for b in grid.breaks],
    }


@router.get("{kind}/", summary="List academic data of one kind (search, pages)")
def listing(request: HttpRequest, kind: AcademicKind, query: Query[ListingQuery]) -> dict[str, Any]:
    qs, serialize = _kind(request.auth, kind)
    search = query.search.replace("\x00", "").strip()  # PostgreSQL refuses NUL
    if search:
        qs = qs.filter(Q(code__icontains=search) | Q(name__icontains=search))
    page, size = query.page, query.page_size
    total = qs.count()
    items = qs.order_by("code")[(page - 1) * size: page * size]
    return {"count": total, "page": page, "page_size": size, "results": [serialize(o) for o in items]}


@router.get("{kind}/{int:item_id}/", summary="One academic record")
def detail(request: HttpRequest, kind: AcademicKind, item_id: RecordId) -> dict[str, Any]:
    qs, serialize = _kind(request.auth, kind)
    item = qs.filter(pk=item_id).first()
    if item is None:
        raise not_found(kind.rstrip("s") or kind)
    return {"item": serialize(item)}

