"""Lookups into a simulation for the Istio tests (the mesh-neutral ones live in tests/meshes/helpers.py)."""

from __future__ import annotations

from components.simulation import Recorded, Simulation
from tests.meshes.helpers import RELEASE, SECRET, depends_on, names, release


def custom_resources(sim: Simulation, cluster: str, kind: str) -> list[Recorded]:
    return [r for r in sim.kubernetes() if r.type.endswith(f":{kind}") and r.name.startswith(f"{cluster}-") and ".istio.io/" in r.type]


__all__ = ["RELEASE", "SECRET", "custom_resources", "depends_on", "names", "release"]
