"""The `mesh.linkerd` block and what a Linkerd fleet must not ask for (components/meshes/linkerd/settings.py)."""

from __future__ import annotations

from typing import Any

import pytest

from components.config import FleetConfigError, RawConfig
from components.fleet import validate_fleet
from components.meshes.linkerd import Linkerd
from components.simulation import ProgramFailed, simulate
from tests.support import LINKERD, FakeEnvironment, problems_of, raw_config

ALTERNATIVES = (
    "What Linkerd offers instead: topology-aware routing within a cluster, weighted HTTPRoute backends that send "
    "a share of a service's traffic to its mirrored '<service>-<cluster>' Services, and federated services "
    "(label 'mirror.linkerd.io/federated: member') that balance across every cluster (docs/linkerd.md, \"Locality\")"
)


def linkerd_raw() -> dict[str, Any]:
    return raw_config(LINKERD)


def test_example_stack_is_valid() -> None:
    spec, mesh = validate_fleet(RawConfig(**linkerd_raw()), FakeEnvironment())
    assert isinstance(mesh, Linkerd)
    assert list(spec.clusters) == ["eks-use1", "eks-euc1", "gke-usc1"]
    assert (mesh.settings.version, mesh.settings.reader_token_generation) == ("2026.8.3", 1)
    assert mesh.settings.remote_discovery is False  # gateway mode: the destination controllers read no peer
    assert mesh.settings.chart("linkerd-crds").repository == "https://helm.linkerd.io/edge"


def test_fails_rsa_trust_with_the_key_to_change() -> None:
    raw = linkerd_raw()
    raw["trust"]["algorithm"] = "RSA"
    assert problems_of(raw) == [
        "meshfleet:trust.algorithm: 'RSA' cannot sign Linkerd's identity issuers: `linkerd check` and the linkerd CLI require "
        "each issuer to be an ECDSA P-256 certificate; use 'ECDSA' (the default) for a Linkerd fleet"
    ]


def test_fails_cross_cluster_failover_and_says_what_linkerd_offers_instead() -> None:
    raw = linkerd_raw()
    raw["mesh"]["locality"] = {"failover": [{"from": "us-east-1", "to": "eu-central-1"}]}
    assert problems_of(raw) == [
        "meshfleet:mesh.locality.failover: Linkerd has no automatic cross-cluster locality failover, so this order would "
        "never be applied; remove it. " + ALTERNATIVES
    ]


def test_fails_version_outside_the_pinned_edge_line() -> None:
    raw = linkerd_raw()
    raw["mesh"]["version"] = "2025.12.1"
    assert problems_of(raw) == [
        "meshfleet:mesh.version: '2025.12.1' is outside Linkerd edge 2026.8 (charts 2026.8.x), the line this meshfleet "
        "release pins; use a 2026.8.x chart version such as '2026.8.3'"
    ]


def test_fails_primary_remote_topology() -> None:
    raw = linkerd_raw()
    raw["mesh"]["topology"] = "primary-remote"
    assert "meshfleet:mesh.topology: linkerd does not support 'primary-remote'; supported: 'multi-primary'" in problems_of(raw)


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        (
            {"readerTokenGenaration": 2},
            "meshfleet:mesh.linkerd.readerTokenGenaration: unknown setting; did you mean 'readerTokenGeneration'? "
            "known settings: 'readerTokenGeneration', 'remoteDiscovery'",
        ),
        ({"readerTokenGeneration": 0}, "meshfleet:mesh.linkerd.readerTokenGeneration: 0 is out of range; allowed: 1 to 1000000"),
        ({"remoteDiscovery": "yes"}, "meshfleet:mesh.linkerd.remoteDiscovery: expected true or false, got 'yes'"),
        (
            {"remoteDiscovry": True},
            "meshfleet:mesh.linkerd.remoteDiscovry: unknown setting; did you mean 'remoteDiscovery'? "
            "known settings: 'readerTokenGeneration', 'remoteDiscovery'",
        ),
    ],
)
def test_fails_bad_linkerd_settings(settings: dict[str, Any], message: str) -> None:
    raw = linkerd_raw()
    raw["mesh"]["linkerd"] = settings
    assert problems_of(raw) == [message]


@pytest.mark.parametrize("remote_discovery", [True, False])
def test_remote_discovery_is_a_setting(remote_discovery: bool) -> None:
    raw = linkerd_raw()
    raw["mesh"]["linkerd"] = {"remoteDiscovery": remote_discovery}
    _, mesh = validate_fleet(RawConfig(**raw), FakeEnvironment())
    assert isinstance(mesh, Linkerd)
    assert mesh.settings.remote_discovery is remote_discovery


def test_fails_with_every_linkerd_problem_in_one_error_before_anything_exists() -> None:
    raw = linkerd_raw()
    with pytest.raises(ProgramFailed) as caught:
        simulate(
            "linkerd",
            config_file=LINKERD,
            config={
                "meshfleet:trust": {**raw["trust"], "algorithm": "RSA"},
                "meshfleet:mesh": {**raw["mesh"], "locality": {"failover": [{"from": "us-east-1", "to": "us-central1"}]}},
            },
        )
    assert isinstance(caught.value.error, FleetConfigError)
    assert [problem.key for problem in caught.value.error.problems] == ["meshfleet:trust.algorithm", "meshfleet:mesh.locality.failover"]
    assert caught.value.resources == []
