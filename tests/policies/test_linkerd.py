"""The policy pack on Linkerd fleets (policies/meshfleet_policies/facts/linkerd.py), through the analyzer
protocol as the engine runs it: the example Linkerd stack passes, and each broken Linkerd fleet is caught."""

from __future__ import annotations

import json
from typing import Any

import pulumi
import pulumi_kubernetes as k8s
import pytest

from components.simulation import Simulation, simulate
from components.simulation.policy_check import PACK_DIR, evaluate
from tests.policies.helpers import messages, tampered
from tests.support import LINKERD, raw_config, simulated
from tests.tls_tools import new_root

PROD_CONFIG = json.loads((PACK_DIR / "config" / "prod.json").read_text())
CLUSTERS = ("eks-use1", "eks-euc1", "gke-usc1")
SECRET = "kubernetes:core/v1:Secret"


def linkerd_with(**config: Any) -> Simulation:
    return simulate("linkerd", config_file=LINKERD, config={f"meshfleet:{key}": value for key, value in config.items()})


def test_example_linkerd_fleet_passes_every_policy(linkerd: Simulation) -> None:
    report = evaluate(linkerd, PROD_CONFIG, stack="linkerd")
    assert report.violations == []


def test_first_preview_says_what_it_could_not_check_instead_of_failing() -> None:
    report = evaluate(simulated("linkerd", config_file=LINKERD, preview=True), PROD_CONFIG, stack="linkerd", preview=True)
    assert report.mandatory == []
    unchecked = {v.policy for v in report.violations if "can't be known during preview" in v.message}
    # Replicas and the inbound policy are known before the clusters exist; anchors, issuers, source ranges and
    # tokens are not.
    assert unchecked == {
        "mesh-fleet-consistency",
        "remote-kubeconfigs-token-only",
        "east-west-gateway-not-public",
        "ca-keys-only-in-secrets",
        "api-server-not-public",  # narrowed API access holds the peers' NAT addresses, known once created
    }
    assert all(v.level == "advisory" for v in report.violations)


# --- broken Linkerd fleets ---------------------------------------------------------------------------


def test_catches_anchors_that_differ_between_clusters(linkerd: Simulation) -> None:
    stranger, _ = new_root("stranger")

    def edit(props: dict[str, Any]) -> None:
        props["values"]["identityTrustAnchorsPEM"] = stranger

    report = evaluate(tampered(linkerd, "gke-usc1-linkerd-control-plane", edit), PROD_CONFIG, stack="linkerd")
    assert messages(report, "mesh-fleet-consistency") == [
        "mandatory: the CA certificate of gke-usc1 is not issued by a root of the fleet's bundle; issue every cluster's "
        "intermediate from trust.signingRoot",
        "mandatory: the clusters trust different root bundles (eks-euc1, eks-use1; gke-usc1); every cluster must trust "
        "the fleet's one root bundle (trust.roots)",
    ]


def test_catches_an_issuer_under_a_foreign_root(linkerd: Simulation) -> None:
    stranger_cert, stranger_key = new_root("stranger")

    def edit(props: dict[str, Any]) -> None:
        props["stringData"]["tls.crt"] = stranger_cert
        props["stringData"]["tls.key"] = stranger_key

    report = evaluate(tampered(linkerd, "eks-use1-linkerd-identity-issuer", edit), PROD_CONFIG, stack="linkerd")
    assert messages(report, "mesh-fleet-consistency") == [
        "mandatory: the CA certificate of eks-use1 is not issued by a root of the fleet's bundle; issue every cluster's "
        "intermediate from trust.signingRoot"
    ]


def test_catches_a_public_gateway_open_to_everyone() -> None:
    sim = linkerd_with(gateway={"exposure": "public", "sourceRanges": ["0.0.0.0/0"]})
    assert messages(evaluate(sim, PROD_CONFIG, stack="linkerd"), "east-west-gateway-not-public") == [
        f"mandatory: the linkerd east-west gateway of {cluster} admits ['0.0.0.0/0']; list only the peer clusters' egress ranges "
        "in gateway.sourceRanges"
        for cluster in sorted(CLUSTERS)
    ]


