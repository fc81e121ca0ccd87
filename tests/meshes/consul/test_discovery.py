"""Peering without the consul CLI and the fleet's exports (components/meshes/consul/discovery.py)."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest

from components.meshes.consul.discovery import dialed_with, pairs
from components.simulation import ProgramFailed, Recorded, Simulation, simulate
from components.simulation.mocks import FleetMocks
from tests.meshes.helpers import CONFIG_GROUP, SECRET, cluster_of, depends_on, release
from tests.support import CONSUL, raw_config
from tests.tls_tools import load_cert, load_certs

API = "kubernetes:consul.hashicorp.com/v1alpha1"
PAIRS = [("eks-use1", "gke-euw1"), ("eks-use1", "gke-usc1"), ("gke-euw1", "gke-usc1")]
STACK = "urn:pulumi:consul::meshfleet::"
MESH = "meshfleet:fleet:Fleet$meshfleet:consul:Mesh"


def custom_resources(sim: Simulation, kind: str) -> list[Recorded]:
    return [r for r in sim.resources if r.type == f"{API}:{kind}"]


def acceptor_of(sim: Simulation, acceptor: str, dialer: str) -> Recorded:
    return sim.named(f"{acceptor}-peering-acceptor-{dialer}", f"{API}:PeeringAcceptor")


def token_read(sim: Simulation, acceptor: str, dialer: str) -> Recorded:
    return sim.named(f"{acceptor}-peering-token-{dialer}", SECRET)


def token_copy(sim: Simulation, dialer: str, acceptor: str) -> Recorded:
    return sim.named(f"{dialer}-peering-token-copy-{acceptor}", SECRET)


def dialer_of(sim: Simulation, dialer: str, acceptor: str) -> Recorded:
    return sim.named(f"{dialer}-peering-dialer-{acceptor}", f"{API}:PeeringDialer")


def pair_objects(sim: Simulation, acceptor: str, dialer: str) -> list[Recorded]:
    """The four resources of a peering: acceptor, token read, token copy, dialer."""
    return [
        acceptor_of(sim, acceptor, dialer),
        token_read(sim, acceptor, dialer),
        token_copy(sim, dialer, acceptor),
        dialer_of(sim, dialer, acceptor),
    ]


def test_every_pair_is_peered_once_and_the_name_sorting_first_accepts(consul: Simulation) -> None:
    assert pairs(["gke-usc1", "eks-use1", "gke-euw1"]) == PAIRS
    assert sorted(r.name for r in custom_resources(consul, "PeeringAcceptor")) == [f"{a}-peering-acceptor-{d}" for a, d in PAIRS]
    assert sorted(r.name for r in custom_resources(consul, "PeeringDialer")) == sorted(f"{d}-peering-dialer-{a}" for a, d in PAIRS)


@pytest.mark.parametrize(("acceptor", "dialer"), PAIRS)
def test_each_side_of_a_peering_lives_under_its_own_clusters_component(consul: Simulation, acceptor: str, dialer: str) -> None:
    assert not consul.of_type("meshfleet:consul:Peering")  # no component per pair: its objects live in two clusters
    assert not consul.of_type(CONFIG_GROUP)  # each object is a resource the program registers itself
    acceptor_node = consul.named(acceptor, "meshfleet:consul:Cluster")
    dialer_node = consul.named(dialer, "meshfleet:consul:Cluster")
    accept = acceptor_of(consul, acceptor, dialer)
    # The engine's URN: the type follows every ancestor's type (the stock mock would keep only the parent's).
    assert accept.urn == f"{STACK}{MESH}$meshfleet:consul:Cluster${API}:PeeringAcceptor::{acceptor}-peering-acceptor-{dialer}"
    assert accept.parent == token_read(consul, acceptor, dialer).parent == acceptor_node.urn
    assert token_copy(consul, dialer, acceptor).parent == dialer_of(consul, dialer, acceptor).parent == dialer_node.urn


def test_four_resources_per_pair_and_nothing_else_per_pair(consul: Simulation) -> None:
    per_pair = {r.urn for a, d in PAIRS for r in pair_objects(consul, a, d)}
    assert len(per_pair) == 4 * len(PAIRS)
    peering = [r for r in consul.resources if r.type in (f"{API}:PeeringAcceptor", f"{API}:PeeringDialer") or "peering-token" in r.name]
    assert {r.urn for r in peering} == per_pair


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
    read = token_read(consul, acceptor, dialer)
    # Read in the acceptor's cluster, through the provider that lets a preview survive it unreachable: the same
    # connection as the cluster's own provider, and `skipUpdateUnreachable` (clusters/base.py kubernetes_providers).
    reads, writes = consul.named(f"{acceptor}-k8s-reads"), consul.named(f"{acceptor}-k8s")
    assert read.read and read.provider == reads.urn
    assert reads.inputs == {**writes.inputs, "skipUpdateUnreachable": "true"}
    assert reads.parent == writes.parent and reads.dependencies == writes.dependencies
    assert read.id == f"consul/peering-token-{dialer}"
    assert read.outputs["metadata"]["name"] == f"peering-token-{dialer}"
    # Read once the acceptor reports this generation synced (waitFor); its id comes from that status.
    assert read.dependencies == (accept.urn,)
    assert accept.outputs["status"]["latestPeeringVersion"] == 1


@pytest.mark.parametrize(("acceptor", "dialer"), PAIRS)
def test_token_is_handed_to_the_dialer_as_a_labelled_secret_and_stays_a_pulumi_secret(
    consul: Simulation, acceptor: str, dialer: str
) -> None:
    read = token_read(consul, acceptor, dialer)
    copy = token_copy(consul, dialer, acceptor)
    assert copy.provider == consul.named(f"{dialer}-k8s").urn
    assert copy.inputs["metadata"] == {
        "name": f"peering-token-{acceptor}",
        "namespace": "consul",
        "labels": {"consul.hashicorp.com/peering-token": "true"},  # what the dialer's Secret watch selects
    }
    assert copy.inputs["type"] == "Opaque"
    assert copy.inputs["data"] == read.outputs["data"]  # copied as read: not base64-encoded twice
    assert copy.secret_inputs == {("data",)}  # only the token is a secret; the rest stays readable in a diff
    assert depends_on(consul, copy, read)
    dial = dialer_of(consul, dialer, acceptor)
    assert dial.provider == copy.provider
    # No peering-version: a new token reaches a dialer as its Secret's change (test_peering.py). Pulumi waits
    # until it established with the Secret at its current resourceVersion.
    assert dial.inputs["metadata"] == {
        "name": acceptor,
        "namespace": "consul",
        "annotations": {"pulumi.com/waitFor": dialed_with(copy.outputs["metadata"]["resourceVersion"])},
    }
    assert dial.inputs["spec"] == {"peer": {"secret": {"name": f"peering-token-{acceptor}", "key": "data", "backend": "kubernetes"}}}
    # The dialer after its Secret: the dialer's controller reads the token when the dialer appears.
    assert copy.urn in dial.dependencies and not depends_on(consul, copy, dial)
    assert dial.secret_inputs == frozenset()


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
    # A new Secret for the new token (test_peering.py: what recovers an acceptor whose status write failed).
    assert accept.inputs["spec"]["peer"]["secret"]["name"] == "peering-token-gke-usc1-2"
    # Only the acceptors are bumped: the dialer sees its Secret change (test_peering.py).
    assert "consul.hashicorp.com/peering-version" not in dialer_of(sim, "gke-usc1", "eks-use1").inputs["metadata"]["annotations"]
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


def test_an_up_whose_acceptor_never_synced_fails_naming_the_acceptor(monkeypatch: pytest.MonkeyPatch) -> None:
    """The provider's await gives up on an acceptor that never reports Synced at this generation; were its status
    to arrive without it, the read would not copy a stale token: the run stops and says where to look."""
    monkeypatch.setattr(
        FleetMocks, "_peering_acceptor", lambda self, args: {"status": {"conditions": [{"type": "Synced", "status": "False"}]}}
    )
    with pytest.raises(ProgramFailed) as caught:
        simulate("consul", config_file=CONSUL)
    assert "the PeeringAcceptor for 'gke-euw1' in 'eks-use1' is not synced at peering version 1; check its status and the connect " in str(
        caught.value
    )
    assert not [r for r in caught.value.resources if r.type == f"{API}:PeeringDialer"]


def test_an_up_that_reads_an_empty_token_fails_naming_the_accepting_cluster(monkeypatch: pytest.MonkeyPatch) -> None:
    """What the reads provider answers for a cluster it cannot reach (`skipUpdateUnreachable`: the empty inputs of
    the `get`, provider.go Read at v4.32.0) in `pulumi up`: the run stops naming the cluster instead of
    copying an empty token to the dialer."""
    written = FleetMocks._secret
    monkeypatch.setattr(FleetMocks, "_secret", lambda self, args: {} if args.resource_id else written(self, args))
    with pytest.raises(ProgramFailed) as caught:
        simulate("consul", config_file=CONSUL)
    assert "could not read the peering token Secret in 'eks-use1': the Kubernetes provider warned if that cluster is unreachable" in str(
        caught.value
    )
    assert not [r for r in caught.value.resources if r.type == f"{API}:PeeringDialer"]


# --- what a preview shows against the last deployment (components/simulation/state.py) -----------------

UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"


def consul_stack(clusters: list[str] | None = None, mesh: dict[str, Any] | None = None, **inputs: Any) -> Simulation:
    """The example fleet, on some of its clusters or with another mesh block."""
    raw = raw_config(CONSUL)
    config: dict[str, Any] = {}
    if clusters is not None:
        config["meshfleet:clusters"] = [c for c in raw["clusters"] if c["name"] in clusters]
        mesh = mesh or {k: v for k, v in raw["mesh"].items() if k != "locality"}  # its failover names every region
    if mesh is not None:
        config["meshfleet:mesh"] = mesh
    return simulate("consul", config_file=CONSUL, config=config, **inputs)


def steps_of(sim: Simulation, resources: list[Recorded]) -> list[str]:
    steps = sim.steps()
    return [steps[r.urn] for r in resources]


def test_a_preview_of_a_peered_fleet_reads_every_token_and_shows_every_copy_and_dialer_kept(consul: Simulation) -> None:
    """Each acceptor is kept with its synced status in the state: the preview reads the token `pulumi up` will
    copy, so the copies show unchanged instead of as updates to an unknown token."""
    sim = simulate("consul", config_file=CONSUL, preview=True, previous=consul.deployment())
    for acceptor, dialer in PAIRS:
        read = token_read(sim, acceptor, dialer)
        assert read.id == f"consul/peering-token-{dialer}" and set(read.outputs["data"]) == {"data"}, read.name
        assert (
            token_copy(sim, dialer, acceptor).inputs["data"] == read.outputs["data"] == token_read(consul, acceptor, dialer).outputs["data"]
        )
        assert steps_of(sim, pair_objects(sim, acceptor, dialer)) == ["same", "read", "same", "same"]
    assert sim.deletes == []


@pytest.fixture(scope="module")
def two_clusters() -> Simulation:
    return consul_stack(["eks-use1", "gke-euw1"])


def test_a_preview_that_adds_a_cluster_creates_its_pairs_and_keeps_the_others(two_clusters: Simulation) -> None:
    """gke-usc1 is new: its pairs' acceptors do not exist, so their tokens cannot be read yet (the reads are
    left out, their ids unknown) and their copies and dialers are creates; the pair peered before is kept."""
    sim = consul_stack(preview=True, previous=two_clusters.deployment())
    kept = pair_objects(sim, "eks-use1", "gke-euw1")
    assert steps_of(sim, kept) == ["same", "read", "same", "same"]
    assert set(kept[1].outputs["data"]) == {"data"}
    for acceptor, dialer in [("eks-use1", "gke-usc1"), ("gke-euw1", "gke-usc1")]:
        accept, read, copy, dial = pair_objects(sim, acceptor, dialer)
        assert steps_of(sim, [accept, copy, dial]) == ["create"] * 3
        assert read.id == read.outputs["data"] == UNKNOWN  # no read of a token that does not exist yet
        assert copy.inputs["data"] == UNKNOWN
        assert dial.inputs["metadata"]["name"] == acceptor
    # The existing clusters' ExportedServices gain the new peer; nothing is deleted.
    assert sim.steps()[sim.named("eks-use1-exported-services").urn] == "update"
    assert sim.deletes == []


def test_removing_a_cluster_deletes_its_pairs_objects_on_both_sides(consul: Simulation) -> None:
    """Dropping gke-usc1 deletes every object of its pairs, the acceptors it dialed in the clusters that stay
    among them; the token reads are only dropped from the state, and the pair that stays is kept."""
    sim = consul_stack(["eks-use1", "gke-euw1"], preview=True, previous=consul.deployment())
    gone = [r for a, d in PAIRS if "gke-usc1" in (a, d) for r in pair_objects(consul, a, d)]
    deleted = {r.urn for r in sim.deletes}
    assert {r.urn for r in gone if not r.read} <= deleted
    assert {r.urn for r in gone if r.read} & deleted == set()
    assert {acceptor_of(consul, a, "gke-usc1").urn for a in ("eks-use1", "gke-euw1")} <= deleted
    assert steps_of(sim, pair_objects(sim, "eks-use1", "gke-euw1")) == ["same", "read", "same", "same"]


def test_a_preview_of_reissued_tokens_updates_every_acceptor_and_dialer_and_leaves_the_reads_out(consul: Simulation) -> None:
    """A raised `peeringTokenGeneration`: until `pulumi up` the acceptors' status still names the old version
    (the provider's dry run returns the live status), so the preview reads no old token and shows every copy
    as an update to a token it cannot know yet."""
    mesh = raw_config(CONSUL)["mesh"]
    mesh["consul"]["peeringTokenGeneration"] = 2
    sim = consul_stack(mesh=mesh, preview=True, previous=consul.deployment())
    for acceptor, dialer in PAIRS:
        accept, read, copy, dial = pair_objects(sim, acceptor, dialer)
        assert steps_of(sim, [accept, copy, dial]) == ["update"] * 3
        assert read.id == copy.inputs["data"] == UNKNOWN
        assert "metadata.annotations.consul.hashicorp.com/peering-version" in accept.changed
    assert sim.deletes == []


def test_a_preview_after_another_mesh_reads_no_token(consul: Simulation) -> None:
    """The stack ran Istio before: no acceptor exists, so nothing is read and every peering object is a create."""
    istio = {"type": "istio", "version": "1.30.5", "meshId": "mesh-consul", "topology": "multi-primary"}
    before = consul_stack(mesh=istio)
    sim = simulate("consul", config_file=CONSUL, preview=True, previous=before.deployment())
    assert [r.name for r in sim.of_type(SECRET) if r.read and r.id != UNKNOWN] == []
    for acceptor, dialer in PAIRS:
        accept, read, copy, dial = pair_objects(sim, acceptor, dialer)
        assert steps_of(sim, [accept, copy, dial]) == ["create"] * 3
        assert read.outputs["data"] == UNKNOWN
