"""Every Secret, custom resource and patch each Linkerd cluster receives.

A new or missing object in a cluster is a reviewable change to these lists.
"""

from __future__ import annotations

import pytest

from components.simulation import Simulation
from tests.meshes.helpers import RELEASE

CLUSTERS = ("eks-use1", "eks-euc1", "gke-usc1")


def inventory(sim: Simulation, cluster: str) -> list[tuple[str, str, str]]:
    objects = [r for r in sim.kubernetes() if r.custom and not r.read and r.name.startswith(f"{cluster}-") and r.type != RELEASE]
    return sorted((r.type.split(":")[-1], r.inputs["metadata"].get("namespace", ""), r.inputs["metadata"]["name"]) for r in objects)


@pytest.mark.parametrize("cluster", CLUSTERS)
def test_cluster_inventory(linkerd: Simulation, cluster: str) -> None:
    peers = [c for c in CLUSTERS if c != cluster]
    assert inventory(linkerd, cluster) == sorted(
        [
            ("Namespace", "", "linkerd"),
            ("Namespace", "", "linkerd-multicluster"),
            ("Secret", "linkerd", "linkerd-identity-issuer"),
            ("Secret", "linkerd-multicluster", "linkerd-service-mirror-remote-access-default-token-g1"),
            ("DeploymentPatch", "linkerd", "linkerd-destination"),
            *[("Secret", "linkerd", f"cluster-credentials-{peer}") for peer in peers],
            *[("Secret", "linkerd-multicluster", f"cluster-credentials-{peer}") for peer in peers],
            *[("Link", "linkerd-multicluster", peer) for peer in peers],
        ]
    )


def test_per_pair_exactly_what_link_gen_prints(linkerd: Simulation) -> None:
    """Per ordered pair the Link and its two credentials Secrets (upstream's link-gen prints these three);
    everything else is per cluster."""
    per_cluster = 5  # two namespaces, the issuer, the reader token, the destination restart
    assert sum(len(inventory(linkerd, c)) for c in CLUSTERS) == per_cluster * len(CLUSTERS) + 3 * len(CLUSTERS) * (len(CLUSTERS) - 1)


def test_components_follow_the_istio_layout(linkerd: Simulation) -> None:
    components = sorted({r.type for r in linkerd.resources if r.type.startswith("meshfleet:linkerd:")})
    assert components == [
        "meshfleet:linkerd:Cluster",
        "meshfleet:linkerd:ControlPlane",
        "meshfleet:linkerd:Mesh",
        "meshfleet:linkerd:MulticlusterGateway",
    ]
    mesh = linkerd.named("linkerd", "meshfleet:linkerd:Mesh")
    for cluster in CLUSTERS:
        node = linkerd.named(cluster, "meshfleet:linkerd:Cluster")
        assert node.parent == mesh.urn
        for kind in ("ControlPlane", "MulticlusterGateway"):
            assert linkerd.named(cluster, f"meshfleet:linkerd:{kind}").parent == node.urn
