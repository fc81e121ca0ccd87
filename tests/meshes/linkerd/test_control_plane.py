"""Linkerd control planes (components/meshes/linkerd/control_plane.py): namespace, issuer Secret, charts, order,
and the identity they give workloads (a real mutual-TLS handshake across clusters)."""

from __future__ import annotations

from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from components.meshes.linkerd import values
from components.simulation import Simulation, simulate
from tests.meshes.helpers import NAMESPACE, RELEASE, SECRET, depends_on, release
from tests.support import LINKERD
from tests.tls_tools import Workload, issue_workload, load_cert, load_certs, mutual_tls, new_root

REPOSITORY = "https://helm.linkerd.io/edge"
CLUSTERS = ("eks-use1", "eks-euc1", "gke-usc1")
TRUST_DOMAIN = "linkerd.meshfleet.internal"


def issuer(sim: Simulation, cluster: str) -> dict[str, str]:
    return sim.named(f"{cluster}-linkerd-identity-issuer", SECRET).inputs["stringData"]


def test_charts_are_pinned_to_edge_2026_8_3_from_the_edge_repository(linkerd: Simulation) -> None:
    releases = linkerd.of_type(RELEASE)
    assert sorted((r.inputs["name"], r.inputs["namespace"]) for r in releases if r.name.startswith("gke-usc1-")) == [
        ("linkerd-control-plane", "linkerd"),
        ("linkerd-crds", "linkerd"),
        ("linkerd-multicluster", "linkerd-multicluster"),
    ]
    assert len(releases) == 9
    for r in releases:
        assert r.inputs["repositoryOpts"] == {"repo": REPOSITORY}, r.name
        assert r.inputs["version"] == "2026.8.3", r.name
        assert r.inputs["chart"] == r.inputs["name"], r.name
        assert r.inputs["skipAwait"] is False, r.name


@pytest.mark.parametrize("cluster", CLUSTERS)
def test_namespaces_carry_what_the_cli_would_give_them(linkerd: Simulation, cluster: str) -> None:
    assert linkerd.named(f"{cluster}-linkerd", NAMESPACE).inputs["metadata"] == {
        "name": "linkerd",
        "labels": {
            "linkerd.io/is-control-plane": "true",
            "config.linkerd.io/admission-webhooks": "disabled",
            "linkerd.io/control-plane-ns": "linkerd",
            "pod-security.kubernetes.io/enforce": "privileged",
        },
        "annotations": {"linkerd.io/inject": "disabled"},
    }
    assert linkerd.named(f"{cluster}-linkerd-multicluster", NAMESPACE).inputs["metadata"] == {
        "name": "linkerd-multicluster",
        "labels": {"linkerd.io/extension": "multicluster", "pod-security.kubernetes.io/enforce": "privileged"},
    }


@pytest.mark.parametrize("cluster", CLUSTERS)
def test_order_namespace_issuer_crds_control_plane_multicluster(linkerd: Simulation, cluster: str) -> None:
    namespace = linkerd.named(f"{cluster}-linkerd", NAMESPACE)
    secret = linkerd.named(f"{cluster}-linkerd-identity-issuer", SECRET)
    crds = release(linkerd, cluster, "linkerd-crds")
    control_plane = release(linkerd, cluster, "linkerd-control-plane")
    multicluster = release(linkerd, cluster, "linkerd-multicluster")
    assert depends_on(linkerd, secret, namespace)
    assert depends_on(linkerd, crds, namespace)
    assert depends_on(linkerd, control_plane, secret), "the identity controller mounts the issuer Secret"
    assert depends_on(linkerd, control_plane, crds)
    assert depends_on(linkerd, multicluster, control_plane), "the gateway's proxy is injected by the control plane"
    assert depends_on(linkerd, multicluster, linkerd.named(f"{cluster}-linkerd-multicluster", NAMESPACE))


