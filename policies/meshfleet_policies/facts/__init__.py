"""Every mesh the policies understand. A new mesh is a new extractor module and one entry here."""

from __future__ import annotations

from collections.abc import Iterator

from .base import (
    CaMaterial,
    ControlPlane,
    DefaultAccess,
    Exposure,
    MeshFacts,
    MeshMtls,
    OwnTraffic,
    OwnTrafficAllowed,
    Resource,
    TrustAnchors,
)
from .consul import ConsulFacts
from .istio import IstioFacts
from .linkerd import LinkerdFacts

MESHES: list[MeshFacts] = [IstioFacts(), LinkerdFacts(), ConsulFacts()]


def control_planes(resources: list[Resource]) -> Iterator[ControlPlane]:
    for resource in resources:
        for mesh in MESHES:
            if (found := mesh.control_plane(resource)) is not None:
                yield found


__all__ = [
    "MESHES",
    "CaMaterial",
    "ControlPlane",
    "DefaultAccess",
    "Exposure",
    "MeshMtls",
    "OwnTraffic",
    "OwnTrafficAllowed",
    "Resource",
    "TrustAnchors",
    "control_planes",
]
