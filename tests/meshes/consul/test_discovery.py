"""Peering without the consul CLI and the fleet's exports (components/meshes/consul/discovery.py)."""

from __future__ import annotations

import base64
import json

import pytest

from components.meshes.consul.discovery import pairs
from components.simulation import Recorded, Simulation, simulate
from tests.meshes.helpers import CONFIG_GROUP, SECRET, cluster_of, depends_on, release
from tests.support import CONSUL, raw_config
from tests.tls_tools import load_cert, load_certs

API = "kubernetes:consul.hashicorp.com/v1alpha1"
PAIRS = [("eks-use1", "gke-euw1"), ("eks-use1", "gke-usc1"), ("gke-euw1", "gke-usc1")]
STACK = "urn:pulumi:consul::meshfleet::"
MESH = "meshfleet:fleet:Fleet$meshfleet:consul:Mesh"


def custom_resources(sim: Simulation, kind: str) -> list[Recorded]:
    return [r for r in sim.resources if r.type == f"{API}:{kind}"]


def acceptors(sim: Simulation, acceptor: str) -> Recorded:
    """The accepting cluster's one group of acceptors; the provider registers each object in it."""
    return sim.named(f"{acceptor}-peering-acceptors", CONFIG_GROUP)


def acceptor_of(sim: Simulation, acceptor: str, dialer: str) -> Recorded:
    return sim.named(f"{acceptor}-peering-acceptors:consul/{dialer}", f"{API}:PeeringAcceptor")


def dialers(sim: Simulation, dialer: str) -> Recorded:
    """The dialer cluster's one group of token copies and dialers; the provider registers each object in it."""
    return sim.named(f"{dialer}-peering-dialers", CONFIG_GROUP)


def token_copy(sim: Simulation, dialer: str, acceptor: str) -> Recorded:
    return sim.named(f"{dialer}-peering-dialers:consul/peering-token-{acceptor}", SECRET)


def dialer_of(sim: Simulation, dialer: str, acceptor: str) -> Recorded:
    return sim.named(f"{dialer}-peering-dialers:consul/{acceptor}", f"{API}:PeeringDialer")


def test_every_pair_is_peered_once_and_the_name_sorting_first_accepts(consul: Simulation) -> None:
    assert pairs(["gke-usc1", "eks-use1", "gke-euw1"]) == PAIRS
    assert sorted(r.name for r in custom_resources(consul, "PeeringAcceptor")) == [f"{a}-peering-acceptors:consul/{d}" for a, d in PAIRS]
    assert sorted(r.name for r in custom_resources(consul, "PeeringDialer")) == sorted(f"{d}-peering-dialers:consul/{a}" for a, d in PAIRS)


@pytest.mark.parametrize(("acceptor", "dialer"), PAIRS)
def test_each_side_of_a_peering_lives_under_its_own_clusters_component(consul: Simulation, acceptor: str, dialer: str) -> None:
    assert not consul.of_type("meshfleet:consul:Peering")  # no component per pair: the program registers only the read
    acceptor_node = consul.named(acceptor, "meshfleet:consul:Cluster")
    dialer_node = consul.named(dialer, "meshfleet:consul:Cluster")
    accept = acceptor_of(consul, acceptor, dialer)
    # The engine's URN: the type follows every ancestor's type (the stock mock would keep only the parent's).
    assert accept.urn == (
        f"{STACK}{MESH}$meshfleet:consul:Cluster$kubernetes:yaml/v2:ConfigGroup${API}:PeeringAcceptor::"
        f"{acceptor}-peering-acceptors:consul/{dialer}"
    )
    assert accept.parent == acceptors(consul, acceptor).urn
    assert acceptors(consul, acceptor).parent == consul.named(f"{acceptor}-peering-token-{dialer}", SECRET).parent == acceptor_node.urn
    assert dialers(consul, dialer).parent == dialer_node.urn
    assert token_copy(consul, dialer, acceptor).parent == dialer_of(consul, dialer, acceptor).parent == dialers(consul, dialer).urn


