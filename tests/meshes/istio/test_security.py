"""Mesh-wide mTLS in the root namespace of every primary."""

from __future__ import annotations

from components.simulation import Simulation
from tests.meshes.istio.helpers import custom_resources
from tests.support import prod_raw, simulated


def test_prod_enforces_strict_mtls_in_every_primary(prod: Simulation) -> None:
    for cluster in ("eks-use1", "eks-usw2", "gke-euw1"):
        [policy] = custom_resources(prod, cluster, "PeerAuthentication")
        assert policy.type == "kubernetes:security.istio.io/v1:PeerAuthentication"
        assert policy.inputs["metadata"] == {"name": "default", "namespace": "istio-system"}
        assert policy.inputs["spec"] == {"mtls": {"mode": "STRICT"}}


def test_mtls_mode_is_configurable_per_stack() -> None:
    mesh = prod_raw()["mesh"]
    mesh["mtls"] = "PERMISSIVE"
    sim = simulated("prod", config={"meshfleet:mesh": mesh})
    [policy] = custom_resources(sim, "eks-usw2", "PeerAuthentication")
    assert policy.inputs["spec"] == {"mtls": {"mode": "PERMISSIVE"}}
