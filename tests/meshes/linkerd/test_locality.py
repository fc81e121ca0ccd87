"""Locality on Linkerd (meshfleet_appteam/linkerd/locality.py): declared as what it is, in the contract."""

from __future__ import annotations

from components.meshes import mesh_for
from components.simulation import Simulation


def test_the_contract_says_linkerd_does_not_fail_over_across_clusters(linkerd: Simulation) -> None:
    assert linkerd.exports["mesh"]["locality"] == {
        "crossClusterFailover": False,
        "summary": "within a cluster only (topology-aware routing); across clusters traffic follows HTTPRoute weights to the "
        "mirrored '<service>-<cluster>' Services or is balanced by federated services, with no automatic locality failover",
        "failover": [],
    }
    assert mesh_for("linkerd").locality.cross_cluster_failover is False


def test_the_contract_says_identities_chain_to_the_fleets_root(linkerd: Simulation) -> None:
    assert linkerd.exports["mesh"]["identity"]["sharedRoot"] is True
    assert linkerd.exports["mesh"]["injectionAnnotations"] == {"linkerd.io/inject": "enabled"}
    assert linkerd.exports["mesh"]["injectionLabel"] == {}
