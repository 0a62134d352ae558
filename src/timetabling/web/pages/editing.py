"""Editing academic data on the pages: one form per kind, the engine's model rules run before anything is kept
(the upload's check, :func:`engine_problems`), every change recorded as a :class:`ChangeRecord` (old -> new),
and what a deletion would take out of published timetables said before it happens."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django import forms
from django.db import models, transaction

from timetabling.web.academics import models as am
from timetabling.web.academics.changes import record_change
from timetabling.web.academics.grid import organization_grid
from timetabling.web.pages.uploads import TABLES, Table, engine_problems
from timetabling.web.pages.widgets import AVAILABILITY_LEVELS, FACULTY_LEVELS, WeekGridField


@dataclass(frozen=True)
class Kind:
    """One kind of academic record the pages edit: its model, title and form fields."""

    kind: str
    model: type[am.OrgScoped]
    title: str
    fields: tuple[str, ...]
    grid: str = ""  # the field its week grid edits: ``preferences`` (levels) or ``unavailable`` (on/off)
    bulk: tuple[str, ...] = ()  # fields a bulk edit may set on selected rows

    @property
    def table(self) -> Table | None:
        """The upload table (and the engine's name) of this kind; None for programs, which the engine does
        not check."""
        return TABLES.get(self.kind)

    @property
    def singular(self) -> str:
        return str(self.model._meta.verbose_name)


KINDS: dict[str, Kind] = {k.kind: k for k in (
    Kind("departments", am.Department, "Departments", ("code", "name", "school")),
    Kind("programs", am.Program, "Programs", ("code", "name", "department", "level", "duration_years"),
         bulk=("department",)),
    Kind("batches", am.Batch, "Batches", ("code", "name", "department", "program", "year", "section", "size"),
         bulk=("department", "program", "year")),
    Kind("courses", am.Course, "Courses", (
        "code", "name", "course_code", "department", "kind", "credits", "sessions_per_week", "session_length",
        "min_days", "max_per_day", "room_type", "size", "faculty", "batches"),
        grid="unavailable", bulk=("department", "kind", "room_type", "sessions_per_week")),
    Kind("faculty", am.Faculty, "Faculty", (
        "code", "name", "department", "max_hours_per_week", "max_hours_per_day", "max_consecutive"),
        grid="preferences", bulk=("department", "max_hours_per_week", "max_hours_per_day")),
    Kind("rooms", am.Room, "Rooms", ("code", "name", "capacity", "room_type", "building", "department", "shared"),
         grid="unavailable", bulk=("department", "room_type", "capacity", "building", "shared")),
    Kind("students", am.Student, "Students", ("code", "name", "batch", "electives"), bulk=("batch",)),
)}


class RecordForm(forms.ModelForm):
    """A record of the member's organization: choices of related records come from it alone, and a code
    is unique in it."""

    def __init__(self, *args: Any, organization: am.Organization, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.organization = organization
        for field in self.fields.values():
            queryset = getattr(field, "queryset", None)
            if queryset is not None and issubclass(queryset.model, am.OrgScoped):
                field.queryset = queryset.model.objects.filter(organization=organization).order_by("code")
                field.label_from_instance = str
        if "preferences" in self.fields:
            self.fields["preferences"] = WeekGridField(organization_grid(organization), FACULTY_LEVELS,
                                                      required=False, label="Availability and preferences")
        if "unavailable" in self.fields:
            self.fields["unavailable"] = WeekGridField(organization_grid(organization), AVAILABILITY_LEVELS,
                                                      required=False, label="Availability")

    def clean_preferences(self) -> Any:
        value = self.cleaned_data.get("preferences")
        return self.instance.preferences if value is None else value

    def clean_unavailable(self) -> Any:
        value = self.cleaned_data.get("unavailable")
        return self.instance.unavailable if value is None else value

    def clean_code(self) -> str:
        code = self.cleaned_data["code"].strip()
        taken = type(self.instance).objects.filter(organization=self.organization, code=code)
        if taken.exclude(pk=self.instance.pk).exists():
            raise forms.ValidationError(f"another {self.instance._meta.verbose_name} has the code '{code}'")
        return code


def form_class(kind: Kind, fields: Iterable[str] | None = None) -> type[RecordForm]:
    names = list(fields or kind.fields) + ([kind.grid] if kind.grid and fields is None else [])
    return forms.modelform_factory(kind.model, form=RecordForm, fields=names)


# ------------------------------------------------------------------------------------------ history


def _words(value: Any) -> Any:
    """A field's value as the history shows it: codes for records, sorted codes for sets."""
    if isinstance(value, am.OrgScoped):
        return value.code
    if isinstance(value, models.Model):
        return str(value)
    return value


def _cells_in_words(org_id: int | None, cells: Any) -> Any:
    """A week grid's stored cells as people read them: ``Mon P1 09:00 prohibited; ...`` (``unavailable`` cells
    without a level); what is not a list of cells stays as it is."""
    if not isinstance(cells, list) or org_id is None:
        return cells
    grid = organization_grid(am.Organization(pk=org_id))
    words = []
    for c in cells:
        if not (isinstance(c, list | tuple) and len(c) >= 2 and isinstance(c[0], int) and isinstance(c[1], int)):
            return cells
        day = grid.days[c[0]] if 0 <= c[0] < grid.n_days else f"day {c[0]}"
        period = grid.periods[c[1]] if 0 <= c[1] < grid.n_periods else None
        where = f"{day} {period.name} {period.start:%H:%M}" if period else f"{day} period {c[1]}"
        words.append(f"{where} {str(c[2]).replace('_', ' ')}" if len(c) >= 3 else where)
    return "; ".join(words) or "none"


def snapshot(obj: models.Model, names: Iterable[str]) -> dict[str, Any]:
    """The record's stored values of ``names`` (related records by code; week grid cells in words), for an
    old -> new comparison."""
    out: dict[str, Any] = {}
    for name in names:
        if name in ("preferences", "unavailable"):
            out[name] = _cells_in_words(getattr(obj, "organization_id", None), getattr(obj, name))
            continue
        field = obj._meta.get_field(name)
        if field.many_to_many:
            out[name] = sorted(getattr(obj, name).values_list("code", flat=True)) if obj.pk else []
        else:
            out[name] = _words(getattr(obj, name))
    return out


def differences(before: dict[str, Any], after: dict[str, Any]) -> dict[str, list[Any]]:
    return {k: [before.get(k), v] for k, v in after.items() if before.get(k) != v}


# ------------------------------------------------------------------------------------------ saving


def _engine_errors(org: am.Organization, kind: Kind, codes: dict[str, int]) -> list[tuple[str, str, str]]:
    """(code, field, reason) for every engine model rule the saved records break (as ``check-instance``)."""
    if kind.table is None:
        return []
    row_code = {row: code for code, row in codes.items()}
    return [(row_code[p.row], p.column, p.reason) for p in engine_problems(org, kind.table, codes)]


def save_form(org: am.Organization, user: Any, kind: Kind, form: RecordForm) -> bool:
    """Store a valid form's record if the engine's model rules accept the organization's data with it; else
    nothing is stored and each reason is added to the form, next to its field. Records the change."""
    names = list(form.fields)
    is_new = form.instance.pk is None
    stored = kind.model.objects.get(pk=form.instance.pk) if not is_new else kind.model()
    before = snapshot(stored, names) if not is_new else {}
    with transaction.atomic():
        obj = form.save(commit=False)
        obj.organization = org
        obj.save()
        form.save_m2m()
        problems = _engine_errors(org, kind, {obj.code: 1})
        if problems:
            transaction.set_rollback(True)
            if is_new:
                form.instance.pk = None
            for _, field, reason in problems:
                form.add_error(field if field in form.fields else None,
                               reason if field in form.fields else f"{field}: {reason}")
            return False
        record_change(org, user, kind.kind, obj, "created" if is_new else "updated",
                      differences(before, snapshot(obj, names)))
    return True


def bulk_update(org: am.Organization, user: Any, kind: Kind, ids: Iterable[int], field: str,
                form: RecordForm) -> tuple[int, list[str]]:
    """Set ``field`` to the form's value on the selected records, all or none: (how many changed, problems
    in words naming each refused record)."""
    value = form.cleaned_data[field]
    records = list(kind.model.objects.filter(organization=org, pk__in=list(ids)))
    changed = 0
    with transaction.atomic():
        befores = {r.pk: snapshot(r, [field]) for r in records}
        for record in records:
            setattr(record, field, value)
            record.save(update_fields=[field])
        problems = _engine_errors(org, kind, {r.code: i + 1 for i, r in enumerate(records)})
        if problems:
            transaction.set_rollback(True)
            return 0, [f"{code}, {name}: {reason}" for code, name, reason in problems]
        for record in records:
            if record_change(org, user, kind.kind, record, "updated",
                             differences(befores[record.pk], snapshot(record, [field]))):
                changed += 1
    return changed, []


# ------------------------------------------------------------------------------------------ deleting

# the published sessions that use a record of each kind
_SLOT_FILTER = {"courses": "course", "faculty": "faculty", "rooms": "room", "batches": "batch",
                "departments": "course__department", "programs": "batch__program"}


@dataclass(frozen=True)
class Affected:
    timetable: str  # "name (2026-27, semester 1)"
    sessions: int


def delete_impact(kind: Kind, obj: am.OrgScoped) -> list[Affected]:
    """How many sessions of which published timetables use the record (a student's: their electives')."""
    from timetabling.web.scheduling.models import Timetable, TimetableSlot, TimetableStatus

    slots = TimetableSlot.objects.filter(timetable__status=TimetableStatus.PUBLISHED,
                                         timetable__organization_id=obj.organization_id)
    if kind.kind == "students":
        slots = slots.filter(course__in=obj.electives.all())
    else:
        slots = slots.filter(**{_SLOT_FILTER[kind.kind]: obj})
    out = []
    for timetable in Timetable.objects.filter(pk__in=slots.values("timetable_id")).order_by("name", "pk"):
        sessions = slots.filter(timetable=timetable).values("course_id", "session").distinct().count()
        out.append(Affected(f"{timetable.name} ({timetable.academic_year}, semester {timetable.semester})",
                            sessions))
    return out


def delete_record(org: am.Organization, user: Any, kind: Kind, obj: am.OrgScoped) -> None:
    names = list(kind.fields)
    before = snapshot(obj, names)
    pk = obj.pk
    with transaction.atomic():
        obj.delete()
        obj.pk = pk
        record_change(org, user, kind.kind, obj, "deleted", {k: [v, None] for k, v in before.items()})
