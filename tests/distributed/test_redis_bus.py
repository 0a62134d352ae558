"""The Redis progress bus and result store behind the service's interfaces, on a real Redis."""

from __future__ import annotations

import asyncio

import pytest
import redis

from timetabling.service.bus import ProgressMessage
from timetabling.service.redis_bus import DAY_S, RedisProgressBus, RedisResultStore


def test_latest_progress_never_goes_back_and_a_final_message_stays_final(dist) -> None:
    bus = RedisProgressBus(dist.redis_url, dist.prefix)
    job = dist.job_id("bus")
    bus.publish(ProgressMessage(job, "running", 40.0, "parts"))
    bus.publish(ProgressMessage(job, "running", 25.0, "parts", 3.5, "a slower task reported late"))
    latest = bus.latest(job)
    assert (latest.status, latest.progress, latest.eta_seconds) == ("running", 40.0, 3.5)
    bus.publish(ProgressMessage(job, "completed", 100.0, "completed", 0.0))
    bus.publish(ProgressMessage(job, "running", 50.0, "parts"))
    assert bus.latest(job).status == "completed"
    assert bus.latest(dist.job_id("never-submitted")) is None


def test_a_second_bus_instance_streams_what_the_first_publishes(dist) -> None:
    first = RedisProgressBus(dist.redis_url, dist.prefix)
    second = RedisProgressBus(dist.redis_url, dist.prefix)  # as in another engine service process
    job = dist.job_id("stream")
    first.publish(ProgressMessage(job, "queued", 0.0, "queued"))

    async def follow() -> list[ProgressMessage]:
        seen = []
        async for message in second.subscribe(job):
            seen.append(message)
            if len(seen) == 1:  # subscribed: now the first instance reports the rest
                await asyncio.to_thread(first.publish, ProgressMessage(job, "running", 30.0, "parts"))
                await asyncio.to_thread(first.publish, ProgressMessage(job, "running", 70.0, "optimise"))
                await asyncio.to_thread(first.publish, ProgressMessage(job, "completed", 100.0, "completed"))
        return seen

    seen = asyncio.run(asyncio.wait_for(follow(), timeout=20))
    assert [(m.status, m.progress) for m in seen] == [
        ("queued", 0.0), ("running", 30.0), ("running", 70.0), ("completed", 100.0)]


def test_results_are_kept_for_24_hours_and_shared(dist) -> None:
    store = RedisResultStore(dist.redis_url, dist.prefix)
    job = dist.job_id("result")
    store.put(job, {"job_id": job, "status": "completed", "variants": [{"name": "Balanced", "entries": []}]})
    again = RedisResultStore(dist.redis_url, dist.prefix)
    assert again.get(job)["variants"][0]["name"] == "Balanced"
    assert DAY_S - 60 < again.ttl(job) <= DAY_S
    assert again.get(dist.job_id("missing")) is None


def test_an_unreachable_redis_loses_progress_but_never_raises() -> None:
    bus = RedisProgressBus("redis://127.0.0.1:1/0", "nowhere:", final_retry_s=0.5)
    bus.publish(ProgressMessage("j", "running", 10.0))
    bus.publish(ProgressMessage("j", "completed", 100.0))
    assert bus.latest("j") is None
    assert bus.describe() == "unreachable"
    store = RedisResultStore("redis://127.0.0.1:1/0", "nowhere:", retry_s=0.3)
    assert store.get("j") is None
    with pytest.raises(redis.RedisError):  # a result that could not be stored must not pass silently
        store.put("j", {"status": "completed"})
