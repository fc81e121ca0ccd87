"""How the fleet program asks Python's cyclic garbage collector to behave under the Pulumi SDK.

The SDK keeps a handful of objects alive per resource until the program ends (an Output per property,
with its future and task) and makes short-lived reference cycles as it goes (a self-referencing closure
per `contains_unknowns` call, 400,000 of them for 100 clusters). With Python's default thresholds every
object that survives one collection is rescanned by the older generations' collections again and again,
so evaluation grows faster than the fleet. Collecting the youngest generation often still frees the
short-lived cycles; the older generations are left alone, which only keeps a cycle that outlived its
first collection until the process ends (tens of MB at 100 clusters; the SDK's own objects live that
long anyway).
"""

from __future__ import annotations

import gc

YOUNG_THRESHOLD = 1_000
"""Allocations between collections of the youngest generation (Python's default: 700)."""
OLDER_THRESHOLD = 10_000
"""Young collections before an older generation is looked at: about ten million allocations, more than
a 100-cluster fleet makes."""


def collect_young_objects_only() -> tuple[int, int, int]:
    """Apply the policy for the rest of the process (the engine runs a program once); return the
    thresholds it replaced, for a caller that runs programs in a longer-lived process."""
    previous = gc.get_threshold()
    gc.set_threshold(YOUNG_THRESHOLD, OLDER_THRESHOLD, OLDER_THRESHOLD)
    return previous
