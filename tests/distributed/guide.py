"""The worked example of docs/deployment.md, read from the guide and run as real processes on this machine.

Each ```bash block of the guide that starts with ``# machine: NAME`` is one process's environment (its
``export`` lines) and commands; ``# doctor: NAMES`` lists the machines to run ``timetable doctor`` on. The
guide's addresses are mapped to this machine (``data.internal`` and ``app.internal`` to 127.0.0.1, ports
8000 and 8001 to free ones, the Redis database to one of the tests' own, ``DATABASE_URL`` to a database of
the test's), placeholders such as ``'<engine secret>'`` get one random value each (the same placeholder, the
same value), and every machine runs in a folder of its own. Nothing else is set."""

from __future__ import annotations

import json
import os
import re
import secrets
import shlex
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

from tests.support.processes import Processes, WebApiScript, answers

GUIDE = Path(__file__).resolve().parents[2] / "docs" / "deployment.md"
HOSTS = ("data.internal", "app.internal")
NOT_RUN = ("data",)  # installing PostgreSQL and Redis: the test has its own


@dataclass
class Command:
    argv: list[str]
    env: dict[str, str]  # assignments in front of the command (FORWARDED_ALLOW_IPS=... uvicorn ...)

    @property
    def serves(self) -> bool:
        """A long-running process (a server or a worker), started in the background."""
        return self.argv[0] == "uvicorn" or self.argv[:2] == ["timetable", "worker"]


@dataclass
class Machine:
    name: str
    env: dict[str, str] = field(default_factory=dict)
    commands: list[Command] = field(default_factory=list)


def read_guide(text: str | None = None) -> tuple[dict[str, Machine], list[str]]:
    """The machines of the worked example, in the guide's order, and the machines to run the doctor on."""
    text = GUIDE.read_text() if text is None else text
    machines: dict[str, Machine] = {}
    doctor: list[str] = []
    for body in re.findall(r"```bash\n(.*?)```", text, re.S):
        first, _, rest = body.partition("\n")
        if first.startswith("# doctor:"):
            doctor = first.split(":", 1)[1].split()
            continue
        if not first.startswith("# machine:"):
            continue
        name = first.split(":", 1)[1].split("—")[0].strip()
        machine = machines.setdefault(name, Machine(name))
        for line in rest.replace("\\\n", " ").splitlines():
            tokens = shlex.split(line, comments=True)
            if not tokens:
                continue
            if tokens[0] == "export":
                machine.env.update(t.split("=", 1) for t in tokens[1:])
                continue
            assignments = {}
            while tokens and re.fullmatch(r"[A-Z_]+=.*", tokens[0]):
                key, value = tokens.pop(0).split("=", 1)
                assignments[key] = value
            machine.commands.append(Command(tokens, assignments))
    return machines, doctor


@dataclass
class Local:
    """Where the guide's addresses point on this machine."""

    web_port: int
    engine_port: int
    database_url: str
    redis_db: int
    secrets: dict[str, str] = field(default_factory=dict)

    def value(self, name: str, value: str) -> str:
        if name == "DATABASE_URL":
            return self.database_url
        if value.startswith("<") and value.endswith(">"):
            return self.secrets.setdefault(value, secrets.token_urlsafe(40))
        for host in HOSTS:
            value = value.replace(host, "127.0.0.1")
        value = re.sub(r":6379/\d+", f":6379/{self.redis_db}", value)
        return value.replace(":8000", f":{self.web_port}").replace(":8001", f":{self.engine_port}")

    def environment(self, machine: Machine, extra: dict[str, str] | None = None) -> dict[str, str]:
        """The process's environment: this machine's basics (PATH, HOME ...) and the guide's variables."""
        base = {k: v for k, v in os.environ.items()
                if not k.startswith(("TIMETABLE_", "DJANGO_", "CELERY")) and k not in ("DATABASE_URL", "REDIS_URL")}
        env = {k: self.value(k, v) for k, v in machine.env.items()}
        return {**base, **env, **(extra or {}), "PYTHONUNBUFFERED": "1"}

    def argv(self, command: Command) -> list[str]:
        argv = list(command.argv)
        program = {"python": [sys.executable], "uvicorn": [sys.executable, "-m", "uvicorn"],
                   "timetable": [sys.executable, "-m", "timetabling"]}[argv[0]]
        out = [*program]
        for i, token in enumerate(argv[1:], 1):
            if argv[i - 1] == "--port":
                token = {"8000": str(self.web_port), "8001": str(self.engine_port)}[token]
            elif argv[i - 1] == "--host" and token == "0.0.0.0":
                token = "127.0.0.1"
            out.append(token)
        return out


