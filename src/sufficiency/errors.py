"""The one exception family every user-facing failure belongs to."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an input, located as precisely as we can.

    Attributes:
        where: The place: a file path, ``file, row N, column C`` or a dotted YAML path.
        message: What is wrong and what was expected.
    """

    where: str
    message: str

    def __str__(self) -> str:
        return f"{self.where}: {self.message}" if self.where else self.message


class SufficiencyError(Exception):
    """Base class of every error the library raises on purpose.

    Args:
        message: A one-line summary.
        problems: Every located problem found, reported together.
    """

    def __init__(self, message: str, problems: Iterable[Problem] = ()) -> None:
        self.summary = message
        self.problems: tuple[Problem, ...] = tuple(problems)
        super().__init__(self._render())

    def _render(self) -> str:
        if not self.problems:
            return self.summary
        shown = self.problems[:50]
        lines = [self.summary] + [f"  - {p}" for p in shown]
        if len(self.problems) > len(shown):
            lines.append(f"  … and {len(self.problems) - len(shown)} more problems")
        return "\n".join(lines)


class ScenarioError(SufficiencyError):
    """A scenario file or scenario object is invalid."""


class DataError(SufficiencyError):
    """An input table is missing, unreadable or invalid."""


class ForecastError(SufficiencyError):
    """Demand could not be projected."""


class SolveError(SufficiencyError):
    """The allocation model could not be solved to an acceptable status."""


class DataWarning(UserWarning):
    """An input was read, but part of it was skipped or approximated (said in the message)."""
