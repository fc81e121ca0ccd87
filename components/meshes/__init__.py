"""The meshes meshfleet can run. Adding a mesh is adding a module and one line here."""

from __future__ import annotations

from ..config import MeshRules
from .access import AccessRule, AccessSupport, Caller, ServiceAccessArgs
from .base import IdentitySupport, LocalitySupport, Mesh, MeshDeployment, MeshPorts
from .consul import Consul
from .istio import Istio
from .linkerd import Linkerd
from .routing import BlueGreen, HeaderMatch, HeaderRoute, Ingress, Mirror, Retries, ServiceRoutingArgs

AVAILABLE: dict[str, type[Mesh]] = {Istio.type: Istio, Linkerd.type: Linkerd, Consul.type: Consul}

# Meshes designed for but not built yet: selecting one is a clear error, never a half-installed mesh.
# Every mesh base.py was designed for is built now.
PLANNED: dict[str, MeshRules] = {}


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
    "AccessRule",
    "AccessSupport",
    "BlueGreen",
    "Caller",
    "HeaderMatch",
    "HeaderRoute",
    "IdentitySupport",
    "Ingress",
    "LocalitySupport",
    "Mesh",
    "MeshDeployment",
    "MeshPorts",
    "Mirror",
    "Retries",
    "ServiceAccessArgs",
    "ServiceRoutingArgs",
    "mesh_for",
    "mesh_rules",
]
