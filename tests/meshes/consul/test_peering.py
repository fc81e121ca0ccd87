"""What the peerings become once `pulumi up` has written the program's objects: the program's Mesh entries,
acceptors, token reads, token copies and dialers, run through a model of consul-k8s v2.0.3's controllers
(tests/meshes/consul/peering_model.py)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from components.config import FleetConfigError
from components.meshes.consul import discovery, values
from components.simulation import ProgramFailed, Simulation, simulate
from tests.meshes.consul.peering_model import ACCEPTOR, DIALER, MESH, Step, UpFailed, World, steps, up
from tests.meshes.helpers import depends_on
from tests.support import CONSUL, raw_config

CLUSTERS = ("eks-use1", "gke-usc1", "gke-euw1")
PAIRS = [("eks-use1", "gke-euw1"), ("eks-use1", "gke-usc1"), ("gke-euw1", "gke-usc1")]
API = "kubernetes:consul.hashicorp.com/v1alpha1"


def generation(n: int, **stack_outputs: Any) -> Simulation:
    mesh = raw_config(CONSUL)["mesh"]
    mesh["consul"]["peeringTokenGeneration"] = n
    outputs = {"organization/meshfleet/consul": stack_outputs} if stack_outputs else None
    return simulate("consul", config_file=CONSUL, config={"meshfleet:mesh": mesh}, stack_outputs=outputs)


@pytest.fixture(scope="module")
def first() -> Simulation:
    return generation(1)


@pytest.fixture(scope="module")
def second() -> Simulation:
    return generation(2)


def peered(world: World) -> bool:
    """Every pair ACTIVE on both sides, every dialer Synced with the Secret it holds now."""
    for acceptor, dialer in PAIRS:
        if world.clusters[acceptor].peerings.get(dialer) != "ACTIVE" or world.clusters[dialer].peerings.get(acceptor) != "ACTIVE":
            return False
        dialer_obj = world.get(dialer, DIALER, acceptor)
        secret = world.get(dialer, "Secret", values.peering_token_secret(acceptor))
        if dialer_obj is None or secret is None or not dialer_obj.synced():
            return False
        if dialer_obj.status["secret"]["resourceVersion"] != secret.resource_version:
            return False
    return True


def without(program: list[Step], kind: str, annotation: str) -> list[Step]:
    """The program's steps with one annotation dropped from every object of `kind` (what it wrote before)."""
    return [
        Step(**{**s.__dict__, "annotations": {k: v for k, v in s.annotations.items() if k != annotation}}) if s.kind == kind else s
        for s in program
    ]


# --- item 4: the Mesh entry is in Consul before any token is generated ---------------------------------------


@pytest.mark.parametrize("eager", [False, True])
def test_a_first_up_peers_every_pair_through_the_mesh_gateways(first: Simulation, eager: bool) -> None:
    world = World.of(CLUSTERS)
    up(world, steps(first), eager=eager)
    assert peered(world)
    assert all(token.through_gateways for token in world.tokens.values())
    assert len(world.tokens) == len(PAIRS)  # one token per pair, each established once
    assert sorted(e for c in CLUSTERS for e in world.clusters[c].establishments) == sorted(a for a, _ in PAIRS)


def test_the_mesh_entry_is_awaited_until_consul_has_it(first: Simulation) -> None:
    for cluster in CLUSTERS:
        [mesh] = [r for r in first.of_type(f"{API}:Mesh") if r.name == f"{cluster}-mesh"]
        assert mesh.inputs["metadata"]["annotations"] == {"pulumi.com/waitFor": "condition=Synced"}
    for acceptor, dialer in PAIRS:
        accept = first.named(f"{acceptor}-peering-acceptor-{dialer}", f"{API}:PeeringAcceptor")
        assert depends_on(first, accept, first.named(f"{acceptor}-mesh", f"{API}:Mesh"))


def test_without_waiting_for_the_mesh_entry_a_token_carries_unreachable_addresses(first: Simulation) -> None:
    """What the program did before: the acceptor's controller may run before the config-entry controller."""
    world = World.of(CLUSTERS)
    with pytest.raises(UpFailed) as failed:
        up(world, without(steps(first), MESH, values.WAIT_FOR))
    assert not all(token.through_gateways for token in world.tokens.values())
    assert "-peering-dialer-" in failed.value.resource  # the dialer's wait says so
    assert not peered(world)


