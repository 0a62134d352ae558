"""The ``timetable`` command. Each sub-command lives in its own module with ``register(subparsers)``."""

from __future__ import annotations

import argparse
import importlib
import sys

from timetabling import __version__
from timetabling.engine.errors import InputError

# one module per command group; each defines register(subparsers)
COMMAND_MODULES = (
    "timetabling.cli.demo",
    "timetabling.cli.generate",
    "timetabling.cli.repair",
    "timetabling.cli.validate",
    "timetabling.cli.generate_data",
    "timetabling.cli.bench",
    "timetabling.cli.schema",
    "timetabling.cli.check_instance",
    "timetabling.cli.train_resolver",
    "timetabling.cli.serve",
    "timetabling.cli.worker",
    "timetabling.cli.doctor",
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="timetable", description="University timetable generation.")
    parser.add_argument("--version", action="version", version=f"timetable {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMAND_MODULES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as err:
            if err.name == name:  # a command not written yet
                continue
            raise
        module.register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    try:
        return int(args.func(args) or 0)
    except InputError as err:
        print(err.render(), file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
