"""The sample university's spreadsheets (shipped in ``timetabling/data/sample_university``), the order in which
academic data must be loaded, and the getting-started checklist that the dashboard shows a new organization.

The load order is the upload tables' own order (``uploads.TABLES``): each kind refers only to kinds before it."""

from __future__ import annotations

import csv
import io
import zipfile
from dataclasses import dataclass
from importlib.resources import files
from importlib.resources.abc import Traversable

from django.urls import reverse
from openpyxl import Workbook
from openpyxl.styles import Font

from timetabling.web.academics import models as am
from timetabling.web.pages.uploads import TABLES
from timetabling.web.scheduling.models import GenerationJob, JobStatus, Timetable, TimetableStatus

SAMPLE_ZIP_NAME = "sample-university.zip"
# upload columns that name records of another kind (the kinds that must be loaded before)
_REFERS_TO = {"department": "departments", "faculty": "faculty", "batch": "batches", "batches": "batches",
              "electives": "courses"}


def sample_dir() -> Traversable:
    return files("timetabling") / "data" / "sample_university"


def sample_files() -> dict[str, Traversable]:
    """The sample CSV of each upload kind, in load order: ``{"departments": <1-departments.csv>, ...}``."""
    found = {f.name.split("-", 1)[1].removesuffix(".csv"): f for f in sample_dir().iterdir() if f.name.endswith(".csv")}
    return {kind: found[kind] for kind in TABLES if kind in found}


@dataclass(frozen=True)
class LoadStep:
    number: int
    kind: str
    title: str
    needs: tuple[str, ...]  # titles of the kinds this one refers to
    sample: str  # the sample file's name
    loaded: int  # records of this kind the organization has


def load_order(org: am.Organization) -> list[LoadStep]:
    """Every upload kind in the order it must be loaded, with what it needs and what is loaded already."""
    samples = sample_files()
    steps = []
    for number, (kind, table) in enumerate(TABLES.items(), start=1):
        needs = tuple(dict.fromkeys(TABLES[_REFERS_TO[c.name]].title for c in table.columns if c.name in _REFERS_TO))
        sample = samples[kind].name if kind in samples else ""
        steps.append(LoadStep(number, kind, table.title, needs, sample,
                              table.model.objects.filter(organization=org).count()))
    return steps


def _xlsx(title: str, rows: list[list[str]]) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.title = title
    for row in rows:
        sheet.append(row)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def sample_zip() -> bytes:
    """The sample spreadsheets as CSV and Excel, numbered in load order, with a README saying the order."""
    out = io.BytesIO()
    lines = ["A small university to try the system with: load these files in this order on the Academic data",
             "pages (each kind's page has an Upload form). CSV and Excel hold the same rows; upload either.", ""]
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for number, (kind, path) in enumerate(sample_files().items(), start=1):
            data = path.read_bytes()
            stem = path.name.removesuffix(".csv")
            archive.writestr(f"sample-university/{path.name}", data)
            rows = list(csv.reader(io.StringIO(data.decode("utf-8"))))
            archive.writestr(f"sample-university/{stem}.xlsx", _xlsx(TABLES[kind].title, rows))
            lines.append(f"{number}. {TABLES[kind].title}: {path.name} (or {stem}.xlsx), {len(rows) - 1} rows")
        lines += ["", "Then: New generation, wait for it to finish, Compare, Review, Approve.",
                  "The walk-through: docs/tutorial.md in the project."]
        archive.writestr("sample-university/README.txt", "\n".join(lines) + "\n")
    return out.getvalue()


# ------------------------------------------------------------------------------------------ getting started


@dataclass(frozen=True)
class Step:
    title: str
    done: bool
    what: str  # what it needs, or what is there
    links: tuple[tuple[str, str], ...]  # (label, url)


def getting_started(org: am.Organization) -> list[Step]:
    """The four steps from data to a published timetable, each ticked from what the database holds."""
    order = load_order(org)
    missing = [s.title.lower() for s in order if not s.loaded and s.kind != "students"]
    loaded = ", ".join(f"{s.loaded} {s.title.lower()}" for s in order)
    jobs = GenerationJob.objects.filter(organization=org)
    completed = jobs.filter(status=JobStatus.COMPLETED).order_by("-created_at").first()
    published = Timetable.objects.filter(organization=org, status=TimetableStatus.PUBLISHED).first()
    ever_approved = published is not None or Timetable.objects.filter(
        organization=org, status=TimetableStatus.ARCHIVED, generation_job__metadata__review__action="approved",
    ).exists()
    first_batch = am.Batch.objects.filter(organization=org).order_by("code").first()
    return [
        Step("Check or load your data", not missing,
             f"Loaded: {loaded}." + (f" Still needed: {', '.join(missing)}." if missing else ""),
             (("Order to load the spreadsheets", reverse("pages:load_order")),
              ("Sample spreadsheets (.zip)", reverse("pages:sample_zip")),
              ("Academic data", reverse("pages:data_list", args=[order[0].kind])))),
        Step("Generate timetables", completed is not None,
             "A generation makes several variants with no clash; it needs the data of step 1."
             + ("" if completed is None else f" Last finished: {completed.created_at:%Y-%m-%d %H:%M}."),
             (("New generation", reverse("pages:new_generation")),)),
        Step("Review and approve", ever_approved,
             "Compare the variants, open one to see its week grids and the checker's findings, then approve it: "
             "approving publishes it.",
             (("Compare the last generation's variants", reverse("pages:compare", args=[completed.id])),)
             if completed else ()),
        Step("See the published timetables", published is not None,
             "Every batch, faculty member, room and student then has its own timetable, with exports.",
             (("A batch's published timetable", reverse("pages:published", args=["batch", first_batch.pk])),)
             if published and first_batch else ()),
    ]
