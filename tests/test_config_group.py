"""The simulation registers a ConfigGroup's objects as the Kubernetes provider does (components/simulation/config_group.py),
and meshfleet's groups of peer objects (components/k8s/peer_objects.py) ask the provider for the order they need."""

from __future__ import annotations

from typing import Any

import pulumi
import pytest

from components.k8s.peer_objects import depends_on, object_ref, peer_objects
from components.simulation import Simulation, run_program

GROUP = "kubernetes:yaml/v2:ConfigGroup"


def secret(name: str, token: pulumi.Input[str]) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": name, "namespace": "peers"}, "stringData": {"token": token}}


def dialer(name: str, after: dict[str, Any]) -> dict[str, Any]:
    ref = object_ref("v1", "Secret", "peers", after["metadata"]["name"])
    return {
        "apiVersion": "consul.hashicorp.com/v1alpha1",
        "kind": "PeeringDialer",
        "metadata": {"name": name, "namespace": "peers", "annotations": depends_on(ref)},
        "spec": {"peer": {"secret": {"name": after["metadata"]["name"], "key": "data", "backend": "kubernetes"}}},
    }


def group_of(*, preview: bool = False, token_from_a_new_resource: bool = False) -> Simulation:
    def program() -> None:
        provider = pulumi.ProviderResource("kubernetes", "west-k8s", {})
        token: pulumi.Input[str] = "t0ken"
        if token_from_a_new_resource:
            token = pulumi.CustomResource("kubernetes:core/v1:ConfigMap", "west-source", {"metadata": {"name": "source"}}).id
        first = secret("token-east", pulumi.Output.secret(token))
        # The dialer comes first in `objs`: the provider still makes its Secret first.
        peer_objects("west-peers", [dialer("east", first), first], [], pulumi.ResourceOptions(provider=provider))

    return run_program(program, preview=preview)


def test_objects_become_resources_named_after_the_group_with_the_groups_provider() -> None:
    sim = group_of()
    group = sim.named("west-peers", GROUP)
    children = [r for r in sim.resources if r.parent == group.urn]
    assert [(r.type, r.name) for r in children] == [
        ("kubernetes:core/v1:Secret", "west-peers:peers/token-east"),
        ("kubernetes:consul.hashicorp.com/v1alpha1:PeeringDialer", "west-peers:peers/east"),
    ]
    token, made_dialer = children
    assert token.urn == "urn:pulumi:test::meshfleet::kubernetes:yaml/v2:ConfigGroup$kubernetes:core/v1:Secret::west-peers:peers/token-east"
    assert {r.provider for r in children} == {sim.named("west-k8s").urn} == {group.provider}
    assert token.inputs["stringData"] == {"token": "t0ken"} and token.is_secret("stringData")
    assert made_dialer.dependencies == (token.urn,)
    assert made_dialer.inputs["metadata"]["annotations"] == {"config.kubernetes.io/depends-on": "/namespaces/peers/Secret/token-east"}


def test_the_group_registers_nothing_while_any_object_is_unknown() -> None:
    """The provider's apply waits for every input: in a preview, an object made from a new resource's output
    keeps the whole group empty (pulumi up makes them)."""
    sim = group_of(preview=True, token_from_a_new_resource=True)
    group = sim.named("west-peers", GROUP)
    assert [r for r in sim.resources if r.parent == group.urn] == []
    assert group.inputs["objs"][1]["stringData"]["token"] == "04da6b54-80e4-46f7-96ec-b56ff0331ba9"
    assert group.secret_inputs == {("objs", 1, "stringData", "token")}
    # Known in a preview of an existing stack: the provider registers them then too.
    assert len([r for r in group_of(preview=True).resources if r.parent.endswith("::west-peers")]) == 2


def test_fails_on_an_order_the_provider_would_ignore() -> None:
    """The provider drops a depends-on reference outside its group: an order meshfleet needs would not hold."""

    def program() -> None:
        provider = pulumi.ProviderResource("kubernetes", "west-k8s", {})
        peer_objects("west-peers", [dialer("east", secret("elsewhere", "t"))], [], pulumi.ResourceOptions(provider=provider))

    with pytest.raises(Exception, match="'/namespaces/peers/Secret/elsewhere' is not in the group"):
        run_program(program)
