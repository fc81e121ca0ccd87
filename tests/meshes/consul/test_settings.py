"""The `mesh.consul` block and the fleets Consul refuses (components/meshes/consul/settings.py): one error
naming every problem and its key, before anything is registered."""

from __future__ import annotations

from typing import Any

import pytest

from components.config import FleetConfigError, RawConfig
from components.fleet import validate_fleet
from components.simulation import ProgramFailed, simulate
from tests.support import CONSUL, FakeEnvironment, problems_of, raw_config


def consul_problems(**mesh: Any) -> list[str]:
    raw = raw_config(CONSUL)
    raw["mesh"].update(mesh)
    return problems_of(raw)


def test_fails_enterprise_only_features_naming_each() -> None:
    assert consul_problems(
        consul={"adminPartitions": {"enabled": True}, "samenessGroups": ["all"], "prioritizeByLocality": "failover"}
    ) == [
        f"meshfleet:mesh.consul.{key}: {feature} are a Consul Enterprise feature; meshfleet runs the free edition and never emits "
        "them. Remove the setting (cross-cluster failover is `mesh.locality.failover`, as ordered peer targets)"
        for key, feature in (
            ("adminPartitions", "admin partitions"),
            ("samenessGroups", "sameness groups"),
            ("prioritizeByLocality", "prioritize-by-locality"),
        )
    ]


def test_fails_primary_remote_naming_the_topology_key() -> None:
    problems = consul_problems(topology="primary-remote")
    assert problems[0] == "meshfleet:mesh.topology: consul does not support 'primary-remote'; supported: 'multi-primary'"
    # The clusters are then read for that topology too, and say what it would need of them.
    assert problems[1:] == [
        f"meshfleet:clusters[{i}] ({name}).role: is required with topology 'primary-remote'; use 'primary' or 'remote'"
        for i, name in enumerate(["eks-use1", "gke-usc1", "gke-euw1"])
    ]


def test_fails_a_chart_outside_the_pinned_line_an_even_server_count_and_a_trust_domain() -> None:
    assert consul_problems(version="1.9.2", controlPlane={"replicas": 2}, trustDomain="mesh.example.com") == [
        "meshfleet:mesh.version: '1.9.2' is outside consul-k8s 2.0, the line this meshfleet release pins; use a 2.0.x chart such as '2.0.3'",
        "meshfleet:mesh.controlPlane.replicas: 2 Consul servers survive no more failures than 1 would: Raft needs a majority "
        "(2 of 2) and the chart's disruption budget lets a drain stop one; use an odd number such as 3 (or 1 for a test fleet)",
        "meshfleet:mesh.trustDomain: 'mesh.example.com' cannot be given to Consul, which names each datacenter's trust domain "
        "`<cluster-id>.consul` itself; remove the setting",
    ]


def test_fails_unknown_and_mistyped_settings() -> None:
    assert consul_problems(consul={"peeringTokenGeneration": 0, "peeringToken": 2}) == [
        "meshfleet:mesh.consul.peeringToken: unknown setting; did you mean 'peeringTokenGeneration'? known settings: 'adminPartitions', "
        "'failoverPolicy', 'peeringTokenGeneration', 'prioritizeByLocality', 'samenessGroups'",
        "meshfleet:mesh.consul.peeringTokenGeneration: 0 is out of range; allowed: 1 to 1000000",
    ]


def test_fails_before_anything_is_registered() -> None:
    mesh = raw_config(CONSUL)["mesh"]
    mesh["consul"] = {"failoverPolicy": {"mode": "order-by-locality"}}
    with pytest.raises(ProgramFailed) as caught:
        simulate("consul", config_file=CONSUL, config={"meshfleet:mesh": mesh})
    assert isinstance(caught.value.error, FleetConfigError)
    assert str(caught.value.error).startswith(
        "meshfleet configuration has 1 problem; nothing was created:\n  - meshfleet:mesh.consul.failoverPolicy:"
    )
    assert caught.value.resources == []


def test_servers_default_to_a_three_member_quorum() -> None:
    """The fleet-wide default of two control-plane replicas would be a quorum that survives nothing."""
    raw = raw_config(CONSUL)
    raw["mesh"].pop("controlPlane", None)
    spec, _ = validate_fleet(RawConfig(**raw), FakeEnvironment())
    assert spec.mesh.control_plane_replicas == 3
