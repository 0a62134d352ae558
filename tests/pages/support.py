"""Builders for the page tests: a finished generation job with its variants, and file bodies to upload."""

from __future__ import annotations

import io
import json
from typing import Any

from django.test import Client
from openpyxl import Workbook
from pypdf import PdfReader

from tests.web.support import CALLBACK_URL, callback_body, signed_headers
from timetabling.web.academics import models as am
from timetabling.web.scheduling.models import GenerationJob, JobStatus, Timetable


def finished_job(client: Client, org: am.Organization, **body: Any) -> tuple[GenerationJob, list[Timetable]]:
    """A job of ``org`` completed through the engine's real callback, with two variants."""
    job = GenerationJob.objects.create(organization=org, academic_year="2026-27", semester=1,
                                       status=JobStatus.RUNNING, progress=40)
    payload = json.dumps({**callback_body(job.id, org), **body}).encode()
    response = client.post(CALLBACK_URL, data=payload, content_type="application/json", **signed_headers(payload))
    assert response.status_code == 200, response.content
    job.refresh_from_db()
    return job, list(Timetable.objects.filter(generation_job=job).order_by("id"))


def csv_bytes(rows: list[list[str]]) -> bytes:
    return "\n".join(",".join(r) for r in rows).encode()


def xlsx_bytes(rows: list[list[Any]]) -> bytes:
    book = Workbook()
    for r in rows:
        book.active.append(r)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def pdf_text(data: bytes) -> str:
    """The text of every page of a PDF, as a maintained PDF library extracts it."""
    reader = PdfReader(io.BytesIO(data))
    return " ".join(page.extract_text() or "" for page in reader.pages)
