"""A user's notifications (newest first, paged; opening the list marks them read) and their choices per kind."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils import timezone
from django.views.decorators.http import require_POST

from timetabling.web.accounts.models import Membership
from timetabling.web.notifications.models import Kind, Notification, NotificationPreference
from timetabling.web.pages.access import page
from timetabling.web.pages.views.common import render_page

PER_PAGE = 25


@page()
def notification_list(request: HttpRequest, membership: Membership) -> HttpResponse:
    notes = Notification.objects.filter(user=request.user)
    current = Paginator(notes, PER_PAGE).get_page(request.GET.get("page"))
    unread_ids = [n.pk for n in current if n.read_at is None]
    response = render_page(request, "notifications/list.html", {"page": current, "unread_ids": set(unread_ids)})
    Notification.objects.filter(pk__in=unread_ids).update(read_at=timezone.now())  # seen once shown
    return response


@page()
@require_POST
def mark_all_read(request: HttpRequest, membership: Membership) -> HttpResponse:
    Notification.objects.filter(user=request.user, read_at__isnull=True).update(read_at=timezone.now())
    return redirect("notifications:list")


@page()
def preferences(request: HttpRequest, membership: Membership) -> HttpResponse:
    chosen = {p.kind: p for p in NotificationPreference.objects.filter(user=request.user)}
    if request.method == "POST":
        for kind in Kind.values:
            NotificationPreference.objects.update_or_create(
                user=request.user, kind=kind,
                defaults={"in_app": request.POST.get(f"{kind}-in_app") == "on",
                          "email": request.POST.get(f"{kind}-email") == "on"})
        messages.success(request, "Your notification choices are saved.")
        return redirect("notifications:preferences")
    rows = [{"kind": kind, "label": label, "in_app": chosen[kind].in_app if kind in chosen else True,
             "email": chosen[kind].email if kind in chosen else True} for kind, label in Kind.choices]
    return render_page(request, "notifications/preferences.html", {"rows": rows, "has_email": bool(request.user.email)})
