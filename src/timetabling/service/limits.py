"""The time limit of a generation: its default and bounds, defined once for the CLI, the web form and API,
and the engine service (``TIMETABLE_TIME_LIMIT``, ``TIMETABLE_MAX_TIME_LIMIT``). Light to import: Django's
settings and the service's read it; ``contract`` re-exports it."""

from __future__ import annotations

import math
import os
from typing import Annotated

from pydantic import Field

from timetabling.engine.control import DEFAULT_TIME_LIMIT_S

MIN_TIME_LIMIT_S = 1.0
TIME_LIMIT_CEILING_S = 3600.0  # what a schema accepts; a deployment's cap (``max_time_limit``) is at most this
DEFAULT_MAX_TIME_LIMIT_S = 1800.0

TimeLimit = Annotated[float, Field(ge=MIN_TIME_LIMIT_S, le=TIME_LIMIT_CEILING_S, allow_inf_nan=False,
                                   description="seconds for the whole run")]


def _seconds(name: str, default: float) -> float:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        raise ValueError(f"{name}={raw!r} is not a number of seconds") from None
    if not MIN_TIME_LIMIT_S <= value <= TIME_LIMIT_CEILING_S:
        raise ValueError(f"{name}={raw} must be between {MIN_TIME_LIMIT_S:g} and {TIME_LIMIT_CEILING_S:g} seconds")
    return value


def default_time_limit() -> float:
    """The deployment's default time limit: ``TIMETABLE_TIME_LIMIT``, else 60 s."""
    return _seconds("TIMETABLE_TIME_LIMIT", DEFAULT_TIME_LIMIT_S)


def max_time_limit() -> float:
    """The longest time limit one generation may ask for: ``TIMETABLE_MAX_TIME_LIMIT``, else 1800 s."""
    return _seconds("TIMETABLE_MAX_TIME_LIMIT", DEFAULT_MAX_TIME_LIMIT_S)


def time_limit_problem(seconds: float, cap: float) -> str | None:
    """Why ``seconds`` is not a time limit this deployment (capped at ``cap``) runs; None when it is."""
    if not math.isfinite(seconds) or seconds < MIN_TIME_LIMIT_S:
        return f"time_limit must be at least {MIN_TIME_LIMIT_S:g} second(s)"
    if seconds > cap:
        return f"time_limit may be at most {cap:g} seconds"
    return None

