"""``timetable generate-data``: write a synthetic university of a chosen size to a native JSON file."""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from timetabling.engine.formats.native import save
from timetabling.engine.generator import PROFILES, describe, generate_university


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "generate-data",
        help="write a synthetic university (solvable by design) to a JSON instance file",
        description="Write a deterministic synthetic university of the chosen size to a native JSON file.",
    )
    parser.add_argument("--profile", choices=sorted(PROFILES), default="small", help="size (default: small)")
    parser.add_argument("--seed", type=int, default=0, help="random seed; the same seed gives the same file")
    parser.add_argument("-o", "--output", type=Path, required=True, help="the JSON file to write")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    started = time.perf_counter()
    instance = generate_university(args.profile, seed=args.seed)
    save(instance, args.output)
    elapsed = time.perf_counter() - started
    counts = describe(instance)
    width = max(len(k) for k in counts)
    print(f"synthetic university '{args.profile}', seed {args.seed}:")
    for key, value in counts.items():
        print(f"  {key.replace('_', ' '):<{width}}  {value:>7,}")
    size_kb = args.output.stat().st_size / 1024
    print(f"wrote {args.output} ({size_kb:,.0f} KiB) in {elapsed:.1f} s")
    return 0
