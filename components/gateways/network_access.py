"""Opening exactly the mesh's ports on the clusters the stack created, and nothing wider."""

from __future__ import annotations

from collections.abc import Mapping

from ..clusters import Cluster
from ..meshes.base import Mesh
from .load_balancer import allowed_sources, sources_are_known


def open_mesh_ports(mesh: Mesh, clusters: Mapping[str, Cluster]) -> None:
    """Per created cluster: its control plane to the mesh's webhooks, and the peers (plus the
    configured source ranges) to the east-west ports. Adopted clusters' networks are not ours to change."""
    for cluster in clusters.values():
        if cluster.firewall is None:
            continue
        if mesh.ports.webhooks:
            cluster.firewall.allow_from_control_plane("mesh-webhooks", mesh.ports.webhooks)
        ports = mesh.ports.east_west
        if mesh.serves_remotes(cluster.spec):
            ports += mesh.ports.control_plane_exposure
        if ports and sources_are_known(cluster, clusters):
            cluster.firewall.allow_from_peers("mesh-east-west", ports, allowed_sources(cluster, clusters))
