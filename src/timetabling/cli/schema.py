"""``timetable schema {instance,solution,lock} [-o FILE]``: the JSON Schema of a native file format.

The schemas are generated from the pydantic models, so they cannot disagree with what the loader accepts;
the copies under ``docs/schema/`` are checked against this output by a test.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from timetabling.engine.model import FORMAT_VERSION, Instance, Solution
from timetabling.engine.repair.locks import LockFile

MODELS: dict[str, type[BaseModel]] = {"instance": Instance, "solution": Solution, "lock": LockFile}
DESCRIPTIONS = {
    "instance": "A university timetabling instance: time grid, organisation, rooms, faculty, batches, "
    "students, courses and rules.",
    "solution": "A timetable for an instance: one assignment (start slot and room) per session.",
    "lock": "Sessions pinned to a day and period (optionally a room) that generate and repair never move.",
}


def json_schema(kind: str) -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of the native ``kind`` file, ``"instance"`` or ``"solution"``."""
    schema = MODELS[kind].model_json_schema()
    head = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": f"https://timetabling.example/schema/{kind}.schema.json",
        "title": f"Timetabling {kind} (format_version {FORMAT_VERSION})",
        "description": DESCRIPTIONS[kind],
    }
    return head | {k: v for k, v in schema.items() if k not in head}


def schema_text(kind: str) -> str:
    """The schema as the committed ``docs/schema/{kind}.schema.json`` holds it."""
    return json.dumps(json_schema(kind), indent=2, ensure_ascii=False) + "\n"


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "schema",
        help="print the JSON Schema of the instance or solution file",
        description="Print (or write) the JSON Schema of a native file, generated from the domain model.",
    )
    p.add_argument("kind", choices=sorted(MODELS), help="which file format")
    p.add_argument("-o", "--output", metavar="FILE", help="write the schema to FILE instead of printing it")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    text = schema_text(args.kind)
    if args.output:
        path = Path(args.output)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    else:
        print(text, end="")
    return 0
