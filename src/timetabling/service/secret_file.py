"""Secrets kept in the data folder: the embedded default's stand-in for secrets set in the environment.

A deployment sets ``DJANGO_SECRET_KEY`` and ``TIMETABLE_ENGINE_SECRET``; a machine where nobody did gets a
random secret, made once and kept in a file only its owner can read, so that sessions and signatures
survive a restart and the public development value is never used."""

from __future__ import annotations

import contextlib
import os
import secrets
from pathlib import Path

SECRET_KEY_FILE = "secret_key"  # the web backend's DJANGO_SECRET_KEY
ENGINE_SECRET_FILE = "engine_secret"  # TIMETABLE_ENGINE_SECRET, shared by the web backend and the engine


def data_dir() -> Path:
    """The folder of the embedded default's files (``TIMETABLE_DATA_DIR``, default ``./var``)."""
    return Path(os.environ.get("TIMETABLE_DATA_DIR") or Path.cwd() / "var").resolve()


def stored_secret(path: Path) -> str:
    """The secret in ``path``, made (random, mode 0600) when the file does not exist yet.

    Several processes may start at once (web workers, a test run beside a server): the file appears
    complete or not at all (written aside, then linked into place), and whoever links first wins."""
    if path.exists():
        return path.read_text().strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    aside = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
    fd = os.open(aside, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "w") as out:
            out.write(secrets.token_urlsafe(48) + "\n")
        with contextlib.suppress(FileExistsError):  # another process was first: use its secret
            os.link(aside, path)
    finally:
        aside.unlink()
    return path.read_text().strip()


def is_loopback(host: str) -> bool:
    """True for an address or name that only this machine reaches (127.0.0.0/8, ::1, localhost)."""
    import ipaddress

    host = host.strip().strip("[]").lower()
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False  # another name, or 0.0.0.0 / :: (every interface)
