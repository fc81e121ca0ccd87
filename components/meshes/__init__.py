"""The meshes meshfleet can run. Adding a mesh is adding a module here, its app-team side in
meshfleet_appteam (appteam/), and one line in each package.

App teams' types (routing and access arguments) and `mesh_for` are meshfleet_appteam's, re-exported here."""

from __future__ import annotations

from meshfleet_appteam import (
    AccessRule,
    AccessSupport,
    BlueGreen,
    Caller,
    HeaderMatch,
    HeaderRoute,
    Ingress,
    LocalitySupport,
    Mirror,
    Retries,
    ServiceAccessArgs,
    ServiceMesh,
    ServiceRoutingArgs,
    mesh_for,
)

from ..config import MeshRules
from .base import IdentitySupport, Mesh, MeshDeployment, MeshPorts
from .consul import Consul
from .istio import Istio
from .linkerd import Linkerd

AVAILABLE: dict[str, type[Mesh]] = {Istio.type: Istio, Linkerd.type: Linkerd, Consul.type: Consul}

# Meshes designed for but not built yet: selecting one is a clear error, never a half-installed mesh.
# Every mesh base.py was designed for is built now.
PLANNED: dict[str, MeshRules] = {}


def mesh_rules() -> dict[str, MeshRules]:
    return {**{name: mesh.rules for name, mesh in AVAILABLE.items()}, **PLANNED}


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
    "ServiceMesh",
    "ServiceRoutingArgs",
    "mesh_for",
    "mesh_rules",
]
