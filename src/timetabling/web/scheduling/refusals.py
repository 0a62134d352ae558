"""When the web backend refuses the engine's messages for a wrong signature: say so on the job.

A callback signed under another secret cannot be told apart from a forged one: the web backend answers
403 and stores nothing from it. It only keeps a note on the job the body names, and only for a job that is
queued or running; the note shows on the job once the job has otherwise gone silent:

- any message that *is* signed correctly (progress or result) clears the note (``clear``), so a forger
  cannot mark a job that the engine is still reporting on;
- after ``PHASE_AFTER_S`` of refused messages the job's phase says why (the status page shows it);
- a refused *result*, delivered again ``FAIL_AFTER_TRIES`` times over at least ``FAIL_AFTER_S`` (the engine
  keeps it in its outbox and sends it again with backoff), fails the job with ``REFUSED_MESSAGE``, which
  frees the organization's job slot. The failure keeps ``result_may_follow``: once the secrets agree, the
  engine's next delivery of the kept result is stored, once.

Job ids are random UUIDs that only the job's organization sees, so nobody else can even name a job; the
worst a person holding one can do is end that job early, and its real result still lands afterwards.
"""

from __future__ import annotations

import logging
import uuid
from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone

from timetabling.web.scheduling.models import ACTIVE_STATUSES, GenerationJob, JobStatus
from timetabling.web.scheduling.submission import finish_without_result, is_waiting

log = logging.getLogger(__name__)

REFUSED_MESSAGE = "the web backend refused the engine's result: the shared secret differs (TIMETABLE_ENGINE_SECRET)"
REFUSED_PHASE = "the web backend refuses the engine's messages: the shared secret differs (TIMETABLE_ENGINE_SECRET)"
NOTE = "refused_callback"
FAIL_AFTER_TRIES = 4  # refused deliveries of a result (the engine's 1st try and retries after 0.5, 1, 2 s ...)
FAIL_AFTER_S = 3.0  # ... spread over at least this long
PHASE_AFTER_S = 10.0
FINAL_STATUSES = ("completed", "failed", "cancelled")


def note_refused(body: Any) -> None:
    """Record one refused callback (its parsed body, unverified) on the job it names; fail the job once its
    result has been refused often enough. Never raises on a body it cannot use."""
    if not isinstance(body, dict):
        return
    try:
        key = uuid.UUID(str(body.get("job_id")))
    except ValueError:
        return
    final = body.get("status") in FINAL_STATUSES
    with transaction.atomic():
        job = GenerationJob.objects.select_for_update().filter(pk=key, status__in=ACTIVE_STATUSES).first()
        if job is None or is_waiting(job):
            return
        now = timezone.now()
        note = dict(job.metadata.get(NOTE) or {"first": now.isoformat(), "tries": 0, "results": 0})
        note["tries"] += 1
        note["results"] += int(final)
        note["last"] = now.isoformat()
        silent_s = (now - datetime.fromisoformat(note["first"])).total_seconds()
        if note["results"] >= FAIL_AFTER_TRIES and silent_s >= FAIL_AFTER_S:
            log.error("job %s: %s (%d refused deliveries over %.0f s); the job fails, and the result is still "
                      "stored if the engine delivers it once the secrets agree", job.id, REFUSED_MESSAGE,
                      note["tries"], silent_s)
            finish_without_result(job, JobStatus.FAILED, REFUSED_MESSAGE, result_may_follow=True)
            return
        metadata = {**job.metadata, NOTE: note}
        if silent_s >= PHASE_AFTER_S:
            metadata["phase"] = REFUSED_PHASE
        job.metadata = metadata
        job.save(update_fields=["metadata"])  # not updated_at: the job has not been heard of


def clear(metadata: dict[str, Any]) -> dict[str, Any]:
    """The job's metadata without the note (a correctly signed message arrived)."""
    if NOTE not in metadata:
        return metadata
    return {k: v for k, v in metadata.items() if k != NOTE}
