"""Every Secret, custom resource and patch each Linkerd cluster receives.

A new or missing object in a cluster is a reviewable change to these lists.
"""

from __future__ import annotations

import pytest

from components.simulation import Simulation, simulate
from tests.meshes.helpers import RELEASE
from tests.support import LINKERD, raw_config

CLUSTERS = ("eks-use1", "eks-euc1", "gke-usc1")


def inventory(sim: Simulation, cluster: str) -> list[tuple[str, str, str]]:
    objects = [r for r in sim.kubernetes() if r.custom and not r.read and r.name.startswith(f"{cluster}-") and r.type != RELEASE]
    return sorted((r.type.split(":")[-1], r.inputs["metadata"].get("namespace", ""), r.inputs["metadata"]["name"]) for r in objects)


@pytest.fixture(scope="module")
def remote() -> Simulation:
    mesh = raw_config(LINKERD)["mesh"]
    mesh["linkerd"] = {"remoteDiscovery": True}
    return simulate("linkerd", config_file=LINKERD, config={"meshfleet:mesh": mesh})


@pytest.mark.parametrize("cluster", CLUSTERS)
def test_cluster_inventory(linkerd: Simulation, remote: Simulation, cluster: str) -> None:
    peers = [c for c in CLUSTERS if c != cluster]
    gateway_mode = [
        ("Namespace", "", "linkerd"),
        ("Namespace", "", "linkerd-multicluster"),
        ("Secret", "linkerd", "linkerd-identity-issuer"),
        ("Secret", "linkerd-multicluster", "linkerd-service-mirror-remote-access-default-token-g1"),
        *[("Secret", "linkerd-multicluster", f"cluster-credentials-{peer}") for peer in peers],
        *[("Link", "linkerd-multicluster", peer) for peer in peers],
    ]
    assert inventory(linkerd, cluster) == sorted(gateway_mode)
    # Remote discovery adds the destination controller's credentials and its restart on rotation.
    assert inventory(remote, cluster) == sorted(
        [
            *gateway_mode,
            ("DeploymentPatch", "linkerd", "linkerd-destination"),
            *[("Secret", "linkerd", f"cluster-credentials-{peer}") for peer in peers],
        ]
    )


def test_per_pair_exactly_what_link_gen_prints_that_the_fleet_reads(linkerd: Simulation, remote: Simulation) -> None:
    """Per ordered pair the Link and its credentials for the service mirror, and with remote discovery the
    destination controller's copy (upstream's link-gen prints all three); everything else is per cluster."""
    pairs = len(CLUSTERS) * (len(CLUSTERS) - 1)
    per_cluster = 4  # two namespaces, the issuer, the reader token
    assert sum(len(inventory(linkerd, c)) for c in CLUSTERS) == per_cluster * len(CLUSTERS) + 2 * pairs
    # ... and the destination restart
    assert sum(len(inventory(remote, c)) for c in CLUSTERS) == (per_cluster + 1) * len(CLUSTERS) + 3 * pairs


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
