"""What every page's template gets, and the lookups every view needs, scoped to the member's organization."""

from __future__ import annotations

from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from timetabling.web.accounts.models import Membership
from timetabling.web.pages.access import abilities
from timetabling.web.scheduling.models import GenerationJob, Timetable
from timetabling.web.scheduling.services import find_job


def render_page(request: HttpRequest, template: str, context: dict[str, Any] | None = None,
                status: int = 200) -> HttpResponse:
    membership = getattr(request, "membership", None)
    base = {"membership": membership, "organization": membership.organization if membership else None,
            **abilities(membership)}
    return render(request, template, {**base, **(context or {})}, status=status)


MAX_ID = 2**63 - 1  # the largest primary key a database row can have


def record_id(value: str, name: str) -> int:
    """A record id from a query string: ASCII digits, 1 to ``MAX_ID``; 404 naming ``name`` for anything else
    (``²`` and ``٣`` are digits to ``str.isdigit``, the first is not even a number to ``int``)."""
    if not (value.isascii() and value.isdigit()) or len(value) > 19 or not 0 < int(value) <= MAX_ID:
        raise Http404(f"no such {name}: '{value[:40]}' is not a record id")
    return int(value)


def job_of(membership: Membership, job_id: Any) -> GenerationJob:
    """The job if it is the member's organization's; 404 for anything else."""
    job = find_job(membership.organization, job_id)
    if job is None:
        raise Http404("no such job")
    return job


def timetable_of(membership: Membership, timetable_id: Any) -> Timetable:
    timetable = (Timetable.objects.select_related("generation_job", "organization")
                 .filter(pk=timetable_id, organization=membership.organization).first())
    if timetable is None:
        raise Http404("no such timetable")
    return timetable
