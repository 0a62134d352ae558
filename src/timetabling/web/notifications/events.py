"""The workflow's moments that people are told about; called by ``scheduling``. None of them may break the job
or the request that triggers it: a failure here is logged, never raised."""

from __future__ import annotations

import logging

from django.db import transaction

from timetabling.engine.model import Solution
from timetabling.web.notifications import outbox, rules
from timetabling.web.notifications.models import ChangeNotice
from timetabling.web.scheduling.models import GenerationJob, Timetable, TimetableStatus

log = logging.getLogger(__name__)


def job_finished(job: GenerationJob) -> None:
    """A job completed, failed or was cancelled: tell who started it, and the approvers when it completed."""
    try:
        with transaction.atomic():
            outbox.deliver(rules.job_finished(job))
    except Exception:
        log.exception("notifications of job %s could not be stored", job.pk)


def published_before(timetable: Timetable) -> Timetable | None:
    """The version of the timetable's scope published now, which publishing ``timetable`` replaces."""
    from timetabling.web.scheduling.versions import same_scope

    return (Timetable.objects.filter(same_scope(timetable), status=TimetableStatus.PUBLISHED)
            .exclude(pk=timetable.pk).first())


def timetable_published(timetable: Timetable, previous: Timetable | None) -> None:
    """Inside the publishing transaction: note the publication; the worker tells the people concerned."""
    try:
        with transaction.atomic():  # a savepoint: a failure here leaves the publication itself alone
            ChangeNotice.objects.create(timetable=timetable, previous=previous)
    except Exception:
        log.exception("the publication of timetable %s could not be noted for notifications", timetable.pk)
        return
    transaction.on_commit(outbox.worker.ensure_running)


def change_messages(timetable: Timetable, previous: Timetable | None) -> list[rules.Message]:
    """The engine's diff of the two versions, as a message per person with an account whose sessions changed."""
    from timetabling.engine.repair import diff
    from timetabling.web.scheduling import reports

    instance = reports.instance_of(timetable)
    old = reports.solution_of(previous) if previous is not None else Solution(instance=instance.name)
    changes = diff(instance, old, reports.solution_of(timetable))
    return rules.timetable_changed(timetable, previous, instance, changes)
