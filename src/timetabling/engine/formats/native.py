"""The native JSON instance and solution files (``format_version`` 1.x: 1.0 and 1.1 are read, 1.1 is written;
1.1 adds graded faculty preferences, ``Faculty.preferences``).

Loading a file never ends in a traceback: every problem is collected into one :class:`InputError`,
each with its path in the file and the offending value, e.g. ``courses[12].faculty: unknown faculty 'F99'``.
Field errors and dangling references are reported together: when some fields are invalid, the reference
checks still run over the items that can be read (see :func:`lenient_reference_problems`).
"""

from __future__ import annotations

import json
import sys
from functools import cache
from pathlib import Path
from typing import Annotated, Any, TypeVar, get_args

from pydantic import BaseModel, ConfigDict, TypeAdapter, ValidationError

from timetabling.engine.errors import InputError
from timetabling.engine.model import (
    FORMAT_VERSION,
    Batch,
    Course,
    Department,
    Faculty,
    Instance,
    Room,
    School,
    Solution,
    Student,
    TimeGrid,
    reference_problems,
)

M = TypeVar("M", bound=BaseModel)

# what validating a damaged file may raise: pydantic's errors, and a model check that met a value it did
# not expect (e.g. comparing a time that has a time zone with one that has not)
_UNREADABLE = (ValidationError, TypeError, ArithmeticError)

# pydantic's words for a malformed slot (slots are NamedTuples) say nothing to a person editing a file
_SLOT_HINT = "a slot is [day, period]"
_PLAIN_MESSAGES = {
    "missing_argument": f"missing value ({_SLOT_HINT})",
    "missing_positional_argument": f"missing value ({_SLOT_HINT})",
    "unexpected_positional_argument": f"one value too many ({_SLOT_HINT})",
    "arguments_type": f"not a slot ({_SLOT_HINT})",
    # JSON words, not Python ones
    "missing": "required field is missing",
    "model_type": "should be a JSON object",
    "model_attributes_type": "should be a JSON object",
    "dict_type": "should be a JSON object",
    "tuple_type": "should be a JSON array",
    "list_type": "should be a JSON array",
    "set_type": "should be a JSON array",
    "frozen_set_type": "should be a JSON array",
}


