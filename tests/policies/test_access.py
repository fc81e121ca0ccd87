"""The pack's default-deny-keeps-mesh-traffic policy (policies/meshfleet_policies/access.py, facts per mesh),
through the analyzer protocol as the engine runs it, on fleets of every mesh with `mesh.defaultAccess: deny`."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from components.meshes import AccessRule, Caller, ServiceAccessArgs, mesh_for
from components.simulation import PROJECT_DIR, Simulation
from components.simulation.policy_check import PACK_DIR, evaluate
from tests.meshes.helpers import run_access
from tests.policies.helpers import messages, tampered
from tests.support import CONSUL, LINKERD, raw_config, simulated

PROD_CONFIG = json.loads((PACK_DIR / "config" / "prod.json").read_text())
POLICY = "default-deny-keeps-mesh-traffic"
LINKED = "deny-fleet-admits-linked-clusters"
RELEASE = "kubernetes:helm.sh/v3:Release"
DOMAIN = "linkerd.meshfleet.internal"
LINKERD_CLUSTERS = ("eks-use1", "eks-euc1", "gke-usc1")


def denying(stack: str, config_file: Path) -> Simulation:
    mesh = raw_config(config_file)["mesh"]
    mesh["defaultAccess"] = "deny"
    return simulated(stack, config_file=config_file, config={"meshfleet:mesh": mesh})


@pytest.fixture(scope="module")
def istio_deny() -> Simulation:
    return denying("prod", PROJECT_DIR / "Pulumi.prod.yaml")


@pytest.fixture(scope="module")
def linkerd_deny() -> Simulation:
    return denying("linkerd", LINKERD)


def test_deny_fleets_of_every_mesh_pass_as_meshfleet_builds_them(istio_deny: Simulation, linkerd_deny: Simulation) -> None:
    consul_deny = denying("consul", CONSUL)
    for sim, stack in ((istio_deny, "prod"), (linkerd_deny, "linkerd"), (consul_deny, "consul")):
        report = evaluate(sim, PROD_CONFIG, stack=stack)
        # Linkerd's gateway identity is admitted by app teams' stacks, which the fleet's stack cannot see: advisory.
        assert [v for v in report.violations if v.policy != LINKED] == [], stack
        assert [v.level for v in report.of(LINKED)] == (["advisory"] * 3 if stack == "linkerd" else [])


def test_catches_an_istio_deny_that_cuts_off_the_east_west_gateway(istio_deny: Simulation) -> None:
    def edit(props: dict[str, Any]) -> None:
        # Narrowed to one caller: the gateway forwards every cluster's callers, so this cuts off the rest.
        props["spec"]["rules"] = [{"from": [{"source": {"principals": ["prod.meshfleet.internal/ns/shop/sa/web"]}}]}]

    report = evaluate(tampered(istio_deny, "gke-euw1-eastwest-allow", edit), PROD_CONFIG)
    assert messages(report, POLICY) == [
        "mandatory: cluster gke-euw1 denies by default (istio allow-nothing AuthorizationPolicy gke-euw1-allow-nothing), which cuts "
        "off the istio east-west gateway: add an AuthorizationPolicy in istio-system that selects the gateway's pods with "
        "`rules: [{}]` (it forwards mTLS untouched; the destination's sidecar checks the caller), as meshfleet does with "
        "mesh.defaultAccess: deny"
    ]


def test_an_istio_exemption_selecting_other_pods_does_not_cover_the_gateway(istio_deny: Simulation) -> None:
    def edit(props: dict[str, Any]) -> None:
        props["spec"]["selector"] = {"matchLabels": {"istio": "ingressgateway"}}

    report = evaluate(tampered(istio_deny, "eks-use1-eastwest-allow", edit), PROD_CONFIG)
    assert [v.message.split(",")[0] for v in report.of(POLICY)] == [
        "cluster eks-use1 denies by default (istio allow-nothing AuthorizationPolicy eks-use1-allow-nothing)"
    ]


def test_the_same_gap_passes_while_the_fleet_allows_by_default(prod: Simulation) -> None:
    assert evaluate(prod, PROD_CONFIG).of(POLICY) == []


def test_catches_a_linkerd_deny_without_probe_networks(linkerd_deny: Simulation) -> None:
    def edit(props: dict[str, Any]) -> None:
        props["values"]["policyController"] = {"probeNetworks": []}

    report = evaluate(tampered(linkerd_deny, "eks-euc1-linkerd-control-plane", edit), PROD_CONFIG, stack="linkerd")
    assert messages(report, POLICY) == [
        "mandatory: cluster eks-euc1 denies by default (linkerd proxy.defaultInboundPolicy: deny), which cuts off the linkerd "
        "kubelet probes: set policyController.probeNetworks to the networks kubelets probe from (the chart's default is every "
        "network), or every meshed pod fails its probes"
    ]


# --- deny-fleet-admits-linked-clusters -----------------------------------------------------------------


def with_access(fleet: Simulation, cluster: str, *rules: AccessRule) -> Simulation:
    """The fleet's stack with an app team's access objects written into `cluster` (its provider)."""
    args = ServiceAccessArgs(
        service="shop", namespace="shop", rules=rules, trust_domain=DOMAIN, cluster=cluster, clusters=LINKERD_CLUSTERS, port=80
    )
    provider = fleet.named(f"{cluster}-linkerd-multicluster", RELEASE).provider
    app = [replace(r, provider=provider) for r in run_access("linkerd", args, cluster).resources if r.custom]
    return Simulation(resources=[*fleet.resources, *app], exports=fleet.exports, secret_exports=fleet.secret_exports)


def test_flags_each_cluster_of_a_linkerd_deny_fleet_that_admits_nothing_from_the_others(linkerd_deny: Simulation) -> None:
    gateway = f"linkerd-gateway.linkerd-multicluster.serviceaccount.identity.linkerd.{DOMAIN}"
    assert messages(evaluate(linkerd_deny, PROD_CONFIG, stack="linkerd"), LINKED) == [
        f"advisory: cluster {cluster} denies by default (linkerd proxy.defaultInboundPolicy: deny) and admits nothing from the "
        f"fleet's other clusters: their calls arrive as {gateway}, which nothing in this stack admits, so every cross-cluster "
        f"call to it is refused; admit them on the services they may reach with the caller "
        f"`mesh.access.linked_clusters('{cluster}')` (every workload of every linked cluster; docs/linkerd.md, \"Access rules\"), "
        "or accept that no call crosses clusters"
        for cluster in sorted(LINKERD_CLUSTERS)
    ]


def test_a_cluster_that_admits_its_linked_clusters_passes(linkerd_deny: Simulation) -> None:
    linked = mesh_for("linkerd").access.linked_clusters
    assert linked is not None
    admitting = with_access(linkerd_deny, "eks-euc1", AccessRule([linked("eks-euc1")], methods=["GET"]))
    # Only the local gateway's identity admits calls from the others: a local caller does not.
    local_only = with_access(admitting, "eks-use1", AccessRule([Caller("web", "shop", "eks-use1")]))
    flagged = sorted(v.message.split(" ")[1] for v in evaluate(local_only, PROD_CONFIG, stack="linkerd").of(LINKED))
    assert flagged == ["eks-use1", "gke-usc1"]


def test_the_same_fleet_passes_while_it_allows_by_default(linkerd: Simulation) -> None:
    assert evaluate(linkerd, PROD_CONFIG, stack="linkerd").of(LINKED) == []
