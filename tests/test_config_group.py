"""The simulation registers a ConfigGroup's objects as the Kubernetes provider does (components/simulation/config_group.py):
meshfleet makes no group, but a user program that adds one to the fleet's clusters is simulated, planned and
checked as the engine would see it."""

from __future__ import annotations

from typing import Any

import pulumi
import pulumi_kubernetes as k8s
import pytest

from components.simulation import Simulation, run_program

GROUP = "kubernetes:yaml/v2:ConfigGroup"
DEPENDS_ON = "config.kubernetes.io/depends-on"


def secret(name: str, token: pulumi.Input[str]) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": name, "namespace": "peers"}, "stringData": {"token": token}}


def dialer(name: str, after: dict[str, Any]) -> dict[str, Any]:
    # `<group>/namespaces/<namespace>/<kind>/<name>`, the group empty for core objects.
    ref = f"/namespaces/peers/Secret/{after['metadata']['name']}"
    return {
        "apiVersion": "consul.hashicorp.com/v1alpha1",
        "kind": "PeeringDialer",
        "metadata": {"name": name, "namespace": "peers", "annotations": {DEPENDS_ON: ref}},
        "spec": {"peer": {"secret": {"name": after["metadata"]["name"], "key": "data", "backend": "kubernetes"}}},
    }


def config_group(name: str, objs: list[Any], provider: pulumi.ProviderResource) -> k8s.yaml.v2.ConfigGroup:
    return k8s.yaml.v2.ConfigGroup(name, objs=objs, opts=pulumi.ResourceOptions(provider=provider))


def new_resource_id(name: str) -> pulumi.Output[str]:
    """The id of a resource this run creates: unknown in a preview."""
    return pulumi.CustomResource("kubernetes:core/v1:ConfigMap", name, {"metadata": {"name": name}}).id


def group_of(*, preview: bool = False, token_from_a_new_resource: bool = False, kubeconfig_from_a_new_resource: bool = False) -> Simulation:
    def program() -> None:
        kubeconfig: pulumi.Input[str] = new_resource_id("west-cluster") if kubeconfig_from_a_new_resource else "{}"
        provider = pulumi.ProviderResource("kubernetes", "west-k8s", {"kubeconfig": kubeconfig})
        token: pulumi.Input[str] = new_resource_id("west-source") if token_from_a_new_resource else "t0ken"
        first = secret("token-east", pulumi.Output.secret(token))
        # The dialer comes first in `objs`: the provider still makes its Secret first.
        config_group("west-peers", [dialer("east", first), first], provider)

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


def test_the_group_registers_nothing_while_its_providers_config_is_unknown() -> None:
    """A provider whose kubeconfig comes from a cluster this run creates cannot run the group's Construct in a
    preview: every object of the group is known, and still none is registered (`pulumi up` makes them)."""
    sim = group_of(preview=True, kubeconfig_from_a_new_resource=True)
    group = sim.named("west-peers", GROUP)
    assert sim.named("west-k8s").inputs["kubeconfig"] == "04da6b54-80e4-46f7-96ec-b56ff0331ba9"
    assert group.inputs["objs"][1]["stringData"] == {"token": "t0ken"}  # nothing of the group itself is unknown
    assert [r for r in sim.resources if r.parent == group.urn] == []
    # Once the cluster exists (`pulumi up`), the provider registers both objects.
    assert len([r for r in group_of(kubeconfig_from_a_new_resource=True).resources if r.parent == group.urn]) == 2


def test_fails_on_an_order_the_provider_would_ignore() -> None:
    """The provider drops a depends-on reference outside its group: an order meshfleet needs would not hold."""

    def program() -> None:
        provider = pulumi.ProviderResource("kubernetes", "west-k8s", {})
        config_group("west-peers", [dialer("east", secret("elsewhere", "t"))], provider)

    with pytest.raises(Exception, match="'/namespaces/peers/Secret/elsewhere' is not in the group"):
        run_program(program)
