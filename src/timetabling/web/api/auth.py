"""``/api/auth/...``: the CSRF token, sign in and out with a session cookie, and who am I.

A browser or JS client first ``GET /api/auth/csrf/`` (sets the ``csrftoken`` cookie and answers the token),
then POSTs the login with the ``X-CSRFToken`` header; signing in changes the token, and the login answers the
new one. Scripts use an API token instead (``Authorization: Bearer``), which needs none of this."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import authenticate, login, logout
from django.http import HttpRequest
from django.middleware.csrf import get_token
from ninja import Router

from timetabling.web.api.credentials import Visitor
from timetabling.web.api.errors import ApiError
from timetabling.web.api.schemas import LoginRequest

router = Router(tags=["auth"])


@router.get("csrf/", auth=Visitor(), summary="The CSRF token a session's writes carry (X-CSRFToken); sets the cookie")
def csrf_token(request: HttpRequest) -> dict[str, Any]:
    return {"csrf_token": get_token(request), "header": "X-CSRFToken"}


@router.post("login/", auth=Visitor(), summary="Sign in (session cookie); needs the CSRF token, answers the new one")
def sign_in(request: HttpRequest, body: LoginRequest) -> dict[str, Any]:
    # axes counts a failure here, and answers 429 instead once the account or the address is throttled
    user = authenticate(request, username=body.username, password=body.password)
    if user is None:
        raise ApiError(401, "wrong username or password", field="password")
    login(request, user)
    return {"username": user.username, "csrf_token": get_token(request)}  # login() rotated the token


@router.post("logout/", auth=Visitor(), summary="Sign out")
def sign_out(request: HttpRequest) -> dict[str, Any]:
    logout(request)
    return {"message": "signed out"}


@router.get("me/", summary="The signed-in user, role and organization")
def me(request: HttpRequest) -> dict[str, Any]:
    membership = request.auth
    org = membership.organization
    return {"username": membership.user.username, "role": membership.role,
            "organization": {"id": org.pk, "name": org.name, "slug": org.slug}}
