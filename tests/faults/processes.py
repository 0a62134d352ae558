"""Real processes for the fault tests: the web backend and the engine service started apart (as a
distributed deployment does) or together (``timetable serve``), on free ports, in a temporary data folder."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import sqlite3
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any

from tests.support.processes import Processes, WebApiScript, answers, free_port

PYTHON = sys.executable
CALLBACK_PATH = "/api/academics/timetable/fastapi_callback/"


class Deployment(Processes, WebApiScript):
    """One data folder, one database, one secret; the web backend and the engine service on fixed ports so
    that each can be stopped and started again where the other expects it."""

    def __init__(self, data_dir: Path, retry_delays: str = "0.5,1,1,2,2,2,2,2,2,2,2,2,2,2,2,2,2,2,2,2") -> None:
        self.data_dir = data_dir
        self.web_port, self.engine_port = free_port(), free_port()
        self.web_url, self.engine_url = f"http://127.0.0.1:{self.web_port}", f"http://127.0.0.1:{self.engine_port}"
        base = {k: v for k, v in os.environ.items()
                if not k.startswith(("TIMETABLE_", "DJANGO_")) and k not in ("DATABASE_URL", "REDIS_URL")}
        self.env = {
            **base, "DJANGO_SETTINGS_MODULE": "timetabling.web.settings", "TIMETABLE_DATA_DIR": str(data_dir),
            "DJANGO_DEBUG": "0", "DJANGO_SECRET_KEY": "fault-tests-" + "k" * 40,
            "TIMETABLE_ENGINE_SECRET": "fault-tests-engine-" + "s" * 30,
            "TIMETABLE_ENGINE_URL": self.engine_url, "TIMETABLE_CALLBACK_URL": self.web_url + CALLBACK_PATH,
            "TIMETABLE_ENGINE_RETRY_DELAYS": retry_delays, "TIMETABLE_ENGINE_WORKERS": "1",
            "TIMETABLE_ENGINE_RUNNER": "process",
        }
        super().__init__()
        self.token: str | None = None

    # ------------------------------------------------------------------ set-up through the management commands

    def manage(self, *args: str) -> str:
        done = subprocess.run([PYTHON, "-m", "timetabling.web", *args], env=self.env, capture_output=True, text=True,
                              timeout=300)
        assert done.returncode == 0, done.stdout + done.stderr
        return done.stdout

    def seed(self) -> None:
        """A database with the tiny demo university and an API token for its admin."""
        self.manage("migrate", "--verbosity", "0")
        self.manage("seed_demo", "--profile", "tiny", "--password", "Fault-tests-Pw-9137")
        self.issue_token()

    def issue_token(self) -> None:
        self.token = self.manage("create_api_token", "admin", "--name", "fault tests").strip().splitlines()[-1]

    # ----------------------------------------------------------------------------------------- processes

    def _start(self, name: str, command: list[str], health: str) -> None:
        self.spawn(name, command, self.env, self.data_dir / f"{name}.log", ready=lambda: answers(health))

    def start_web(self) -> None:
        self._start("web", [PYTHON, "-m", "uvicorn", "timetabling.web.asgi:application", "--host", "127.0.0.1",
                            "--port", str(self.web_port), "--lifespan", "off", "--log-level", "warning"],
                    self.web_url + "/api/health/")

    def start_engine(self) -> None:
        self._start("engine", [PYTHON, "-m", "uvicorn", "--factory", "timetabling.service.app:app_from_env", "--host",
                               "127.0.0.1", "--port", str(self.engine_port), "--log-level", "warning"],
                    self.engine_url + "/health")

    def start_serve(self) -> None:
        """Both in one process, as ``timetable serve`` (the embedded default)."""
        self._start("serve", [PYTHON, "-m", "timetabling", "serve", "--port", str(self.web_port), "--engine-port",
                              str(self.engine_port), "--data-dir", str(self.data_dir), "--profile", "tiny",
                              "--runner", "process", "--max-jobs", "1"],
                    self.web_url + "/api/health/")

    def stop(self, name: str) -> None:
        """As an operator stops it: Ctrl-C for ``timetable serve``, SIGTERM otherwise, to the process itself."""
        super().stop(name, signal.SIGINT if name == "serve" else signal.SIGTERM, group=False)

    # ------------------------------------------------------------------------------- the web API, as a script

    def job_row(self, job_id: str) -> dict[str, Any]:
        """The job as the database holds it, read beside the web backend: unlike the API's status reads,
        which offer a due job to the engine themselves, this shows what the background work did."""
        with contextlib.closing(sqlite3.connect(self.data_dir / "timetable.sqlite3", timeout=30)) as db:
            row = db.execute("SELECT status, metadata FROM scheduling_generationjob WHERE id = ?",
                             (uuid.UUID(job_id).hex,)).fetchone()
        assert row is not None, f"no job {job_id} in the database"
        return {"status": row[0], "metadata": json.loads(row[1])}

    def outbox(self) -> list[Path]:
        return sorted((self.data_dir / "engine-outbox").glob("*.json"))
