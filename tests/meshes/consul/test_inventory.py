"""Every Secret and Consul custom resource each cluster receives. A new or missing object in a cluster is a
reviewable change to these lists; the count grows with the pairs of clusters, one object per peer."""

from __future__ import annotations

import pytest

from components.simulation import Simulation
from tests.meshes.helpers import SECRET


def inventory(sim: Simulation, cluster: str) -> list[tuple[str, str]]:
    objects = [r for r in sim.kubernetes() if r.custom and not r.read and r.name.startswith(f"{cluster}-")]
    return sorted(
        (r.type.split(":")[-1], r.inputs["metadata"]["name"]) for r in objects if r.type == SECRET or "consul.hashicorp.com/" in r.type
    )


@pytest.mark.parametrize(
    ("cluster", "accepts", "dials"),
    [("eks-use1", ["gke-euw1", "gke-usc1"], []), ("gke-euw1", ["gke-usc1"], ["eks-use1"]), ("gke-usc1", [], ["eks-use1", "gke-euw1"])],
)
def test_consul_cluster_inventory(consul: Simulation, cluster: str, accepts: list[str], dials: list[str]) -> None:
    assert inventory(consul, cluster) == sorted(
        [
            ("ExportedServices", "default"),
            ("Mesh", "mesh"),
            ("ProxyDefaults", "global"),
            ("ServiceIntentions", "default"),  # one for the whole cluster, every peer included
            ("Secret", "consul-ca-cert"),
            ("Secret", "consul-ca-key"),
            *[("PeeringAcceptor", peer) for peer in accepts],
            *[("PeeringDialer", peer) for peer in dials],
            *[("Secret", f"peering-token-{peer}") for peer in dials],  # the acceptors' tokens, handed over
        ]
    )
