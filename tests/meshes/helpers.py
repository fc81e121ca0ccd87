"""Lookups into a simulation that every mesh's tests share."""

from __future__ import annotations

from collections.abc import Iterable

from components.simulation import Recorded, Simulation

RELEASE = "kubernetes:helm.sh/v3:Release"
SECRET = "kubernetes:core/v1:Secret"


def release(sim: Simulation, cluster: str, name: str) -> Recorded:
    return sim.named(f"{cluster}-{name}", RELEASE)


def depends_on(sim: Simulation, resource: Recorded, target: Recorded) -> bool:
    """Whether `resource` waits for `target`, directly or through other resources."""
    seen: set[str] = set()
    stack = [resource.urn]
    by_urn = {r.urn: r for r in sim.resources}
    while stack:
        urn = stack.pop()
        for dependency in by_urn[urn].all_dependencies if urn in by_urn else ():
            if dependency == target.urn:
                return True
            if dependency not in seen:
                seen.add(dependency)
                stack.append(dependency)
    return False


def names(resources: Iterable[Recorded]) -> list[str]:
    return sorted(r.name for r in resources)
