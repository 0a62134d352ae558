"""Errors that users can cause: expected outcomes with clear messages, never tracebacks."""

from __future__ import annotations


class InputError(Exception):
    """A file or request that cannot be used; ``problems`` lists each one with its path."""

    def __init__(self, source: str, problems: list[str]):
        self.source = source
        self.problems = problems
        super().__init__(f"{source}: " + "; ".join(problems))

    def render(self) -> str:
        lines = [f"{self.source}: {len(self.problems)} problem(s)"]
        lines += [f"  {p}" for p in self.problems]
        return "\n".join(lines)