# --- item 6: `pulumi up` finishes only once every dialer established with its current token -------------------


def test_each_dialer_waits_for_the_resource_version_of_its_token_secret(first: Simulation) -> None:
    for acceptor, dialer in PAIRS:
        copy = first.named(f"{dialer}-peering-token-copy-{acceptor}")
        dial = first.named(f"{dialer}-peering-dialer-{acceptor}", f"{API}:PeeringDialer")
        version = copy.outputs["metadata"]["resourceVersion"]
        assert dial.inputs["metadata"]["annotations"] == {"pulumi.com/waitFor": discovery.dialed_with(version)}
        assert json.loads(discovery.dialed_with("7")) == ["condition=Synced", "jsonpath={.status.secret.resourceVersion}=7"]
        assert depends_on(first, dial, copy)


def test_a_dialer_that_cannot_establish_fails_the_up_instead_of_reporting_success(first: Simulation) -> None:
    """A token that no peer can use (here: generated before Consul knew the Mesh entry): the dialer's wait makes
    `pulumi up` fail on it; without that wait, what the program did before, `up` reported success."""
    unusable = without(steps(first), MESH, values.WAIT_FOR)
    with pytest.raises(UpFailed) as failed:
        up(World.of(CLUSTERS), unusable)
    assert "-peering-dialer-" in failed.value.resource
    silent = World.of(CLUSTERS)
    up(silent, without(unusable, DIALER, values.WAIT_FOR))  # no error
    assert not peered(silent)


# --- item 5: re-issuing bumps only the acceptors; lowering the generation is refused ----------------------------


@pytest.mark.parametrize("eager", [False, True])
def test_reissuing_tokens_reestablishes_each_dialer_once_with_its_new_token(first: Simulation, second: Simulation, eager: bool) -> None:
    world = World.of(CLUSTERS)
    up(world, steps(first), eager=eager)
    before = {c: len(world.clusters[c].establishments) for c in CLUSTERS}
    up(world, steps(second), eager=eager)
    assert peered(world)
    assert len(world.tokens) == 2 * len(PAIRS)
    assert {c: len(world.clusters[c].establishments) - before[c] for c in CLUSTERS} == {"eks-use1": 0, "gke-euw1": 1, "gke-usc1": 2}
    for acceptor, dialer in PAIRS:
        assert world.get(acceptor, ACCEPTOR, dialer).status["latestPeeringVersion"] == 2  # type: ignore[union-attr]
        assert (
            values.PEERING_VERSION_ANNOTATION not in second.named(f"{dialer}-peering-dialer-{acceptor}").inputs["metadata"]["annotations"]
        )


def test_bumping_the_dialers_version_too_would_spend_their_new_token_twice(first: Simulation, second: Simulation) -> None:
    """What the program did before: the dialer's annotation went up in the run that changed its Secret."""

    def bumped(program: list[Step], version: str) -> list[Step]:
        return [
            Step(**{**s.__dict__, "annotations": {**s.annotations, values.PEERING_VERSION_ANNOTATION: version}}) if s.kind == DIALER else s
            for s in program
        ]

    world = World.of(CLUSTERS)
    up(world, bumped(without(steps(first), DIALER, values.WAIT_FOR), "1"), eager=True)
    up(world, bumped(without(steps(second), DIALER, values.WAIT_FOR), "2"), eager=True)
    stuck = [(a, d) for a, d in PAIRS if not world.get(d, DIALER, a).synced()]  # type: ignore[union-attr]
    assert stuck == PAIRS
    assert "already established" in world.get("gke-usc1", DIALER, "eks-use1").status["conditions"][0]["message"]  # type: ignore[union-attr]


def test_a_lower_generation_would_hang_every_acceptor(second: Simulation, first: Simulation) -> None:
    world = World.of(CLUSTERS)
    up(world, steps(second))
    with pytest.raises(UpFailed) as failed:
        up(world, steps(first))
    assert "-peering-acceptor-" in failed.value.resource  # whichever the engine reaches first


