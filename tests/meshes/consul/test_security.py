"""Mesh-wide mTLS in every datacenter: ProxyDefaults `global` and the Mesh entry that may relax it."""

from __future__ import annotations

from components.meshes.consul.values import MESH_DEFAULT_ACTION, default_intentions_spec
from components.simulation import Simulation, simulate
from tests.meshes.helpers import depends_on, release
from tests.support import CONSUL, raw_config

API = "kubernetes:consul.hashicorp.com/v1alpha1"


def test_every_datacenter_enforces_strict_mtls_and_peers_through_its_gateway(consul: Simulation) -> None:
    for cluster in ("eks-use1", "gke-usc1", "gke-euw1"):
        defaults = consul.named(f"{cluster}-proxydefaults", f"{API}:ProxyDefaults")
        assert defaults.inputs["metadata"] == {"name": "global", "namespace": "consul"}  # the webhook admits only `global`
        assert defaults.inputs["spec"] == {"mutualTLSMode": "strict", "meshGateway": {"mode": "local"}}
        mesh = consul.named(f"{cluster}-mesh", f"{API}:Mesh")
        # The one Mesh entry, named `mesh`, awaited until it is in Consul (tests/meshes/consul/test_peering.py).
        assert mesh.inputs["metadata"] == {"name": "mesh", "namespace": "consul", "annotations": {"pulumi.com/waitFor": "condition=Synced"}}
        assert mesh.inputs["spec"] == {"peering": {"peerThroughMeshGateways": True}, "allowEnablingPermissiveMutualTLS": False}
        assert mesh.urn in defaults.dependencies


def test_permissive_mtls_is_asked_for_by_name_and_allowed_by_the_mesh_entry() -> None:
    mesh = raw_config(CONSUL)["mesh"]
    mesh["mtls"] = "PERMISSIVE"
    sim = simulate("consul", config_file=CONSUL, config={"meshfleet:mesh": mesh})
    assert sim.named("gke-usc1-proxydefaults", f"{API}:ProxyDefaults").inputs["spec"]["mutualTLSMode"] == "permissive"
    assert sim.named("gke-usc1-mesh", f"{API}:Mesh").inputs["spec"]["allowEnablingPermissiveMutualTLS"] is True


PEERS = {"eks-use1": ["gke-euw1", "gke-usc1"], "gke-usc1": ["eks-use1", "gke-euw1"], "gke-euw1": ["eks-use1", "gke-usc1"]}


def test_with_acls_every_meshed_service_may_still_call_every_other_locally_and_from_every_peer(consul: Simulation) -> None:
    for cluster, peers in PEERS.items():
        [intentions] = [r for r in consul.of_type(f"{API}:ServiceIntentions") if r.name.startswith(f"{cluster}-")]
        assert intentions.name == f"{cluster}-serviceintentions"
        assert intentions.provider == consul.named(f"{cluster}-k8s").urn
        assert intentions.inputs["metadata"] == {"name": "default", "namespace": "consul"}
        # One object: the wildcard destination, a wildcard local source, and a wildcard source per peer (the
        # webhook refuses a wildcard peer, Consul a source listed twice).
        assert intentions.inputs["spec"] == {
            "destination": {"name": "*"},
            "sources": [{"name": "*", "action": "allow"}, *({"name": "*", "peer": peer, "action": "allow"} for peer in peers)],
        }
    assert len(consul.of_type(f"{API}:ServiceIntentions")) == 3


def test_the_intentions_wait_for_the_injector_that_admits_them(consul: Simulation) -> None:
    for cluster in PEERS:
        intentions = consul.named(f"{cluster}-serviceintentions", f"{API}:ServiceIntentions")
        # The injector's webhook admits ServiceIntentions (failurePolicy Fail) and its controller, with the
        # token server-acl-init gives it (intentions = "write"), writes them to Consul: both come with the release.
        assert depends_on(consul, intentions, release(consul, cluster, "consul")), intentions.urn


def test_a_single_cluster_fleet_allows_its_own_services_only() -> None:
    config = raw_config(CONSUL)
    config["mesh"].pop("locality")  # its failover names the regions of the clusters left out
    sim = simulate("consul", config_file=CONSUL, config={"meshfleet:mesh": config["mesh"], "meshfleet:clusters": config["clusters"][:1]})
    [intentions] = sim.of_type(f"{API}:ServiceIntentions")
    assert intentions.inputs["spec"] == {"destination": {"name": "*"}, "sources": [{"name": "*", "action": "allow"}]}


def test_the_default_action_is_the_one_seam_for_a_deny_default() -> None:
    # A later `deny` default changes only the action; peers stay sorted, so reordering clusters changes nothing.
    assert default_intentions_spec(["gke-usc1", "eks-use1"], action="deny") == {
        "destination": {"name": "*"},
        "sources": [
            {"name": "*", "action": "deny"},
            {"name": "*", "peer": "eks-use1", "action": "deny"},
            {"name": "*", "peer": "gke-usc1", "action": "deny"},
        ],
    }
    assert MESH_DEFAULT_ACTION == "allow"