@pytest.mark.parametrize(("acceptor", "dialer"), PAIRS)
def test_acceptor_writes_its_token_where_the_program_reads_it(consul: Simulation, acceptor: str, dialer: str) -> None:
    accept = acceptor_of(consul, acceptor, dialer)
    assert accept.provider == consul.named(f"{acceptor}-k8s").urn
    assert accept.inputs["metadata"] == {
        "name": dialer,  # the acceptor's name is its peer's name
        "namespace": "consul",
        "annotations": {
            "consul.hashicorp.com/peering-version": "1",
            "pulumi.com/waitFor": '["condition=Synced", "jsonpath={.status.latestPeeringVersion}=1"]',
        },
    }
    assert accept.inputs["spec"] == {"peer": {"secret": {"name": f"peering-token-{dialer}", "key": "data", "backend": "kubernetes"}}}
    read = consul.named(f"{acceptor}-peering-token-{dialer}", SECRET)
    assert read.read and read.provider == accept.provider
    assert read.outputs["metadata"]["name"] == f"peering-token-{dialer}"
    # Read once the acceptors' group is done: each acceptor reports this generation synced (waitFor).
    assert read.dependencies == (acceptors(consul, acceptor).urn,)
    assert depends_on(consul, read, accept)


@pytest.mark.parametrize(("acceptor", "dialer"), PAIRS)
def test_token_is_handed_to_the_dialer_as_a_labelled_secret_and_stays_a_pulumi_secret(
    consul: Simulation, acceptor: str, dialer: str
) -> None:
    read = consul.named(f"{acceptor}-peering-token-{dialer}", SECRET)
    copy = token_copy(consul, dialer, acceptor)
    assert copy.provider == consul.named(f"{dialer}-k8s").urn
    assert copy.inputs["metadata"] == {
        "name": f"peering-token-{acceptor}",
        "namespace": "consul",
        "labels": {"consul.hashicorp.com/peering-token": "true"},  # what the dialer's Secret watch selects
    }
    assert copy.inputs["type"] == "Opaque"
    assert copy.inputs["data"] == read.outputs["data"]  # copied as read: not base64-encoded twice
    assert copy.is_secret("data")
    assert depends_on(consul, copy, read)
    dial = dialer_of(consul, dialer, acceptor)
    assert dial.inputs["metadata"] == {
        "name": acceptor,
        "namespace": "consul",
        # The provider makes the dialer after its Secret (the group's order).
        "annotations": {
            "consul.hashicorp.com/peering-version": "1",
            "config.kubernetes.io/depends-on": f"/namespaces/consul/Secret/peering-token-{acceptor}",
        },
    }
    assert dial.inputs["spec"] == {"peer": {"secret": {"name": f"peering-token-{acceptor}", "key": "data", "backend": "kubernetes"}}}
    assert depends_on(consul, dial, copy) and not depends_on(consul, copy, dial)
    # Only the tokens are secrets in the group's inputs; the dialers stay readable in a diff.
    group = dialers(consul, dialer)
    assert group.secret_inputs == {("objs", i, "data") for i, o in enumerate(group.inputs["objs"]) if o["kind"] == "Secret"}


def test_the_token_names_the_acceptors_server_ca_which_chains_to_the_fleet_root(consul: Simulation) -> None:
    copy = token_copy(consul, "gke-usc1", "eks-use1")
    token = json.loads(base64.b64decode(base64.b64decode(copy.inputs["data"]["data"])))
    assert token["Remote"]["Datacenter"] == "eks-use1"
    [ca] = [load_cert(pem) for pem in token["CA"]]
    assert ca == load_cert(consul.named("eks-use1-consul-ca-cert", SECRET).inputs["stringData"]["tls.crt"])
    [root] = load_certs(consul.exports["rootCaBundle"])
    ca.verify_directly_issued_by(root)


@pytest.mark.parametrize(("acceptor", "dialer"), PAIRS)
def test_nothing_the_injector_admits_comes_before_its_release_or_the_mesh_entry(consul: Simulation, acceptor: str, dialer: str) -> None:
    accept = acceptor_of(consul, acceptor, dialer)
    dial = dialer_of(consul, dialer, acceptor)
    assert depends_on(consul, accept, release(consul, acceptor, "consul"))
    assert depends_on(consul, dial, release(consul, dialer, "consul"))
    # As upstream's acceptance test: peering through mesh gateways is configured on both sides first.
    assert depends_on(consul, accept, consul.named(f"{acceptor}-mesh"))
    assert depends_on(consul, dial, consul.named(f"{dialer}-mesh"))
    for resource in consul.resources:
        if resource.type.startswith(f"{API}:"):
            cluster = cluster_of(resource)
            assert depends_on(consul, resource, release(consul, cluster, "consul")), resource.urn


