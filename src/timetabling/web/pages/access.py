"""Who may see which page: sign-in, organization membership and role, checked in one place."""

from __future__ import annotations

import functools
from collections.abc import Callable, Collection
from typing import Any

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse

from timetabling.web.accounts.models import (
    CAN_APPROVE,
    CAN_EDIT_DATA,
    CAN_GENERATE,
    STAFF_ROLES,
    Membership,
    membership_of,
)

SIGN_IN_URL = "/signin/"


def page(roles: Collection[str] | None = None) -> Callable:
    """Wrap ``view(request, membership, **kwargs)``: not signed in -> the sign-in page; no organization or a
    role outside ``roles`` -> 403 page."""

    def decorate(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @functools.wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path(), SIGN_IN_URL)
            membership = membership_of(request.user)
            if membership is None:
                raise PermissionDenied("this account belongs to no organization")
            if roles is not None and membership.role not in roles:
                raise PermissionDenied(f"your role ({membership.get_role_display()}) may not open this page")
            request.membership = membership  # type: ignore[attr-defined]  # for templates
            return view(request, membership, *args, **kwargs)

        return wrapper

    return decorate


def abilities(membership: Membership | None) -> dict[str, bool]:
    """What the navigation and buttons offer this member."""
    role = membership.role if membership else None
    return {
        "is_staff_role": role in STAFF_ROLES,
        "can_generate": role in CAN_GENERATE,
        "can_approve": role in CAN_APPROVE,
        "can_edit_data": role in CAN_EDIT_DATA,
    }
