"""Web backend down when the engine posts a result: the result waits in the outbox, survives a restart of
the engine service, and leaves it only when the web backend accepted it or refused it for good."""

from __future__ import annotations

import json
import threading
from pathlib import Path

import httpx
import pytest

from timetabling.service.callback import CallbackSender
from timetabling.service.outbox import FileOutbox, MemoryOutbox, make_outbox
from timetabling.service.signing import SIGNATURE_HEADER, verify


class FakeWeb:
    """Stands in for ``httpx.post`` to the web backend: down (connection refused) or answering ``status``."""

    def __init__(self, status: int | None = None) -> None:
        self.status = status  # None: down
        self.received: list[dict] = []
        self.lock = threading.Lock()

    def post(self, url: str, content: bytes, headers: dict[str, str], timeout: float) -> httpx.Response:
        request = httpx.Request("POST", url)
        if self.status is None:
            raise httpx.ConnectError("connection refused", request=request)
        assert verify(content, "s3cret", headers[SIGNATURE_HEADER])
        with self.lock:
            self.received.append(json.loads(content))
        return httpx.Response(self.status, request=request)


@pytest.fixture
def web(monkeypatch: pytest.MonkeyPatch) -> FakeWeb:
    fake = FakeWeb()
    monkeypatch.setattr(httpx, "post", fake.post)
    return fake


def result(job_id: str) -> dict:
    return {"job_id": job_id, "status": "completed", "variants": [{"name": "Balanced", "entries": []}],
            "comparison": [], "generation_time": 1.0, "message": ""}


def test_a_result_the_web_did_not_take_is_kept_on_disk_and_delivered_by_the_next_engine(web, tmp_path: Path) -> None:
    folder = tmp_path / "engine-outbox"
    first = CallbackSender("http://web/callback/", "s3cret", outbox=FileOutbox(folder))
    first.final(result("job-1"))
    assert not first.flush(1.5)  # the web is down: nothing delivered, the result waits
    assert first.pending() == ["job-1"] and len(list(folder.glob("*.json"))) == 1
    first.close()  # the engine service stops

    web.status = 200
    second = CallbackSender("http://web/callback/", "s3cret", outbox=FileOutbox(folder))  # it starts again
    assert second.flush(10)
    assert [r["job_id"] for r in web.received] == ["job-1"]
    assert web.received[0]["variants"][0]["name"] == "Balanced"
    assert second.pending() == [] and not list(folder.glob("*.json"))


def test_a_result_is_sent_again_until_the_web_comes_back(web) -> None:
    sender = CallbackSender("http://web/callback/", "s3cret")
    sender.final(result("job-2"))
    assert not sender.flush(1.0)
    web.status = 503  # up but not ready: still kept
    assert not sender.flush(2.0)
    assert sender.pending() == ["job-2"]
    web.status = 200
    assert sender.flush(20)
    assert [r["job_id"] for r in web.received] == ["job-2"] * len(web.received)
    assert [d["job_id"] for d in sender.delivered] == ["job-2"]


def test_a_result_refused_for_good_leaves_the_outbox(web) -> None:
    web.status = 404  # the web backend does not know the job
    sender = CallbackSender("http://web/callback/", "s3cret")
    sender.final(result("job-3"))
    assert sender.flush(5)
    assert len(web.received) == 1 and sender.pending() == [] and not sender.delivered


def test_a_result_refused_for_its_signature_is_kept_sent_again_and_logged_with_the_reason(web, caplog) -> None:
    web.status = 403  # the web backend has another secret: an operator fixes it, the result must not be lost
    sender = CallbackSender("http://web/callback/", "s3cret")
    with caplog.at_level("ERROR", logger="timetabling.service.callback"):
        sender.final(result("job-6"))
        assert not sender.flush(2.0)
    assert sender.pending() == ["job-6"] and len(web.received) >= 2
    assert "the shared secret differs (TIMETABLE_ENGINE_SECRET)" in caplog.text
    web.status = 200  # the secrets agree again
    assert sender.flush(20)
    assert sender.pending() == [] and [d["job_id"] for d in sender.delivered] == ["job-6"]


def test_a_busy_web_429_is_asked_again(web) -> None:
    web.status = 429
    sender = CallbackSender("http://web/callback/", "s3cret")
    sender.final(result("job-4"))
    assert not sender.flush(1.0)
    assert sender.pending() == ["job-4"] and len(web.received) >= 1


def test_progress_is_dropped_when_the_web_is_down_but_never_kept(web) -> None:
    sender = CallbackSender("http://web/callback/", "s3cret", progress_interval_s=0)
    sender.progress({"job_id": "job-5", "status": "running", "progress": 10, "phase": "solve"})
    assert sender.flush(5)
    assert sender.pending() == []


def test_results_of_several_jobs_wait_side_by_side(web, tmp_path: Path) -> None:
    sender = CallbackSender("http://web/callback/", "s3cret", outbox=FileOutbox(tmp_path))
    for job in ("a", "b", "c"):
        sender.final(result(job))
    assert not sender.flush(1.0)
    assert sorted(sender.pending()) == ["a", "b", "c"]
    web.status = 200
    assert sender.flush(20)
    assert sorted(r["job_id"] for r in web.received) == ["a", "b", "c"]


def test_a_damaged_outbox_file_is_set_aside_not_sent(tmp_path: Path) -> None:
    box = FileOutbox(tmp_path)
    box.put("good", result("good"))
    (tmp_path / "broken.json").write_text("{not json")
    assert box.job_ids() == ["good"]
    assert (tmp_path / "broken.json.bad").exists()


def test_odd_job_ids_are_plain_file_names(tmp_path: Path) -> None:
    box = FileOutbox(tmp_path)
    box.put("../../etc/passwd", result("x"))
    assert box.job_ids() == ["../../etc/passwd"]
    assert [p.parent for p in tmp_path.glob("*.json")] == [tmp_path]
    box.remove("../../etc/passwd")
    assert box.job_ids() == []


def test_the_outbox_is_chosen_by_configuration(tmp_path: Path) -> None:
    assert isinstance(make_outbox(None), MemoryOutbox)
    assert isinstance(make_outbox(str(tmp_path / "o")), FileOutbox) and (tmp_path / "o").is_dir()