@pytest.mark.parametrize("cluster", CLUSTERS)
def test_issuer_secret_holds_the_clusters_intermediate_outside_helm_values(linkerd: Simulation, cluster: str) -> None:
    secret = linkerd.named(f"{cluster}-linkerd-identity-issuer", SECRET)
    assert secret.inputs["metadata"] == {"name": "linkerd-identity-issuer", "namespace": "linkerd"}
    assert secret.inputs["type"] == "kubernetes.io/tls"
    assert secret.is_secret("stringData")
    data = issuer(linkerd, cluster)
    assert set(data) == {"tls.crt", "tls.key", "ca.crt"}
    roots = load_certs(data["ca.crt"])
    assert roots == load_certs(linkerd.exports["rootCaBundle"])
    cert = load_cert(data["tls.crt"])
    cert.verify_directly_issued_by(roots[0])
    assert cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca  # "it must be an intermediate-CA"
    assert cert.subject.rfc4514_string() == f"CN=identity.linkerd.{TRUST_DOMAIN},O=Example Corp,L={cluster}"
    key = serialization.load_pem_private_key(data["tls.key"].encode(), password=None)
    assert isinstance(key, ec.EllipticCurvePrivateKey) and key.curve.name == "secp256r1"  # linkerd check wants P-256
    assert key.public_key().public_numbers() == cert.public_key().public_numbers()  # type: ignore[union-attr]
    values_text = str(release(linkerd, cluster, "linkerd-control-plane").inputs["values"])
    assert "PRIVATE KEY" not in values_text


def test_every_cluster_has_its_own_issuer(linkerd: Simulation) -> None:
    assert len({issuer(linkerd, c)["tls.crt"] for c in CLUSTERS}) == 3


@pytest.mark.parametrize("cluster", CLUSTERS)
def test_control_plane_trusts_the_whole_bundle_in_the_fleets_trust_domain(linkerd: Simulation, cluster: str) -> None:
    chart = release(linkerd, cluster, "linkerd-control-plane").inputs["values"]
    assert chart["identityTrustAnchorsPEM"] == linkerd.exports["rootCaBundle"]
    assert chart["identityTrustDomain"] == TRUST_DOMAIN
    assert chart["identity"] == {"issuer": {"scheme": "kubernetes.io/tls"}}
    assert chart["proxy"]["defaultInboundPolicy"] == "all-authenticated"  # mesh.mtls STRICT


def test_ha_control_plane_takes_upstreams_ha_values_with_the_configured_replicas(linkerd: Simulation) -> None:
    chart = release(linkerd, "eks-use1", "linkerd-control-plane").inputs["values"]
    assert chart["controllerReplicas"] == 3
    assert chart["enablePodDisruptionBudget"] is True
    assert chart["controller"] == {"podDisruptionBudget": {"maxUnavailable": 1}}
    assert chart["enablePodAntiAffinity"] is True
    assert chart["deploymentStrategy"] == {"rollingUpdate": {"maxUnavailable": 1, "maxSurge": "25%"}}
    assert chart["webhookFailurePolicy"] == "Fail"
    assert chart["highAvailability"] is True
    assert chart["proxy"]["resources"] == {"cpu": {"request": "100m"}, "memory": {"limit": "250Mi", "request": "20Mi"}}


def test_single_replica_control_plane_keeps_the_chart_defaults() -> None:
    from components.config import MeshSpec

    mesh = MeshSpec("linkerd", "2026.8.3", "m", "cluster.local", "multi-primary", "PERMISSIVE", (), 1)
    assert values.control_plane_values(mesh, "ANCHORS") == {
        "identityTrustAnchorsPEM": "ANCHORS",
        "identityTrustDomain": "cluster.local",
        "identity": {"issuer": {"scheme": "kubernetes.io/tls"}},
        "proxy": {"defaultInboundPolicy": "all-unauthenticated"},
    }


def test_removing_the_mesh_keeps_linkerds_crds(linkerd: Simulation) -> None:
    for cluster in CLUSTERS:
        assert release(linkerd, cluster, "linkerd-crds").retain_on_delete
        assert release(linkerd, cluster, "linkerd-crds").inputs["values"] == {"installGatewayAPI": False}
        assert not release(linkerd, cluster, "linkerd-control-plane").retain_on_delete


def workload(sim: Simulation, cluster: str, account: str) -> Workload:
    data = issuer(sim, cluster)
    return issue_workload(data["tls.crt"], data["tls.key"], dns_name=values.proxy_identity(account, "shop", TRUST_DOMAIN))


