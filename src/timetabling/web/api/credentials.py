"""How an API request proves who sends it: a session cookie with Django's CSRF token, or an API token.

A browser sends the session cookie with any request, even one a form on another site (or on a sibling origin:
another port, another subdomain) makes it send. So a write that rides on the session must also carry the CSRF
token (``X-CSRFToken`` header, from ``GET /api/auth/csrf/``), and Django's own check runs on it, Origin and
Referer included. A request with ``Authorization: Bearer <token>`` carries its credential itself: no browser
adds it on its own, so it needs no CSRF token."""

from __future__ import annotations

from collections.abc import Collection

from django.contrib.auth.models import AnonymousUser
from django.http import HttpRequest
from django.middleware.csrf import CsrfViewMiddleware

from timetabling.web.accounts.models import ApiToken, Membership, membership_of
from timetabling.web.api.errors import ApiError

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})


class _CsrfCheck(CsrfViewMiddleware):
    """Django's CSRF check, answering the reason of a refusal instead of its HTML 403 page."""

    def _reject(self, request: HttpRequest, reason: str) -> str:  # type: ignore[override]
        return reason


def _no_response(request: HttpRequest) -> None:
    return None


def enforce_csrf(request: HttpRequest) -> None:
    """Raise ApiError 403 naming CSRF when an unsafe request lacks a valid CSRF token (or comes from another
    origin). Django's test client sets ``_dont_enforce_csrf_checks`` unless ``enforce_csrf_checks=True``."""
    check = _CsrfCheck(_no_response)
    check.process_request(request)
    reason = check.process_view(request, _no_response, (), {})
    if reason:
        raise ApiError(
            403, f"CSRF check failed: {reason}. A signed-in browser sends the X-CSRFToken header (the token comes "
            "from GET /api/auth/csrf/); scripts use an API token (Authorization: Bearer ...) instead",
            field="csrf",
        )


def bearer_token(request: HttpRequest) -> str | None:
    """The token of an ``Authorization: Bearer ...`` header; None when there is no such header."""
    header = request.META.get("HTTP_AUTHORIZATION", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer":
        return None
    return token.strip()


def authenticate_request(request: HttpRequest, needs_csrf: bool, signed_in_only: bool) -> None:
    """Settle ``request.user`` and check CSRF. A Bearer token replaces the session (401 when it is unknown,
    expired or its user inactive). Otherwise an unsafe method needs the CSRF token when ``needs_csrf``, except
    for an anonymous caller of a view that needs a signed-in user (it is answered 401 anyway)."""
    token = bearer_token(request)
    if token is not None:
        user = ApiToken.user_for(token) if token else None
        if user is None:
            request.user = AnonymousUser()
            raise ApiError(401, "the API token is unknown, expired or revoked", field="Authorization")
        request.user = user
        request.api_token_used = True  # type: ignore[attr-defined]
        return
    if not needs_csrf or request.method in SAFE_METHODS:
        return
    if signed_in_only and not request.user.is_authenticated:
        return
    enforce_csrf(request)


def member(request: HttpRequest) -> Membership:
    """The signed-in member: 401 for a visitor, 403 for an account of no organization."""
    if not request.user.is_authenticated:
        raise ApiError(401, "sign in first")
    membership = membership_of(request.user)
    if membership is None:
        raise ApiError(403, "this account belongs to no organization")
    return membership


class Member:
    """django-ninja's auth of an operation: a Bearer API token or the session (with the CSRF token on a write),
    a member of an organization, with one of ``roles`` when given. Sets ``request.auth`` to the Membership;
    refuses with ``ApiError`` (401, 403), which the API answers as JSON."""

    def __init__(self, roles: Collection[str] | None = None) -> None:
        self.roles = None if roles is None else frozenset(roles)

    def __call__(self, request: HttpRequest) -> Membership:
        authenticate_request(request, needs_csrf=True, signed_in_only=True)
        membership = member(request)
        if self.roles is not None and membership.role not in self.roles:
            raise ApiError(403, f"your role ({membership.get_role_display()}) may not do this")
        return membership


class Visitor:
    """The auth of an operation anyone may call (the CSRF token, sign in and out): a Bearer token must still be
    valid, and a session write still needs the CSRF token."""

    def __call__(self, request: HttpRequest) -> bool:
        authenticate_request(request, needs_csrf=True, signed_in_only=False)
        return True
