"""Where a job's final result waits until the web backend has accepted it.

The callback sender puts a result here before it first tries to deliver it and takes it out once the web
backend answered 2xx (or refused it for good with a 4xx), so a web backend that is down, or an engine
service that restarts meanwhile, loses nothing. One entry per job; putting it again replaces it.

- ``FileOutbox``: one JSON file per job in a folder (the embedded default: ``<data dir>/engine-outbox``);
- ``RedisOutbox``: one Redis hash, shared by every engine service instance of a distributed deployment;
- ``MemoryOutbox``: this process only (tests, and an engine service that has no callback to make).
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import threading
from pathlib import Path
from typing import Any, Protocol

log = logging.getLogger(__name__)


class Outbox(Protocol):
    def put(self, job_id: str, payload: dict[str, Any]) -> None:
        """Keep ``payload`` (durably, where the outbox can) until ``remove``."""

    def get(self, job_id: str) -> dict[str, Any] | None: ...

    def remove(self, job_id: str) -> None: ...

    def job_ids(self) -> list[str]:
        """The jobs whose results wait, oldest first where the outbox knows."""

    def describe(self) -> str: ...


class MemoryOutbox:
    def __init__(self) -> None:
        self._items: dict[str, dict[str, Any]] = {}
        self._lock = threading.Lock()

    def put(self, job_id: str, payload: dict[str, Any]) -> None:
        with self._lock:
            self._items[job_id] = payload

    def get(self, job_id: str) -> dict[str, Any] | None:
        with self._lock:
            return self._items.get(job_id)

    def remove(self, job_id: str) -> None:
        with self._lock:
            self._items.pop(job_id, None)

    def job_ids(self) -> list[str]:
        with self._lock:
            return list(self._items)

    def describe(self) -> str:
        return "memory"


class FileOutbox:
    """A JSON file per job, written aside and renamed into place: a file is complete or absent."""

    def __init__(self, folder: Path | str) -> None:
        self.folder = Path(folder)
        self.folder.mkdir(parents=True, exist_ok=True)

    def _path(self, job_id: str) -> Path:
        # job ids come from the web backend: a digest keeps any id a plain file name
        return self.folder / f"{hashlib.sha256(job_id.encode()).hexdigest()[:32]}.json"

    def put(self, job_id: str, payload: dict[str, Any]) -> None:
        path = self._path(job_id)
        aside = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
        with aside.open("w", encoding="utf-8") as out:
            json.dump({"job_id": job_id, "payload": payload}, out)
            out.flush()
            os.fsync(out.fileno())
        os.replace(aside, path)

    def _read(self, path: Path) -> dict[str, Any] | None:
        try:
            return json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return None
        except (OSError, ValueError) as err:  # not ours, or damaged: keep it aside for a person to look at
            log.error("outbox file %s cannot be read (%s); it is left as %s.bad", path, err, path.name)
            path.replace(path.with_name(path.name + ".bad"))
            return None

    def get(self, job_id: str) -> dict[str, Any] | None:
        entry = self._read(self._path(job_id))
        return entry["payload"] if entry else None

    def remove(self, job_id: str) -> None:
        self._path(job_id).unlink(missing_ok=True)

    def job_ids(self) -> list[str]:
        paths = sorted(self.folder.glob("*.json"), key=lambda p: p.stat().st_mtime)
        return [entry["job_id"] for entry in map(self._read, paths) if entry]

    def describe(self) -> str:
        return f"folder {self.folder}"


class RedisOutbox:
    """A Redis hash ``<prefix>outbox``: job id -> payload; no expiry (an entry leaves when delivered)."""

    def __init__(self, url: str, prefix: str) -> None:
        import redis

        self._redis = redis.Redis.from_url(url)
        self._key = f"{prefix}outbox"

    def put(self, job_id: str, payload: dict[str, Any]) -> None:
        self._redis.hset(self._key, job_id, json.dumps(payload))

    def get(self, job_id: str) -> dict[str, Any] | None:
        raw = self._redis.hget(self._key, job_id)
        return json.loads(raw) if raw else None

    def remove(self, job_id: str) -> None:
        self._redis.hdel(self._key, job_id)

    def job_ids(self) -> list[str]:
        return [k.decode() for k in self._redis.hkeys(self._key)]

    def describe(self) -> str:
        return f"redis {self._key}"


def make_outbox(where: str | None) -> Outbox:
    """``None`` or ``""``: memory; ``"redis"``: the configured Redis; anything else: a folder."""
    if not where:
        return MemoryOutbox()
    if where == "redis":
        from timetabling.service.backends import redis_prefix, redis_url

        return RedisOutbox(redis_url(), redis_prefix())
    return FileOutbox(where)