def test_workloads_under_two_clusters_issuers_complete_mutual_tls(linkerd: Simulation, tmp_path: Path) -> None:
    """As two meshed pods in different clusters would: each certificate names the pod's Linkerd identity and
    is sent with its cluster's issuer; each side trusts the anchors it was given (identityTrustAnchorsPEM)."""
    anchors = release(linkerd, "gke-usc1", "linkerd-control-plane").inputs["values"]["identityTrustAnchorsPEM"]
    caller = workload(linkerd, "eks-use1", "frontend")
    callee = workload(linkerd, "gke-usc1", "checkout")
    result = mutual_tls(server=callee, server_trust=anchors, client=caller, client_trust=anchors, directory=tmp_path)
    assert result.ok, result.error
    assert result.server_saw == f"frontend.shop.serviceaccount.identity.linkerd.{TRUST_DOMAIN}"


def test_gateway_identity_is_what_the_links_expect(linkerd: Simulation, tmp_path: Path) -> None:
    anchors = linkerd.exports["rootCaBundle"]
    gateway = issue_workload(
        *[issuer(linkerd, "eks-euc1")[k] for k in ("tls.crt", "tls.key")], dns_name=values.gateway_identity(TRUST_DOMAIN)
    )
    client = workload(linkerd, "gke-usc1", "frontend")
    result = mutual_tls(server=gateway, server_trust=anchors, client=client, client_trust=anchors, directory=tmp_path)
    assert result.ok, result.error
    link = linkerd.named("gke-usc1-link-eks-euc1").inputs["spec"]
    assert (
        result.client_saw
        == link["gatewayIdentity"]
        == f"linkerd-gateway.linkerd-multicluster.serviceaccount.identity.linkerd.{TRUST_DOMAIN}"
    )


def test_root_rotation_takes_the_same_three_steps_as_istio(tmp_path: Path) -> None:
    """Each step is one `pulumi up`: the anchors every control plane gets and the issuers move as the trust does,
    and workloads holding certificates from the previous step keep talking."""
    from tests.test_trust import byo_secrets, byo_trust

    old, new = new_root("old-root"), new_root("new-root")
    both = byo_secrets(("old", old), ("new", new))
    steps = [
        simulate("linkerd", config_file=LINKERD, config={"meshfleet:trust": byo_trust(["old", "new"], "old")}, secrets=both),
        simulate("linkerd", config_file=LINKERD, config={"meshfleet:trust": byo_trust(["old", "new"], "new")}, secrets=both),
        simulate("linkerd", config_file=LINKERD, config={"meshfleet:trust": byo_trust(["new"], "new")}, secrets=byo_secrets(("new", new))),
    ]
    expected_roots = [[old[0], new[0]], [old[0], new[0]], [new[0]]]
    signers = [old[0], new[0], new[0]]
    for step, roots, signer in zip(steps, expected_roots, signers, strict=True):
        for cluster in CLUSTERS:
            anchors = release(step, cluster, "linkerd-control-plane").inputs["values"]["identityTrustAnchorsPEM"]
            assert load_certs(anchors) == [load_cert(r) for r in roots], cluster
            assert issuer(step, cluster)["ca.crt"] == anchors
            load_cert(issuer(step, cluster)["tls.crt"]).verify_directly_issued_by(load_cert(signer))
    anchors = [release(step, "eks-use1", "linkerd-control-plane").inputs["values"]["identityTrustAnchorsPEM"] for step in steps]
    before = workload(steps[0], "eks-use1", "frontend")
    after = workload(steps[1], "gke-usc1", "checkout")
    # Mid-rotation: a workload under the old root and one under the new, both trusting the two-root bundle.
    assert mutual_tls(after, anchors[1], before, anchors[0], tmp_path).ok
    # Once the old root is dropped, only certificates under the new root are trusted.
    assert mutual_tls(after, anchors[2], workload(steps[2], "eks-euc1", "frontend"), anchors[2], tmp_path).ok
    refused = mutual_tls(after, anchors[2], before, anchors[0], tmp_path)
    assert not refused.ok and "certificate verify failed" in str(refused.error)
