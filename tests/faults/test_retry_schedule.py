"""The backoff schedules: submitting a job to an engine that is down, and delivering a result to a web
backend that is down."""

from __future__ import annotations

import pytest
from django.test import override_settings

from timetabling.service.callback import redelivery_delay
from timetabling.web.scheduling import retry


def test_a_waiting_job_is_offered_again_after_5_15_45_s_and_then_every_5_min() -> None:
    delays = [retry.delay_after(n, retry.DEFAULT_DELAYS) for n in range(1, len(retry.DEFAULT_DELAYS) + 1)]
    assert delays[:4] == [5, 15, 45, 135]
    assert set(delays[4:]) == {300}
    assert delays == sorted(delays)


def test_the_job_fails_once_the_delays_are_spent() -> None:
    assert retry.delay_after(len(retry.DEFAULT_DELAYS) + 1, retry.DEFAULT_DELAYS) is None
    assert retry.delay_after(3, (1, 2)) is None
    assert retry.retry_budget_s((5, 15, 45)) == 65


def test_failures_are_counted_from_one() -> None:
    with pytest.raises(ValueError, match="from 1"):
        retry.delay_after(0, (5,))


def test_the_delays_come_from_the_settings_then_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TIMETABLE_ENGINE_RETRY_DELAYS", "1, 2,4")
    assert retry.retry_delays() == (1.0, 2.0, 4.0)
    with override_settings(ENGINE_SUBMIT_RETRY_DELAYS=[0.5, 0.5]):
        assert retry.retry_delays() == (0.5, 0.5)
    monkeypatch.delenv("TIMETABLE_ENGINE_RETRY_DELAYS")
    assert retry.retry_delays() == retry.DEFAULT_DELAYS


@pytest.mark.parametrize("text", ["", "5,-1", "0", "soon"])
def test_bad_delays_are_refused_with_a_message(text: str) -> None:
    with pytest.raises(ValueError):
        retry.parse_delays(text)


def test_an_undelivered_result_is_sent_again_after_doubling_delays_up_to_a_minute() -> None:
    assert [redelivery_delay(n) for n in range(1, 9)] == [0.5, 1, 2, 4, 8, 16, 32, 60]
    assert redelivery_delay(100) == 60


class FakeQueue:
    """Stands in for the waiting jobs: ``due`` more offers wait; each offer takes one."""

    def __init__(self, due: int) -> None:
        self.due, self.offers = due, 0

    def retry_waiting_jobs(self) -> int:
        self.offers += 1
        self.due = max(0, self.due - 1)
        return 1

    def seconds_to_next_retry(self) -> float | None:
        return 0.0 if self.due else None


def test_the_thread_offers_waiting_jobs_until_none_waits_then_ends(monkeypatch: pytest.MonkeyPatch) -> None:
    from timetabling.web.scheduling import submission

    jobs = FakeQueue(due=3)
    monkeypatch.setattr(submission, "retry_waiting_jobs", jobs.retry_waiting_jobs)
    monkeypatch.setattr(submission, "seconds_to_next_retry", jobs.seconds_to_next_retry)
    worker = retry.make_retry_thread()
    with override_settings(ENGINE_RETRY_THREAD=True):
        assert worker.ensure_running()
        thread = worker._thread
        thread.join(10)
    assert not thread.is_alive() and jobs.due == 0 and jobs.offers == 3


def test_the_thread_can_be_turned_off() -> None:
    with override_settings(ENGINE_RETRY_THREAD=False):
        assert not retry.make_retry_thread().ensure_running()