def test_fails_lowering_the_generation_before_anything_is_registered() -> None:
    with pytest.raises(ProgramFailed) as caught:
        generation(1, consulPeeringTokenGeneration=2, mesh={"type": "consul"}, clusters={c: {} for c in CLUSTERS})
    assert isinstance(caught.value.error, FleetConfigError)
    assert str(caught.value.error) == (
        "meshfleet configuration has 1 problem; nothing was created:\n"
        "  - meshfleet:mesh.consul.peeringTokenGeneration: 1 is lower than 2, which the last deployment used: an acceptor's "
        "status keeps the highest version it reached, so a lower one is never reported and every acceptor would be waited "
        "for until `pulumi up` times out. Set 2 to keep the current tokens, or 3 to re-issue them"
    )
    # Only the read of the stack's own last outputs came before the check.
    assert [r.type for r in caught.value.resources] == ["meshfleet:fleet:Fleet", "pulumi:pulumi:StackReference"]


def test_the_generation_is_published_for_the_next_deployment(second: Simulation) -> None:
    assert second.exports["consulPeeringTokenGeneration"] == 2
    generation(2, consulPeeringTokenGeneration=2)  # the same generation again: accepted
    generation(3, consulPeeringTokenGeneration=2)  # a re-issue: accepted


# --- item 7: an acceptor whose status write failed -------------------------------------------------------------


def test_an_acceptor_whose_status_write_failed_recovers_with_the_next_generation(first: Simulation, second: Simulation) -> None:
    world = World.of(CLUSTERS)
    world.fail_status_writes.add(("eks-use1", "gke-usc1"))
    with pytest.raises(UpFailed) as failed:
        up(world, steps(first))
    assert failed.value.resource == "eks-use1-peering-acceptor-gke-usc1"
    # The controller retried: the peering exists in Consul and its Secret too, so it never writes the status.
    assert world.get("eks-use1", ACCEPTOR, "gke-usc1").status == {}  # type: ignore[union-attr]
    with pytest.raises(UpFailed):
        up(world, steps(first))  # running `pulumi up` again changes nothing
    up(world, steps(second))  # docs/consul.md: bump mesh.consul.peeringTokenGeneration
    assert peered(world)
    assert world.get("eks-use1", ACCEPTOR, "gke-usc1").status["secret"]["name"] == "peering-token-gke-usc1-2"  # type: ignore[union-attr]


def test_with_one_secret_name_for_every_generation_a_bump_would_not_recover(first: Simulation, second: Simulation) -> None:
    """Why the acceptor's Secret is named after the generation: a version bump alone is never looked at while
    the status names no Secret (shouldGenerateToken, peering_acceptor_controller.go:219-248)."""

    def one_name(program: list[Step]) -> list[Step]:
        renamed = []
        for s in program:
            if s.kind == ACCEPTOR:
                secret = {**s.spec["peer"]["secret"], "name": values.peering_token_secret(s.name)}
                s = Step(**{**s.__dict__, "spec": {"peer": {"secret": secret}}})
            renamed.append(s)
        return renamed

    world = World.of(CLUSTERS)
    world.fail_status_writes.add(("eks-use1", "gke-usc1"))
    with pytest.raises(UpFailed):
        up(world, one_name(steps(first)))
    with pytest.raises(UpFailed) as failed:
        up(world, one_name(steps(second)))
    assert failed.value.resource == "eks-use1-peering-acceptor-gke-usc1"


def test_the_acceptors_token_secret_is_named_after_the_generation(first: Simulation, second: Simulation) -> None:
    for sim, name in ((first, "peering-token-gke-usc1"), (second, "peering-token-gke-usc1-2")):
        accept = sim.named("eks-use1-peering-acceptor-gke-usc1", f"{API}:PeeringAcceptor")
        assert accept.inputs["spec"]["peer"]["secret"] == {"name": name, "key": "data", "backend": "kubernetes"}
        # The dialer's copy keeps one name: its dialer's spec never changes.
        assert sim.named("gke-usc1-peering-token-copy-eks-use1").inputs["metadata"]["name"] == "peering-token-eks-use1"
