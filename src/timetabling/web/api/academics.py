"""``/api/academics/...``: read the organization's academic data."""

from __future__ import annotations

from typing import Any

from django.db.models import Q
from django.http import HttpRequest

from timetabling.web.academics.grid import organization_grid
from timetabling.web.accounts.models import STAFF_ROLES, Membership
from timetabling.web.api.base import api
from timetabling.web.api.errors import ApiError, not_found
from timetabling.web.api.serializers import ACADEMIC_KINDS

MAX_PAGE = 500
PRIVATE_KINDS = frozenset({"students"})  # only staff read lists of people


def _page_args(request: HttpRequest) -> tuple[int, int]:
    out = []
    for name, default in (("page", 1), ("page_size", 100)):
        raw = request.GET.get(name, str(default))
        try:
            value = int(raw)
        except ValueError:
            raise ApiError(400, f"'{raw}' is not a number", field=name) from None
        top = MAX_PAGE if name == "page_size" else 10**9
        if not 1 <= value <= top:
            raise ApiError(400, f"must be between 1 and {top}", field=name)
        out.append(value)
    return out[0], out[1]


def _kind(membership: Membership, kind: str) -> tuple:
    if kind not in ACADEMIC_KINDS:
        raise not_found(f"kind '{kind}' (known: {', '.join(ACADEMIC_KINDS)})")
    if kind in PRIVATE_KINDS and membership.role not in STAFF_ROLES:
        raise ApiError(403, f"your role may not list {kind}")
    model, serialize, related, many = ACADEMIC_KINDS[kind]
    qs = model.objects.filter(organization=membership.organization).select_related(*related).prefetch_related(*many)
    return qs, serialize


@api(["GET"])
def listing(request: HttpRequest, membership: Membership, kind: str) -> dict[str, Any]:
    qs, serialize = _kind(membership, kind)
    search = request.GET.get("search", "").replace("\x00", "").strip()[:200]  # PostgreSQL refuses NUL
    if search:
        qs = qs.filter(Q(code__icontains=search) | Q(name__icontains=search))
    page, size = _page_args(request)
    total = qs.count()
    items = qs.order_by("code")[(page - 1) * size: page * size]
    return {"count": total, "page": page, "page_size": size, "results": [serialize(o) for o in items]}


@api(["GET"])
def detail(request: HttpRequest, membership: Membership, kind: str, item_id: int) -> dict[str, Any]:
    qs, serialize = _kind(membership, kind)
    item = qs.filter(pk=item_id).first()
    if item is None:
        raise not_found(kind.rstrip("s") or kind)
    return {"item": serialize(item)}


@api(["GET"])
def time_grid(request: HttpRequest, membership: Membership) -> dict[str, Any]:
    grid = organization_grid(membership.organization)
    return {
        "days": list(grid.days),
        "periods": [{"index": i, "name": p.name, "start": p.start.strftime("%H:%M"), "end": p.end.strftime("%H:%M")}
                    for i, p in enumerate(grid.periods)],
        "breaks": [{"after_period": b.after_period, "name": b.name} for b in grid.breaks],
    }
