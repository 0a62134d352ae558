"""The term calendar (dates and holidays per academic year and semester) and the organization's time zone."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect

from timetabling.web.academics import models as am
from timetabling.web.academics.changes import record_change
from timetabling.web.academics.terms import TermForm, TimeZoneForm
from timetabling.web.accounts.models import CAN_EDIT_DATA, Membership
from timetabling.web.pages.access import page
from timetabling.web.pages.views.common import render_page


@page(roles=CAN_EDIT_DATA)
def terms(request: HttpRequest, membership: Membership, term_id: int | None = None) -> HttpResponse:
    org = membership.organization
    term = None
    if term_id is not None:
        term = am.Term.objects.filter(organization=org, pk=term_id).first()
        if term is None:
            raise Http404("no such term")
    zone_form = TimeZoneForm(instance=org)
    form = TermForm(instance=term)
    if request.method == "POST" and request.POST.get("form") == "time_zone":
        before = org.time_zone
        zone_form = TimeZoneForm(request.POST, instance=org)
        if zone_form.is_valid():
            zone_form.save()
            record_change(org, request.user, "organization", org, "updated",
                          {"time_zone": [before, org.time_zone]} if before != org.time_zone else {})
            messages.success(request, "Time zone saved.")
            return redirect("pages:terms")
    elif request.method == "POST":
        form = TermForm(request.POST, instance=term or am.Term(organization=org))
        if form.is_valid():
            duplicate = am.Term.objects.filter(organization=org, academic_year=form.cleaned_data["academic_year"],
                                               semester=form.cleaned_data["semester"]).exclude(pk=form.instance.pk)
            if duplicate.exists():
                form.add_error("semester", "this academic year already has a term for this semester")
            else:
                saved = form.save()
                messages.success(request, f"Term {saved.academic_year} semester {saved.semester} saved.")
                return redirect("pages:terms")
    return render_page(request, "pages/terms.html", {
        "terms": am.Term.objects.filter(organization=org), "form": form, "zone_form": zone_form, "term": term,
    }, status=400 if form.errors or zone_form.errors else 200)
