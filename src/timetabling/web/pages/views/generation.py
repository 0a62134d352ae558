"""New generation, and its live status with a Cancel button."""

from __future__ import annotations

import os
from datetime import date

from django import forms
from django.conf import settings
from django.contrib import messages
from django.core.validators import MaxValueValidator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils import timezone
from django.views.decorators.http import require_POST

from timetabling.engine.diagnostics import diagnose, errors
from timetabling.engine.errors import InputError
from timetabling.engine.pipeline import VARIANT_PROFILES
from timetabling.engine.priorities import CRITERIA, PROFILE_NAME_MAX
from timetabling.service.limits import MIN_TIME_LIMIT_S, TIME_LIMIT_CEILING_S
from timetabling.service.signing import progress_token
from timetabling.web.academics import models as am
from timetabling.web.academics.instance import build_instance
from timetabling.web.accounts.models import CAN_GENERATE, STAFF_ROLES, Membership
from timetabling.web.pages.access import page
from timetabling.web.pages.views.common import job_of, render_page, timetable_of
from timetabling.web.scheduling import priorities as chosen_priorities
from timetabling.web.scheduling import repair_jobs, services, submission
from timetabling.web.scheduling.errors import Refused
from timetabling.web.scheduling.models import FINAL_STATUSES, GenerationJob, JobStatus, PriorityProfile, Timetable

MAX_VARIANTS = len(VARIANT_PROFILES)
CUSTOM = "__custom__"  # the form's choice "the weights below"


def priorities(name: str) -> str:
    """What a variant profile favours, in words."""
    weights = VARIANT_PROFILES[name]
    if not weights:
        return "the university's own weights"
    return ", ".join(f"{rule.value.replace('_', ' ')} x{w}" for rule, w in weights.items())


def default_academic_year(today: date) -> tuple[str, int]:
    """Indian academic years start in July: odd semesters from July, even ones from January."""
    first = today.year if today.month >= 7 else today.year - 1
    return f"{first}-{(first + 1) % 100:02d}", 1 if today.month >= 7 else 2


