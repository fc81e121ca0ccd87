"""What a long command is doing, on stderr: its stage, how far it is, per cluster.

Plain lines, the same on a terminal and in a CI log (no library draws bars here), counted in resources
and never timed, so that stdout stays the command's result.
"""

from __future__ import annotations

import sys
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from typing import TextIO

from .plan import FLEET_WIDE, cluster_of

EVERY = 50
"""Resources between two progress lines: a 30-cluster fleet registers about 2,000."""


class Progress:
    def __init__(self, clusters: Sequence[str], out: TextIO | None = None, every: int = EVERY) -> None:
        self.clusters = list(clusters)
        self.out = out
        self.every = every
        self._planned: Counter[str] = Counter()
        self._checked: Counter[str] = Counter()

    def stage(self, text: str) -> None:
        self._print(f"meshfleet: {text}")

    def planned(self, count: int, name: str) -> None:
        """After each resource the program registers (RecordingMonitor's `progress`)."""
        self._planned[cluster_of(name, self.clusters)] += 1
        if count % self.every == 0:
            self._print(f"  ... {count} resources planned ({self._groups(self._planned)})")

    def checked(self, done: int, total: int, name: str, totals: Mapping[str, int]) -> None:
        """After the policy pack analysed a resource; `totals` are the resources to check per group."""
        self._checked[cluster_of(name, self.clusters)] += 1
        if done % self.every == 0 or done == total:
            shown = ", ".join(f"{group} {self._checked[group]}/{count}" for group, count in totals.items())
            self._print(f"  ... {done} of {total} resources checked ({shown})")

    def group_sizes(self, names: Iterable[str]) -> dict[str, int]:
        """Resources per cluster (then fleet-wide), in the order the clusters are configured."""
        sizes = Counter(cluster_of(name, self.clusters) for name in names)
        return {group: sizes[group] for group in [*self.clusters, FLEET_WIDE] if sizes[group]}

    def _groups(self, counts: Counter[str]) -> str:
        return ", ".join(f"{group} {counts[group]}" for group in [*self.clusters, FLEET_WIDE] if counts[group])

    def _print(self, line: str) -> None:
        print(line, file=self.out or sys.stderr, flush=True)
