"""Every Secret and custom resource each cluster receives, and what each waits for.

A new or missing object in a cluster is a reviewable change to these lists.
"""

from __future__ import annotations

import pytest

from components.simulation import Simulation
from tests.meshes.istio.helpers import SECRET, depends_on, release


def inventory(sim: Simulation, cluster: str) -> list[tuple[str, str]]:
    objects = [r for r in sim.kubernetes() if r.custom and not r.read and r.name.startswith(f"{cluster}-")]
    return sorted((r.type.split(":")[-1], r.inputs["metadata"]["name"]) for r in objects if r.type == SECRET or ".istio.io/" in r.type)


@pytest.mark.parametrize("cluster", ["eks-use1", "eks-usw2", "gke-euw1"])
def test_prod_cluster_inventory(prod: Simulation, cluster: str) -> None:
    assert inventory(prod, cluster) == [
        ("Gateway", "cross-network-gateway"),
        ("PeerAuthentication", "default"),
        ("Secret", "cacerts"),
        ("Secret", "istio-reader-service-account-token-g1"),
        ("Secret", "istio-remote-secrets"),  # one for all peers (test_discovery.py)
    ]


def test_primary_remote_inventory(primary_remote: Simulation) -> None:
    assert inventory(primary_remote, "gke-usc1") == [
        ("Gateway", "cross-network-gateway"),
        ("Gateway", "istiod-gateway"),
        ("PeerAuthentication", "default"),
        ("Secret", "cacerts"),
        ("Secret", "istio-remote-secrets"),
        # The example turns on observability: tracing and access logs, mesh-wide (docs/app-teams.md).
        ("Telemetry", "mesh-default"),
        ("VirtualService", "istiod-vs-1-30-5"),
    ]
    for remote in ("eks-use1", "gke-euw4"):
        assert inventory(primary_remote, remote) == [("Secret", "istio-reader-service-account-token-g1")]


def test_primary_remote_custom_resources_wait_for_the_gateway_and_crds(primary_remote: Simulation) -> None:
    base = release(primary_remote, "gke-usc1", "istio-base")
    gateway = release(primary_remote, "gke-usc1", "istio-eastwestgateway")
    for resource in primary_remote.kubernetes():
        if (
            ".istio.io/" in resource.type
            and resource.name.startswith("gke-usc1-")
            and resource.type.endswith(("Gateway", "VirtualService"))
        ):
            assert depends_on(primary_remote, resource, base), resource.urn
            assert depends_on(primary_remote, resource, gateway), resource.urn