def test_catches_an_exec_plugin_credential() -> None:
    def extra(scope: dict[str, Any]) -> None:
        fleet = scope["fleet"]
        kubeconfig = json.dumps({"users": [{"name": "eks-euc1", "user": {"exec": {"command": "aws", "args": ["eks", "get-token"]}}}]})
        k8s.core.v1.Secret(
            "eks-use1-hand-made-credentials",
            metadata={"name": "cluster-credentials-extra", "namespace": "linkerd-multicluster"},
            type="mirror.linkerd.io/remote-kubeconfig",
            string_data={"kubeconfig": kubeconfig},
            opts=pulumi.ResourceOptions(provider=fleet.clusters["eks-use1"].provider),
        )

    sim = simulate("linkerd", config_file=LINKERD, then=extra)
    assert messages(evaluate(sim, PROD_CONFIG, stack="linkerd"), "remote-kubeconfigs-token-only") == [
        f"mandatory: linkerd remote kubeconfig 'kubeconfig' in eks-use1-hand-made-credentials: {problem}; "
        "use a reader service-account token (meshfleet's reader credentials) and nothing else"
        for problem in sorted(["user 'eks-euc1' uses an exec plugin (exec)", "user 'eks-euc1' has no inline service-account token"])
    ]


def hand_made_link_credentials(scope: dict[str, Any]) -> None:
    """Link credentials with an exec-plugin kubeconfig, as the fleet's own are made: a resource of their own."""
    provider = scope["fleet"].clusters["eks-use1"].provider
    kubeconfig = json.dumps({"users": [{"name": "eks-euc1", "user": {"exec": {"command": "aws"}}}]})
    k8s.core.v1.Secret(
        "eks-use1-link-credentials-extra",
        metadata={"name": "cluster-credentials-extra", "namespace": "linkerd-multicluster"},
        type="mirror.linkerd.io/remote-kubeconfig",
        string_data={"kubeconfig": pulumi.Output.secret(kubeconfig)},
        opts=pulumi.ResourceOptions(provider=provider),
    )


@pytest.mark.parametrize("preview", [False, True], ids=["up", "preview"])
def test_catches_an_exec_plugin_credential_in_link_credentials(preview: bool) -> None:
    """Checked as the resource the engine registers, in a preview as in `pulumi up`: the pack needs no input the
    engine does not send."""
    sim = simulate("linkerd", config_file=LINKERD, then=hand_made_link_credentials, preview=preview)
    report = evaluate(sim, PROD_CONFIG, stack="linkerd", preview=preview)
    assert [m for m in messages(report, "remote-kubeconfigs-token-only") if "extra" in m] == [
        f"mandatory: linkerd remote kubeconfig 'kubeconfig' in eks-use1-link-credentials-extra: "
        f"{problem}; use a reader service-account token (meshfleet's reader credentials) and nothing else"
        for problem in sorted(["user 'eks-euc1' uses an exec plugin (exec)", "user 'eks-euc1' has no inline service-account token"])
    ]


def test_catches_a_permissive_mesh_and_a_single_replica_control_plane() -> None:
    mesh = raw_config(LINKERD)["mesh"]
    report = evaluate(linkerd_with(mesh={**mesh, "mtls": "PERMISSIVE", "controlPlane": {"replicas": 1}}), PROD_CONFIG, stack="linkerd")
    assert messages(report, "strict-mtls-mesh-wide") == [
        f"mandatory: cluster {cluster} accepts plain text (mesh-wide mTLS is PERMISSIVE (all-unauthenticated)); set mesh.mtls: STRICT"
        for cluster in sorted(CLUSTERS)
    ]
    assert messages(report, "control-plane-high-availability") == [
        f"mandatory: the linkerd control plane of {cluster} (revision default) runs as few as 1 replica; "
        "set mesh.controlPlane.replicas to 2 or more"
        for cluster in sorted(CLUSTERS)
    ]


@pytest.mark.parametrize("scheme", ["linkerd.io/tls"])
def test_catches_an_issuer_key_in_chart_values(linkerd: Simulation, scheme: str) -> None:
    """The chart's default scheme takes the issuer key as a value, where it is stored with the release."""

    def edit(props: dict[str, Any]) -> None:
        props["values"]["identity"] = {"issuer": {"scheme": scheme, "tls": {"crtPEM": "x", "keyPEM": new_root("k")[1]}}}

    report = evaluate(tampered(linkerd, "eks-use1-linkerd-control-plane", edit), PROD_CONFIG, stack="linkerd")
    assert messages(report, "ca-keys-only-in-secrets") == [
        "mandatory: kubernetes:helm.sh/v3:Release eks-use1-linkerd-control-plane holds private key material at "
        "values.identity.issuer.tls.keyPEM, which is not a secret property; put it in a Kubernetes Secret "
        "(e.g. Istio's `cacerts`, Linkerd's external-CA issuer Secret, Consul's CA and peering-token Secrets) and reference it"
    ]