class GenerationForm(forms.Form):
    academic_year = forms.RegexField(regex=r"^\d{4}-\d{2}(\d{2})?$", max_length=9, help_text="for example 2026-27",
                                     error_messages={"invalid": "write the academic year as 2026-27"})
    semester = forms.IntegerField(min_value=1, max_value=12)
    departments = forms.ModelMultipleChoiceField(queryset=am.Department.objects.none(), required=False,
                                                 widget=forms.CheckboxSelectMultiple,
                                                 help_text="none ticked: every department")
    variant_count = forms.IntegerField(min_value=1, max_value=MAX_VARIANTS, label="Number of variants")
    time_limit = forms.IntegerField(min_value=int(MIN_TIME_LIMIT_S), max_value=int(TIME_LIMIT_CEILING_S),
                                    label="Time limit (seconds)")

    def __init__(self, org: am.Organization, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["departments"].queryset = am.Department.objects.filter(organization=org).order_by("code")
        cap = int(settings.MAX_TIME_LIMIT)  # the deployment's cap, the same the API and the engine enforce
        self.fields["time_limit"].max_value = cap
        self.fields["time_limit"].validators.append(MaxValueValidator(cap))
        self.fields["time_limit"].widget.attrs["max"] = cap
        choices = [(name, f"{name} ({priorities(name)})") for name in VARIANT_PROFILES]
        for i in range(MAX_VARIANTS):
            self.fields[f"variant_{i + 1}"] = forms.ChoiceField(choices=choices, required=False,
                                                               label=f"Variant {i + 1} priority")

        profiles = dict(PriorityProfile.objects.filter(organization=org).values_list("name", "weights"))
        self.fields["priorities"] = forms.ChoiceField(
            required=False, label="Chosen priorities",
            choices=[("", "none: the preset variants only"), (CUSTOM, "the weights below, as one more variant"),
                     *((name, f"saved profile: {name}") for name in profiles)])
        # for priorities.js: choosing a saved profile shows its weights, the usual one where it gives none
        self.profile_weights = {"custom": CUSTOM, "usual": {c.rule.value: c.default for c in CRITERIA},
                                "profiles": profiles}
        for c in CRITERIA:
            self.fields[f"weight_{c.rule.value}"] = forms.IntegerField(
                min_value=c.low, max_value=c.high, required=False, initial=c.default, label=c.title,
                help_text=f"{c.meaning} ({c.low}-{c.high}; 0 switches it off; usual {c.default})")
        self.fields["save_as"] = forms.CharField(
            required=False, max_length=PROFILE_NAME_MAX, label="Save these weights as",
            help_text="a name to use them again (replaces a saved profile of that name)")

    def variant_fields(self) -> list[forms.BoundField]:
        return [self[f"variant_{i + 1}"] for i in range(MAX_VARIANTS)]

    def weight_fields(self) -> list[forms.BoundField]:
        return [self[f"weight_{c.rule.value}"] for c in CRITERIA]

    def weights(self) -> dict[str, int]:
        """The criteria whose weight was given (after ``is_valid``)."""
        data = self.cleaned_data
        return {c.rule.value: data[f"weight_{c.rule.value}"] for c in CRITERIA
                if data.get(f"weight_{c.rule.value}") is not None}

    def clean(self) -> dict:
        data = super().clean()
        count = data.get("variant_count") or 0
        chosen = [data.get(f"variant_{i + 1}") for i in range(count)]
        if any(not c for c in chosen):
            raise forms.ValidationError("choose a priority for every variant")
        if len(set(chosen)) != len(chosen):
            raise forms.ValidationError("each variant needs a different priority")
        data["variants"] = chosen
        return data


def _initial() -> dict:
    year, semester = default_academic_year(timezone.localdate())
    defaults = [v for v in settings.GENERATION_VARIANTS if v in VARIANT_PROFILES] or list(VARIANT_PROFILES)[:1]
    rest = [v for v in VARIANT_PROFILES if v not in defaults]
    initial = {"academic_year": year, "semester": semester, "variant_count": len(defaults),
               "time_limit": int(settings.GENERATION_TIME_LIMIT)}
    for i, name in enumerate([*defaults, *rest][:MAX_VARIANTS]):
        initial[f"variant_{i + 1}"] = name
    return initial


@page(roles=CAN_GENERATE)
def new_generation(request: HttpRequest, membership: Membership) -> HttpResponse:
    org = membership.organization
    form = GenerationForm(org, request.POST or None, initial=_initial())
    status = 200
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            try:
                if data.get("save_as"):
                    saved = chosen_priorities.save_profile(org, data["save_as"], form.weights(), request.user)
                    choice = saved.name if data.get("priorities") == CUSTOM else data.get("priorities")
                else:
                    choice = data.get("priorities")
                chosen = (chosen_priorities.chosen(org, weights=form.weights()) if choice == CUSTOM
                          else chosen_priorities.chosen(org, profile=choice or None))
                job = services.start_generation(
                    org, request.user, data["academic_year"], data["semester"],
                    [d.pk for d in data["departments"]], (), data["variants"], float(data["time_limit"]),
                    priorities=chosen,
                )
            except Refused as err:
                form.add_error(None, err.message)
                status = err.status
            else:
                return redirect("pages:status", job_id=job.id)
        else:
            status = 400
    return render_page(request, "pages/generation_new.html", {"form": form}, status=status)


def engine_public_url() -> str:
    """Where the browser reaches the engine service (its WebSocket); behind a proxy it differs from the
    address the web backend uses, hence its own variable."""
    return os.environ.get("TIMETABLE_ENGINE_PUBLIC_URL", settings.ENGINE_URL).rstrip("/")


MAX_FINDINGS = 10


def diagnosis(job: GenerationJob) -> list[str]:
    """Why a failed job's data cannot be scheduled, in the engine's words: the problems its model rules find,
    else the errors of its diagnostics (``timetable check-instance``), on today's data of the job's selection.
    Empty for a job that did not fail, and when the data shows no reason."""
    if job.status != JobStatus.FAILED:
        return []
    meta = job.metadata
    try:
        instance = build_instance(job.organization, meta.get("department_ids") or (), meta.get("batch_ids") or ())
    except InputError as err:
        return err.problems[:MAX_FINDINGS]
    return [f"{f.entity}: {f.message}" for f in errors(diagnose(instance))][:MAX_FINDINGS]


@page(roles=STAFF_ROLES)
def status(request: HttpRequest, membership: Membership, job_id: str) -> HttpResponse:
    submission.retry_due(membership.organization)  # a job waiting for the engine is offered to it when due
    job = job_of(membership, job_id)
    base = engine_public_url()
    ws_url = base.replace("https://", "wss://", 1).replace("http://", "ws://", 1) + f"/ws/progress/{job.id}"
    # the browser never holds the engine's credential: a token for this job's progress only, for minutes
    ws_token = progress_token(str(job.id), settings.ENGINE_SHARED_SECRET)
    repair = repair_jobs.is_repair(job)
    if repair:  # it runs in the web process, which the page polls: the engine knows nothing of it
        ws_url = ws_token = ""
    return render_page(request, "pages/generation_status.html", {
        "job": job, "final": job.status in FINAL_STATUSES, "phase": job.metadata.get("phase", ""),
        "eta": job.metadata.get("eta_seconds"), "ws_url": ws_url, "ws_token": ws_token,
        "poll_url": f"/api/timetable/progress/{job.id}/",
        "variants": Timetable.objects.filter(generation_job=job).order_by("id"), "diagnosis": diagnosis(job),
        "engine_wait": job.metadata.get("engine_wait") if submission.is_waiting(job) else None,
        "rerun_of": job.metadata.get("rerun_of"), "repair": repair,
        "priorities": chosen_priorities.shown(job.metadata),
        "repaired": Timetable.objects.filter(organization=job.organization,
                                             pk=job.metadata.get("source_timetable")).first() if repair else None,
    })


@require_POST
@page(roles=CAN_GENERATE)
def repair(request: HttpRequest, membership: Membership, timetable_id: int) -> HttpResponse:
    """Start a repair job of the version for today's data; its status page follows."""
    source = timetable_of(membership, timetable_id)
    try:
        job = repair_jobs.start_repair(source, request.user)
    except Refused as err:
        messages.error(request, err.message)
        return redirect("pages:dashboard")
    return redirect("pages:status", job_id=job.id)


@require_POST
@page(roles=CAN_GENERATE)
def rerun(request: HttpRequest, membership: Membership, job_id: str) -> HttpResponse:
    """A new job with this finished job's parameters; its status page follows."""
    job = job_of(membership, job_id)
    try:
        again = services.rerun_generation(job, request.user)
    except Refused as err:
        messages.error(request, err.message)
        return redirect("pages:status", job_id=job.id)
    return redirect("pages:status", job_id=again.id)


@require_POST
@page(roles=CAN_GENERATE)
def cancel(request: HttpRequest, membership: Membership, job_id: str) -> HttpResponse:
    job = job_of(membership, job_id)
    try:
        services.cancel_generation(job)
    except Refused as err:
        messages.error(request, err.message)
    else:
        messages.info(request, "Cancel requested: the engine stops at its next checkpoint.")
    return redirect("pages:status", job_id=job.id)
