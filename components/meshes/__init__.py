"""The meshes meshfleet can run. Adding a mesh is adding a module and one line here."""

from __future__ import annotations

from ..config import MeshRules
from .base import IdentitySupport, LocalitySupport, Mesh, MeshDeployment, MeshPorts, ServiceRoutingArgs
from .istio import Istio

AVAILABLE: dict[str, type[Mesh]] = {Istio.type: Istio}

# Designed for (see base.py), not built yet: selecting them is a clear error, never a half-installed mesh.
PLANNED: dict[str, MeshRules] = {
    "linkerd": MeshRules(available=False, topologies=("multi-primary",), example_version="2026.8.3"),
    "consul": MeshRules(available=False, topologies=("multi-primary",), example_version="2.0.3"),
}


def mesh_rules() -> dict[str, MeshRules]:
    return {**{name: mesh.rules for name, mesh in AVAILABLE.items()}, **PLANNED}


def mesh_for(mesh_type: str) -> type[Mesh]:
    """The module of the mesh a fleet runs (e.g. from its contract's `mesh.type`)."""
    if mesh_type not in AVAILABLE:
        raise ValueError(f"this meshfleet release has no {mesh_type!r} module; available: {', '.join(sorted(AVAILABLE))}")
    return AVAILABLE[mesh_type]


__all__ = [
    "AVAILABLE",
    "PLANNED",
    "IdentitySupport",
    "LocalitySupport",
    "Mesh",
    "MeshDeployment",
    "MeshPorts",
    "ServiceRoutingArgs",
    "mesh_for",
    "mesh_rules",
]
