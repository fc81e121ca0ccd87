"""Mesh-wide mTLS in every datacenter: ProxyDefaults `global` and the Mesh entry that may relax it."""

from __future__ import annotations

from components.simulation import Simulation, simulate
from tests.support import CONSUL, raw_config

API = "kubernetes:consul.hashicorp.com/v1alpha1"


def test_every_datacenter_enforces_strict_mtls_and_peers_through_its_gateway(consul: Simulation) -> None:
    for cluster in ("eks-use1", "gke-usc1", "gke-euw1"):
        defaults = consul.named(f"{cluster}-proxydefaults", f"{API}:ProxyDefaults")
        assert defaults.inputs["metadata"] == {"name": "global", "namespace": "consul"}  # the webhook admits only `global`
        assert defaults.inputs["spec"] == {"mutualTLSMode": "strict", "meshGateway": {"mode": "local"}}
        mesh = consul.named(f"{cluster}-mesh", f"{API}:Mesh")
        assert mesh.inputs["metadata"] == {"name": "mesh", "namespace": "consul"}  # the one Mesh entry, named `mesh`
        assert mesh.inputs["spec"] == {"peering": {"peerThroughMeshGateways": True}, "allowEnablingPermissiveMutualTLS": False}
        assert mesh.urn in defaults.dependencies


def test_permissive_mtls_is_asked_for_by_name_and_allowed_by_the_mesh_entry() -> None:
    mesh = raw_config(CONSUL)["mesh"]
    mesh["mtls"] = "PERMISSIVE"
    sim = simulate("consul", config_file=CONSUL, config={"meshfleet:mesh": mesh})
    assert sim.named("gke-usc1-proxydefaults", f"{API}:ProxyDefaults").inputs["spec"]["mutualTLSMode"] == "permissive"
    assert sim.named("gke-usc1-mesh", f"{API}:Mesh").inputs["spec"]["allowEnablingPermissiveMutualTLS"] is True