class Deployment(Processes, WebApiScript):
    """The guide's machines as processes on this one, each in a folder of its own."""

    # the test stands in for the HTTPS proxy (TIMETABLE_HTTPS=1): it says the request came over HTTPS
    api_headers = {"X-Forwarded-Proto": "https"}

    def __init__(self, root: Path, local: Local) -> None:
        super().__init__()
        self.root, self.local = root, local
        self.machines, self.doctor_on = read_guide()
        self.outputs: dict[tuple[str, str], str] = {}  # (machine, command's subcommand) -> stdout
        self.token: str | None = None

    @property
    def web_url(self) -> str:
        return f"http://127.0.0.1:{self.local.web_port}"

    def folder(self, machine: str) -> Path:
        path = self.root / machine
        path.mkdir(parents=True, exist_ok=True)
        return path

    def run_machine(self, name: str) -> None:
        """Every command of the machine's block: one-shot ones to completion (status 0), servers started."""
        machine = self.machines[name]
        for command in machine.commands:
            env = {**self.local.environment(machine), **{k: self.local.value(k, v) for k, v in command.env.items()}}
            if command.serves:
                self.start(name, self.local.argv(command), env)
                continue
            done = subprocess.run(self.local.argv(command), env=env, cwd=self.folder(name), capture_output=True,
                                  text=True, timeout=600)
            assert done.returncode == 0, f"{name}: {' '.join(command.argv)}\n{done.stdout}\n{done.stderr}"
            key = command.argv[3] if command.argv[:3] == ["python", "-m", "timetabling.web"] else command.argv[1]
            self.outputs[(name, key)] = done.stdout
        if (name, "create_api_token") in self.outputs:
            self.token = self.outputs[(name, "create_api_token")].strip().splitlines()[-1]

    def start(self, name: str, argv: list[str], env: dict[str, str]) -> None:
        health = {"app-web": f"{self.web_url}/api/health/",
                  "app-engine": f"http://127.0.0.1:{self.local.engine_port}/health"}.get(name)
        ready = (lambda: answers(health)) if health else (lambda: " ready." in self.log(name))
        self.spawn(name, argv, env, self.folder(name) / "process.log", cwd=self.folder(name), ready=ready)

    def stop(self, name: str) -> None:
        super().stop(name, timeout_s=20)

    def restart(self, name: str, extra: dict[str, str]) -> None:
        """Start the machine's server again with some variables changed (an operator's edit)."""
        self.stop(name)
        machine = self.machines[name]
        command = next(c for c in machine.commands if c.serves)
        env = {**self.local.environment(machine, extra), **{k: self.local.value(k, v) for k, v in command.env.items()}}
        self.start(name, self.local.argv(command), env)

    def log(self, name: str, chars: int = 6000) -> str:
        return super().log(name, chars)

    def doctor(self, name: str, extra: dict[str, str] | None = None, drop: tuple[str, ...] = ()) -> tuple[int, dict]:
        """``timetable doctor --json`` with the machine's environment (changed by ``extra``, without ``drop``)."""
        env = self.local.environment(self.machines[name], extra)
        for key in drop:
            env.pop(key, None)
        done = subprocess.run([sys.executable, "-m", "timetabling", "doctor", "--json", "--timeout", "3"], env=env,
                              cwd=self.folder(name), capture_output=True, text=True, timeout=120)
        try:
            report = json.loads(done.stdout)
        except ValueError:
            raise AssertionError(f"doctor on {name} printed no JSON:\n{done.stdout}\n{done.stderr}") from None
        return done.returncode, report

    # ------------------------------------------------------------------ the web API, as a script behind the proxy

    def generate(self, time_limit: float, variants: list[str]) -> str:  # the job's id
        return super().generate(time_limit, variants)["job_id"]