def test_reissuing_every_peering_token_is_a_config_change(consul: Simulation) -> None:
    mesh = raw_config(CONSUL)["mesh"]
    mesh["consul"]["peeringTokenGeneration"] = 2
    sim = simulate("consul", config_file=CONSUL, config={"meshfleet:mesh": mesh})
    accept = acceptor_of(sim, "eks-use1", "gke-usc1")
    assert accept.inputs["metadata"]["annotations"] == {
        "consul.hashicorp.com/peering-version": "2",
        # Waits for the new token: the old Synced condition alone would let the stale one be read.
        "pulumi.com/waitFor": '["condition=Synced", "jsonpath={.status.latestPeeringVersion}=2"]',
    }
    assert dialer_of(sim, "gke-usc1", "eks-use1").inputs["metadata"]["annotations"]["consul.hashicorp.com/peering-version"] == "2"
    copy = token_copy(sim, "gke-usc1", "eks-use1")
    assert copy.inputs["data"] == sim.named("eks-use1-peering-token-gke-usc1", SECRET).outputs["data"]
    before = token_copy(consul, "gke-usc1", "eks-use1")
    assert copy.inputs["data"] != before.inputs["data"]


@pytest.mark.parametrize(("cluster", "peers"), [("eks-use1", ["gke-euw1", "gke-usc1"]), ("gke-euw1", ["eks-use1", "gke-usc1"])])
def test_one_fleet_owned_export_of_every_service_to_every_peer(consul: Simulation, cluster: str, peers: list[str]) -> None:
    [exports] = [r for r in custom_resources(consul, "ExportedServices") if r.name.startswith(f"{cluster}-")]
    # The webhook admits one ExportedServices per cluster, named `default` without partitions; it refuses a
    # wildcard peer but not a wildcard service.
    assert exports.inputs["metadata"] == {"name": "default", "namespace": "consul"}
    assert exports.inputs["spec"] == {"services": [{"name": "*", "consumers": [{"peer": p} for p in peers]}]}
    assert len(custom_resources(consul, "ExportedServices")) == 3


# --- what a preview reads: only what an earlier `pulumi up` made -------------------------------------

UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"


def preview_after(deployed_clusters: list[str], mesh_type: str = "consul") -> Simulation:
    """A preview of the example fleet whose last deployment published these clusters (its own outputs)."""
    last = {"mesh": {"type": mesh_type}, "clusters": {c: {} for c in deployed_clusters}}
    return simulate("consul", config_file=CONSUL, preview=True, stack_outputs={"organization/meshfleet/consul": last})


def test_a_preview_of_a_peered_fleet_reads_every_token_and_lists_every_dialer() -> None:
    sim = preview_after(["eks-use1", "gke-usc1", "gke-euw1"])
    for acceptor, dialer in PAIRS:
        read = sim.named(f"{acceptor}-peering-token-{dialer}", SECRET)
        assert read.read and set(read.outputs["data"]) == {"data"}, read.name
        assert token_copy(sim, dialer, acceptor).inputs["data"] == read.outputs["data"]
        assert dialer_of(sim, dialer, acceptor).inputs["spec"]["peer"]["secret"]["name"] == f"peering-token-{acceptor}"


def test_a_preview_that_adds_a_cluster_reads_only_the_pairs_peered_before() -> None:
    """gke-usc1 is new: its acceptors do not exist yet, so reading their Secrets would fail the preview."""
    sim = preview_after(["eks-use1", "gke-euw1"])
    assert set(sim.named("eks-use1-peering-token-gke-euw1", SECRET).outputs["data"]) == {"data"}
    for acceptor, dialer in [("eks-use1", "gke-usc1"), ("gke-euw1", "gke-usc1")]:
        assert sim.named(f"{acceptor}-peering-token-{dialer}", SECRET).outputs["data"] == UNKNOWN
    # gke-euw1 dials only eks-use1, peered before: its group is known and the provider lists its objects.
    assert dialer_of(sim, "gke-euw1", "eks-use1").inputs["metadata"]["name"] == "eks-use1"
    # gke-usc1's group holds unknown tokens: the provider lists its objects only in `pulumi up`.
    group = dialers(sim, "gke-usc1")
    assert [r for r in sim.resources if r.parent == group.urn] == []


def test_a_preview_after_another_mesh_reads_no_token() -> None:
    sim = preview_after(["eks-use1", "gke-usc1", "gke-euw1"], mesh_type="istio")
    assert all(r.outputs["data"] == UNKNOWN for r in sim.of_type(SECRET) if r.read)
