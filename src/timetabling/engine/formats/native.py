"""The native JSON instance and solution files (``format_version`` 1.x)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from timetabling.engine.errors import InputError
from timetabling.engine.model import Instance, Solution

M = TypeVar("M", bound=BaseModel)


def format_loc(loc: tuple[Any, ...]) -> str:
    """``('courses', 12, 'faculty')`` -> ``courses[12].faculty``."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out


def validation_problems(err: ValidationError) -> list[str]:
    """One line per problem: the path, what is wrong, and the offending value."""
    problems = []
    for e in err.errors():
        loc = format_loc(e["loc"])
        msg = e["msg"].removeprefix("Value error, ")
        if not loc:  # a model-level check: it already names its paths, one per line
            problems.extend(msg.splitlines())
            continue
        value = e.get("input")
        shown = "" if isinstance(value, dict | list) else f" (got {value!r})"
        problems.append(f"{loc}: {msg}{shown}")
    return problems


def parse(model: type[M], data: Any, source: str) -> M:
    try:
        return model.model_validate(data)
    except ValidationError as err:
        raise InputError(source, validation_problems(err)) from None


def read_json(path: str | Path) -> Any:
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputError(str(path), ["file not found"]) from None
    except (OSError, UnicodeDecodeError) as err:
        raise InputError(str(path), [f"cannot read the file: {err}"]) from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as err:
        raise InputError(str(path), [f"line {err.lineno}, column {err.colno}: invalid JSON: {err.msg}"]) from None


def load_instance(path: str | Path) -> Instance:
    return parse(Instance, read_json(path), str(path))


def load_solution(path: str | Path) -> Solution:
    return parse(Solution, read_json(path), str(path))


def dump(model: BaseModel) -> str:
    return model.model_dump_json(indent=1, exclude_defaults=False)


def save(model: BaseModel, path: str | Path) -> None:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(dump(model), encoding="utf-8")
