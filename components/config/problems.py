"""Collecting configuration problems so that one error can name every one of them."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi


@dataclass(frozen=True)
class ConfigProblem:
    key: str
    """Full config key with its path, e.g. `meshfleet:clusters[1].network`."""
    message: str
    """What is wrong, what would be valid, and how to fix it."""

    def __str__(self) -> str:
        return f"{self.key}: {self.message}"


class FleetConfigError(pulumi.RunError):
    """Raised before any resource is registered. RunError makes Pulumi print it without a traceback."""

    def __init__(self, problems: list[ConfigProblem]) -> None:
        self.problems = list(problems)
        count = len(self.problems)
        noun = "problem" if count == 1 else "problems"
        lines = [f"meshfleet configuration has {count} {noun}; nothing was created:"]
        lines += [f"  - {problem}" for problem in self.problems]
        super().__init__("\n".join(lines))


class Problems:
    """An ordered list of problems, shared by every validator of one config load."""

    def __init__(self) -> None:
        self.items: list[ConfigProblem] = []

    def add(self, key: str, message: str) -> None:
        self.items.append(ConfigProblem(key, message))

    def raise_if_any(self) -> None:
        if self.items:
            raise FleetConfigError(self.items)
