"""The meshes meshfleet can run. Adding a mesh is adding a module and one line here."""

from __future__ import annotations

from ..config import MeshRules
from .base import LocalitySupport, Mesh, MeshDeployment, MeshPorts
from .istio import Istio

AVAILABLE: dict[str, type[Mesh]] = {Istio.type: Istio}

# Designed for (see base.py), not built yet: selecting them is a clear error, never a half-installed mesh.
PLANNED: dict[str, MeshRules] = {
    "linkerd": MeshRules(available=False, topologies=("multi-primary",), example_version="2026.8.3"),
    "consul": MeshRules(available=False, topologies=("multi-primary",), example_version="2.0.3"),
}


def mesh_rules() -> dict[str, MeshRules]:
    return {**{name: mesh.rules for name, mesh in AVAILABLE.items()}, **PLANNED}


__all__ = ["AVAILABLE", "PLANNED", "LocalitySupport", "Mesh", "MeshDeployment", "MeshPorts", "mesh_rules"]
