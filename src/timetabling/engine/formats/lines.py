"""Reading the line-based competition formats (ITC-2007 ``.ctt``/``.sol``, ECTT ``.ectt``): the file's non-blank
lines split into fields, and the problems found, each with its line number, raised together as one
:class:`InputError` by the reader."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from timetabling.engine.errors import InputError

__all__ = ["Line", "Problems", "check_fields", "read_lines"]


@dataclass
class Line:
    number: int  # 1-based, as an editor shows it
    fields: list[str]


def read_lines(path: Path) -> list[Line]:
    """The file's non-blank lines, split on any run of spaces and tabs; an unreadable file is an InputError."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputError(str(path), ["file not found"]) from None
    except (OSError, UnicodeDecodeError) as err:
        raise InputError(str(path), [f"cannot read the file: {err}"]) from None
    # split() on no argument takes any run of spaces and tabs as one separator
    return [Line(i, line.split()) for i, line in enumerate(text.splitlines(), start=1) if line.strip()]


class Problems:
    """Collects problems, each prefixed with its line number."""

    def __init__(self) -> None:
        self.items: list[str] = []

    def add(self, line: int | None, message: str) -> None:
        self.items.append(f"line {line}: {message}" if line is not None else message)

    def int_field(self, line: Line, index: int, what: str, minimum: int = 0) -> int | None:
        raw = line.fields[index]
        try:
            value = int(raw)
        except ValueError:
            self.add(line.number, f"{what} must be a whole number (got {raw!r})")
            return None
        if value < minimum:
            self.add(line.number, f"{what} must be at least {minimum} (got {value})")
            return None
        return value

    def in_grid(self, line: Line, day: int, period: int, n_days: int, n_periods: int) -> bool:
        if day < n_days and period < n_periods:
            return True
        grid = f"{n_days} days x {n_periods} periods"
        self.add(line.number, f"slot ({day}, {period}) is outside the grid ({grid})")
        return False


def check_fields(line: Line, n: int, what: str, problems: Problems) -> bool:
    """The line has exactly ``n`` fields; otherwise a problem naming ``what`` the line should be."""
    if len(line.fields) != n:
        problems.add(line.number, f"a {what} line has {n} fields, this one has {len(line.fields)}")
        return False
    return True
