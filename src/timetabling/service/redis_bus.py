"""The progress bus and the result store in Redis, so that any engine service instance can stream any job.

- ``RedisProgressBus``: the job's latest message in a key (monotonic progress, a final message stays final,
  both enforced in one Lua script, so two writers cannot race), every message on a pub/sub channel;
- ``RedisResultStore``: finished results kept 24 hours.

A Redis that restarts or is briefly unreachable costs progress messages, never a job: publishing retries a
final message for a while and drops a lost progress message; subscribers reconnect and carry on.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import AsyncIterator
from typing import Any

import redis
import redis.asyncio as aioredis

from timetabling.service.contract import ProgressMessage

log = logging.getLogger(__name__)

DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/0"
DEFAULT_PREFIX = "timetable:"
DAY_S = 24 * 3600

# KEYS[1] latest key; ARGV: message JSON, channel, ttl. Returns the message actually stored ("" when dropped).
_PUBLISH = """
local new = cjson.decode(ARGV[1])
local old_raw = redis.call('GET', KEYS[1])
if old_raw then
  local old = cjson.decode(old_raw)
  if old.status == 'completed' or old.status == 'failed' or old.status == 'cancelled' then
    return ''
  end
  if tonumber(new.progress) < tonumber(old.progress) then
    new.progress = old.progress
  end
end
local out = cjson.encode(new)
redis.call('SET', KEYS[1], out, 'EX', tonumber(ARGV[3]))
redis.call('PUBLISH', ARGV[2], out)
return out
"""


def _decode(raw: bytes | str | None) -> ProgressMessage | None:
    if not raw:
        return None
    data = json.loads(raw)
    eta = data.get("eta_seconds")
    return ProgressMessage.model_validate({
        **data, "progress": float(data["progress"]),
        "eta_seconds": None if eta in (None, False) or isinstance(eta, dict) else float(eta),
    })


def sync_client(url: str) -> redis.Redis:
    """A client that gives up quickly: a progress callback must never hold the solver up for long."""
    return redis.Redis.from_url(url, socket_connect_timeout=2, socket_timeout=5, health_check_interval=10)


class RedisProgressBus:
    def __init__(self, url: str = DEFAULT_REDIS_URL, prefix: str = DEFAULT_PREFIX, ttl_s: int = DAY_S,
                 final_retry_s: float = 30.0) -> None:
        self.url, self.prefix, self.ttl_s, self.final_retry_s = url, prefix, ttl_s, final_retry_s
        self._redis = sync_client(url)
        self._script = self._redis.register_script(_PUBLISH)

    def key(self, job_id: str) -> str:
        return f"{self.prefix}progress:{job_id}"

    def channel(self, job_id: str) -> str:
        return f"{self.prefix}progress-channel:{job_id}"

    def publish(self, message: ProgressMessage) -> None:
        payload = json.dumps(message.to_dict())
        deadline = time.monotonic() + (self.final_retry_s if message.final else 0.0)
        delay = 0.2
        while True:
            try:
                self._script(keys=[self.key(message.job_id)], args=[payload, self.channel(message.job_id), self.ttl_s])
                return
            except redis.RedisError as err:
                if time.monotonic() + delay > deadline:
                    log.warning("progress of %s not published (%s): %s", message.job_id, message.status, err)
                    return
                time.sleep(delay)
                delay = min(2 * delay, 2.0)

    def latest(self, job_id: str) -> ProgressMessage | None:
        try:
            return _decode(self._redis.get(self.key(job_id)))
        except redis.RedisError as err:
            log.warning("latest progress of %s not read: %s", job_id, err)
            return None

    async def subscribe(self, job_id: str) -> AsyncIterator[ProgressMessage]:
        """Subscribe first, then read the latest message, so that nothing published in between is lost; after
        a lost connection, subscribe again and resume from the latest message."""
        last: ProgressMessage | None = None
        delay = 0.2
        while True:
            client = aioredis.Redis.from_url(self.url, socket_connect_timeout=2)
            pubsub = client.pubsub()
            try:
                await pubsub.subscribe(self.channel(job_id))
                current = _decode(await client.get(self.key(job_id)))
                delay = 0.2
                if current is not None and current != last:
                    last = current
                    yield current
                    if current.final:
                        return
                while True:
                    item = await pubsub.get_message(ignore_subscribe_messages=True, timeout=1.0)
                    if item is None:
                        continue
                    message = _decode(item["data"])
                    if message is None or message == last:
                        continue
                    last = message
                    yield message
                    if message.final:
                        return
            except (redis.RedisError, OSError) as err:
                log.info("progress stream of %s lost its Redis connection (%s); resubscribing", job_id, err)
                await asyncio.sleep(delay)
                delay = min(2 * delay, 2.0)
            finally:
                try:
                    await pubsub.aclose()
                    await client.aclose()
                except (redis.RedisError, OSError):
                    pass

    def describe(self) -> str:
        try:
            self._redis.ping()
            return "ok"
        except redis.RedisError:
            return "unreachable"


class RedisResultStore:
    """Finished results under ``<prefix>result:<job_id>`` for ``ttl_s`` (24 hours)."""

    def __init__(self, url: str = DEFAULT_REDIS_URL, prefix: str = DEFAULT_PREFIX, ttl_s: int = DAY_S,
                 retry_s: float = 30.0) -> None:
        self.prefix, self.ttl_s, self.retry_s = prefix, ttl_s, retry_s
        self._redis = sync_client(url)

    def key(self, job_id: str) -> str:
        return f"{self.prefix}result:{job_id}"

    def put(self, job_id: str, result: dict[str, Any]) -> None:
        body = json.dumps(result)
        deadline = time.monotonic() + self.retry_s
        delay = 0.2
        while True:
            try:
                self._redis.set(self.key(job_id), body, ex=self.ttl_s)
                return
            except redis.RedisError:
                if time.monotonic() + delay > deadline:
                    raise
                time.sleep(delay)
                delay = min(2 * delay, 2.0)

    def get(self, job_id: str) -> dict[str, Any] | None:
        try:
            raw = self._redis.get(self.key(job_id))
        except redis.RedisError as err:
            log.warning("result of %s not read: %s", job_id, err)
            return None
        return json.loads(raw) if raw else None

    def ttl(self, job_id: str) -> int:
        """Seconds the result is still kept (-2: none)."""
        return int(self._redis.ttl(self.key(job_id)))