def format_loc(loc: tuple[Any, ...]) -> str:
    """``('courses', 12, 'faculty')`` -> ``courses[12].faculty``."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out


def _shown(value: Any, msg: str) -> str:
    """`` (got VALUE)`` unless the value is a container or the message already quotes it."""
    if isinstance(value, dict | list):
        return ""
    text = repr(value)
    if text in msg:
        return ""
    if len(text) > 80:
        text = text[:77] + "..."
    return f" (got {text})"


def validation_problems(err: ValidationError) -> list[str]:
    """One line per problem: the path, what is wrong, and the offending value."""
    problems = []
    for e in err.errors():
        loc, kind, value = tuple(e["loc"]), e["type"], e.get("input")
        ctx = e.get("ctx") or {}
        if ctx.get("field_type") == "NamedTuple" and kind in ("too_long", "too_short"):
            # newer pydantic reports a slot of the wrong length as a whole; name the first bad position,
            # as older versions did, so the message is the same whichever version is installed
            n = ctx.get("max_length" if kind == "too_long" else "min_length", 0)
            if kind == "too_long" and isinstance(value, list | tuple) and len(value) > n:
                loc, kind, value = (*loc, n), "unexpected_positional_argument", value[n]
            elif kind == "too_short" and isinstance(value, list | tuple):
                loc, kind, value = (*loc, len(value)), "missing_positional_argument", value
        msg = _PLAIN_MESSAGES.get(kind, e["msg"].removeprefix("Value error, "))
        if loc and loc[-1] == "[key]":  # a dictionary key, not a value, is wrong
            loc, msg = loc[:-1], f"invalid key: {msg}"
        if not loc:  # a model-level check: it already names its paths, one per line
            problems.extend(msg.splitlines())
            continue
        problems.append(f"{format_loc(loc)}: {msg}{_shown(value, msg)}")
    return problems


def parse(model: type[M], data: Any, source: str) -> M:
    """Validate ``data`` as ``model``; raise one :class:`InputError` listing every problem."""
    if not isinstance(data, dict):
        raise InputError(source, [f"expected a JSON object at the top level, got {_json_type(data)}"])
    try:
        return model.model_validate(data)
    except (TypeError, ArithmeticError) as err:
        where = format_loc(_locate_crash(model, data))
        problems = [f"{where}: cannot be read: {err}" if where else f"cannot be read: {err}"]
        if model is Instance:
            problems += lenient_reference_problems(data)
        raise InputError(source, problems) from None
    except ValidationError as err:
        problems = validation_problems(err)
        if model is Instance:
            # the reference checks run only when every field is valid; run them leniently here
            problems += [p for p in lenient_reference_problems(data) if p not in problems]
        raise InputError(source, problems) from None


def _locate_crash(model: type[BaseModel], data: Any, loc: tuple[Any, ...] = ()) -> tuple[Any, ...]:
    """The path of the innermost item whose model check raises something other than a validation error."""
    if not isinstance(data, dict):
        return loc
    for name, field in model.model_fields.items():
        inner = [a for a in (field.annotation, *get_args(field.annotation)) if isinstance(a, type)]
        sub = next((a for a in inner if issubclass(a, BaseModel)), None)
        if sub is None or name not in data:
            continue
        value = data[name]
        items = enumerate(value) if isinstance(value, list) else [(None, value)]
        for i, item in items:
            try:
                sub.model_validate(item)
            except (TypeError, ArithmeticError):
                return _locate_crash(sub, item, (*loc, name) if i is None else (*loc, name, i))
            except ValidationError:
                pass
    return loc


def _json_type(data: Any) -> str:
    names = {list: "an array", str: "a string", bool: "true/false", int: "a number", float: "a number"}
    return "null" if data is None else names.get(type(data), type(data).__name__)


# ------------------------------------------------------------------------------ lenient references


class _UnknownGrid:
    """Stands in for a grid that cannot be read: no slot is outside it, no session is too long."""

    n_days = n_periods = sys.maxsize


_COLLECTIONS: dict[str, type[BaseModel]] = {
    "schools": School,
    "departments": Department,
    "rooms": Room,
    "faculty": Faculty,
    "batches": Batch,
    "students": Student,
    "courses": Course,
}


@cache
def _field_adapter(model: type[BaseModel], name: str) -> TypeAdapter:
    field = model.model_fields[name]
    annotation = Annotated[field.annotation, *field.metadata] if field.metadata else field.annotation
    return TypeAdapter(annotation, config=ConfigDict(str_strip_whitespace=True))


def _lenient_item(model: type[BaseModel], raw: Any) -> BaseModel:
    """The item with each field that validates on its own; unreadable fields take their default.

    An unreadable id becomes a fresh object, so it neither matches a reference nor counts as a duplicate.
    """
    if isinstance(raw, dict):
        try:
            return model.model_validate(raw)
        except _UNREADABLE:
            pass
    raw = raw if isinstance(raw, dict) else {}
    values: dict[str, Any] = {}
    for name, field in model.model_fields.items():
        if name in raw:
            try:
                values[name] = _field_adapter(model, name).validate_python(raw[name])
                continue
            except _UNREADABLE:
                pass
        if name == "id":
            values[name] = object()
        elif not field.is_required():
            values[name] = field.get_default(call_default_factory=True)
    return model.model_construct(**values)


def lenient_reference_problems(data: dict[str, Any]) -> list[str]:
    """Dangling references, duplicate ids and out-of-grid slots of a raw instance that has field errors.

    Items and fields that cannot be read are skipped (their own errors are reported by validation);
    paths keep the indices of the file, so they point at the right item.
    """
    try:
        grid: Any = TimeGrid.model_validate(data.get("grid"))
    except _UNREADABLE:
        grid = _UnknownGrid()
    collections = {}
    for name, model in _COLLECTIONS.items():
        raw = data.get(name, ())
        items = raw if isinstance(raw, list) else []
        collections[name] = tuple(_lenient_item(model, item) for item in items)
    return reference_problems(Instance.model_construct(grid=grid, **collections))


# ------------------------------------------------------------------------------------------ files


def read_json(path: str | Path) -> Any:
    """The parsed JSON of a file; an :class:`InputError` for a missing, unreadable or malformed file."""
    path = Path(path)
    source = str(path)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise InputError(source, ["file not found"]) from None
    except IsADirectoryError:
        raise InputError(source, ["is a directory, not a file"]) from None
    except OSError as err:
        raise InputError(source, [f"cannot read the file: {err.strerror or err}"]) from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        line = raw[: err.start].count(b"\n") + 1
        raise InputError(
            source, [f"line {line}: not UTF-8 text (byte 0x{raw[err.start]:02x} at offset {err.start})"]
        ) from None
    if not text.strip():
        raise InputError(source, ["the file is empty"])
    try:
        return json.loads(text)
    except json.JSONDecodeError as err:
        problem = f"line {err.lineno}, column {err.colno}: invalid JSON: {err.msg}"
        raise InputError(source, [problem]) from None
    except RecursionError:
        raise InputError(source, ["invalid JSON: nested too deeply"]) from None


def load_instance(path: str | Path) -> Instance:
    return parse(Instance, read_json(path), str(path))


def load_solution(path: str | Path) -> Solution:
    return parse(Solution, read_json(path), str(path))


def dump(model: BaseModel) -> str:
    """The file's JSON text; a model read from an older 1.x file is written as the current version."""
    if getattr(model, "format_version", FORMAT_VERSION) != FORMAT_VERSION:
        model = model.model_copy(update={"format_version": FORMAT_VERSION})
    return model.model_dump_json(indent=1, exclude_defaults=False)


def save(model: BaseModel, path: str | Path) -> None:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(dump(model), encoding="utf-8")
