"""``/api/auth/...``: sign in and out with a session cookie, and who am I."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import authenticate, login, logout
from django.http import HttpRequest

from timetabling.web.accounts.models import Membership
from timetabling.web.api.base import api, body_as
from timetabling.web.api.errors import ApiError
from timetabling.web.api.schemas import LoginRequest


@api(["POST"], auth=False)
def sign_in(request: HttpRequest) -> dict[str, Any]:
    body = body_as(request, LoginRequest)
    user = authenticate(request, username=body.username, password=body.password)
    if user is None:
        raise ApiError(401, "wrong username or password", field="password")
    login(request, user)
    return {"username": user.username}


@api(["POST"], auth=False)
def sign_out(request: HttpRequest) -> dict[str, Any]:
    logout(request)
    return {"message": "signed out"}


@api(["GET"])
def me(request: HttpRequest, membership: Membership) -> dict[str, Any]:
    org = membership.organization
    return {"username": membership.user.username, "role": membership.role,
            "organization": {"id": org.pk, "name": org.name, "slug": org.slug}}
