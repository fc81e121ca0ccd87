"""Istio control planes (components/meshes/istio/control_plane.py): namespace, plug-in CA, charts, order."""

from __future__ import annotations

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization

from components.simulation import Simulation
from tests.meshes.istio.helpers import RELEASE, SECRET, custom_resources, depends_on, release
from tests.tls_tools import load_cert, load_certs

REPOSITORY = "https://istio-release.storage.googleapis.com/charts"


def cacerts(sim: Simulation, cluster: str) -> dict[str, str]:
    return sim.named(f"{cluster}-cacerts", SECRET).inputs["stringData"]


@pytest.mark.parametrize("stack", ["prod", "dev", "primary_remote"])
def test_charts_are_pinned_to_istio_1_30_5_from_the_official_repository(stack: str, request: pytest.FixtureRequest) -> None:
    sim: Simulation = request.getfixturevalue(stack)
    releases = sim.of_type(RELEASE)
    assert releases
    for r in releases:
        assert r.inputs["repositoryOpts"] == {"repo": REPOSITORY}, r.name
        assert r.inputs["version"] == "1.30.5", r.name
        assert r.inputs["chart"] in {"base", "istiod", "gateway"}, r.name
        assert r.inputs["namespace"] == "istio-system", r.name
        assert r.inputs["skipAwait"] is False, r.name  # dependents start on a ready release


def test_istio_system_is_labelled_with_the_clusters_network(prod: Simulation) -> None:
    for cluster, network in (("eks-use1", "net-eks-use1"), ("gke-euw1", "net-gke-euw1")):
        namespace = prod.named(f"{cluster}-istio-system")
        assert namespace.inputs["metadata"]["name"] == "istio-system"
        assert namespace.inputs["metadata"]["labels"] == {"topology.istio.io/network": network}


@pytest.mark.parametrize("cluster", ["eks-use1", "eks-usw2", "gke-euw1"])
def test_order_namespace_cacerts_base_istiod_gateway_then_custom_resources(prod: Simulation, cluster: str) -> None:
    namespace = prod.named(f"{cluster}-istio-system")
    ca = prod.named(f"{cluster}-cacerts", SECRET)
    base = release(prod, cluster, "istio-base")
    istiod = release(prod, cluster, "istiod-1-30-5")
    gateway = release(prod, cluster, "istio-eastwestgateway")
    assert depends_on(prod, ca, namespace)
    assert depends_on(prod, base, namespace) and depends_on(prod, base, ca)
    assert depends_on(prod, istiod, ca), "istiod before cacerts would self-sign"
    assert depends_on(prod, istiod, base)
    assert depends_on(prod, gateway, istiod)
    crs = [r for r in prod.kubernetes() if ".istio.io/" in r.type and r.name.startswith(f"{cluster}-")]
    assert {r.type.rsplit(":", 1)[-1] for r in crs} == {"Gateway", "PeerAuthentication"}
    for cr in crs:
        assert depends_on(prod, cr, base), f"{cr.urn} could be created before its CRD"
        assert depends_on(prod, cr, istiod), f"{cr.urn} could be created before istiod's webhook is up"


@pytest.mark.parametrize("cluster", ["eks-use1", "gke-euw1"])
def test_cacerts_holds_the_clusters_intermediate_and_the_whole_bundle(prod: Simulation, cluster: str) -> None:
    data = cacerts(prod, cluster)
    assert set(data) == {"ca-cert.pem", "ca-key.pem", "root-cert.pem", "cert-chain.pem"}
    secret = prod.named(f"{cluster}-cacerts", SECRET)
    assert secret.inputs["metadata"] == {"name": "cacerts", "namespace": "istio-system"}
    assert secret.is_secret("stringData")
    roots = load_certs(data["root-cert.pem"])
    assert roots == load_certs(prod.exports["rootCaBundle"])
    ca = load_cert(data["ca-cert.pem"])
    ca.verify_directly_issued_by(roots[0])
    assert ca.subject.get_attributes_for_oid(x509.NameOID.LOCALITY_NAME)[0].value == cluster
    assert load_certs(data["cert-chain.pem"]) == [ca, roots[0]]
    key = serialization.load_pem_private_key(data["ca-key.pem"].encode(), password=None)
    assert key.public_key().public_numbers() == ca.public_key().public_numbers()  # type: ignore[union-attr]


def test_every_cluster_has_its_own_intermediate(prod: Simulation) -> None:
    certificates = {cacerts(prod, c)["ca-cert.pem"] for c in ("eks-use1", "eks-usw2", "gke-euw1")}
    assert len(certificates) == 3


def test_mesh_identity_is_consistent_and_cluster_names_unique(prod: Simulation) -> None:
    seen = []
    for cluster in ("eks-use1", "eks-usw2", "gke-euw1"):
        values = release(prod, cluster, "istiod-1-30-5").inputs["values"]
        seen.append((values["global"]["meshID"], values["meshConfig"]["trustDomain"]))
        assert values["global"]["multiCluster"]["clusterName"] == cluster
        assert values["global"]["network"] == f"net-{cluster}"
    assert set(seen) == {("mesh-prod", "prod.meshfleet.internal")}


def test_istiod_accepts_root_bundle_changes_for_rotation(prod: Simulation) -> None:
    values = release(prod, "gke-euw1", "istiod-1-30-5").inputs["values"]
    assert values["env"] == {"ISTIO_MULTIROOT_MESH": "true"}
    assert values["meshConfig"]["defaultConfig"]["proxyMetadata"] == {"PROXY_CONFIG_XDS_AGENT": "true"}


def test_prod_control_plane_is_highly_available(prod: Simulation, dev: Simulation) -> None:
    values = release(prod, "eks-use1", "istiod-1-30-5").inputs["values"]
    assert (values["autoscaleMin"], values["autoscaleMax"]) == (2, 5)
    assert values["global"]["defaultPodDisruptionBudget"] == {"enabled": True}
    single = release(dev, "kind-west", "istiod-1-30-5").inputs["values"]
    assert single["global"]["defaultPodDisruptionBudget"] == {"enabled": False}  # would block node drains


def test_removing_the_mesh_leaves_no_fail_closed_validator(prod: Simulation, primary_remote: Simulation) -> None:
    """A retained base release would keep `istiod-default-validator` calling an istiod that is gone, and
    every create or update of an Istio object in the cluster would be rejected. The CRDs need no
    retention: Helm keeps them through their `helm.sh/resource-policy: keep` annotation."""
    for sim, cluster in ((prod, "eks-use1"), (prod, "gke-euw1"), (primary_remote, "eks-use1")):
        for name in ("istio-base", "istiod-1-30-5", "istio-eastwestgateway"):
            assert not release(sim, cluster, name).retain_on_delete, f"{cluster}-{name}"


# --- primary-remote ---------------------------------------------------------------------------------


def test_primary_serves_remotes_as_external_istiod(primary_remote: Simulation) -> None:
    values = release(primary_remote, "gke-usc1", "istiod-1-30-5").inputs["values"]
    assert values["global"]["externalIstiod"] is True
    assert "profile" not in values


@pytest.mark.parametrize(("cluster", "network"), [("eks-use1", "net-use1"), ("gke-euw4", "net-euw4")])
def test_remote_runs_the_remote_profile_pointing_at_the_primarys_gateway(primary_remote: Simulation, cluster: str, network: str) -> None:
    primary_address = primary_remote.exports["clusters"]["gke-usc1"]["eastWestGatewayAddress"]
    values = release(primary_remote, cluster, "istiod-1-30-5").inputs["values"]
    assert values == {
        "profile": "remote",
        "revision": "1-30-5",
        "global": {
            "meshID": "mesh-edge",
            "multiCluster": {"clusterName": cluster},
            "network": network,
            "remotePilotAddress": primary_address,
            "configCluster": True,
        },
        "istiodRemote": {"injectionPath": f"/inject/cluster/{cluster}/net/{network}"},
        "base": {"validationFailurePolicy": "Ignore"},
    }
    assert release(primary_remote, cluster, "istio-base").inputs["values"] == {
        "defaultRevision": "1-30-5",
        "profile": "remote",
        "base": {"validationFailurePolicy": "Ignore"},
    }
    primary_gateway = release(primary_remote, "gke-usc1", "istio-eastwestgateway")
    assert depends_on(primary_remote, release(primary_remote, cluster, "istiod-1-30-5"), primary_gateway)


def test_remote_validators_fail_open_and_primary_validators_are_left_to_istiod(primary_remote: Simulation) -> None:
    """No istiod patches a remote's validator caBundle, and Helm renders `Ignore` only on install: without
    the value the first upgrade makes every remote reject all Istio objects."""
    for cluster in ("eks-use1", "gke-euw4"):
        for chart in ("istio-base", "istiod-1-30-5"):
            assert release(primary_remote, cluster, chart).inputs["values"]["base"] == {"validationFailurePolicy": "Ignore"}, cluster
    for chart in ("istio-base", "istiod-1-30-5"):
        assert "base" not in release(primary_remote, "gke-usc1", chart).inputs["values"]


def test_remote_namespace_names_its_control_plane_cluster(primary_remote: Simulation) -> None:
    namespace = primary_remote.named("eks-use1-istio-system")
    assert namespace.inputs["metadata"]["annotations"] == {"topology.istio.io/controlPlaneClusters": "gke-usc1"}
    assert namespace.inputs["metadata"]["labels"] == {"topology.istio.io/network": "net-use1"}
    assert "annotations" not in primary_remote.named("gke-usc1-istio-system").inputs["metadata"]


def test_remotes_get_no_ca_of_their_own(primary_remote: Simulation) -> None:
    secrets = [r.name for r in primary_remote.of_type(SECRET) if r.name.endswith("-cacerts")]
    assert secrets == ["gke-usc1-cacerts"]
    intermediates = [r.name for r in primary_remote.of_type("tls:index/locallySignedCert:LocallySignedCert")]
    assert intermediates == ["gke-usc1-edge-root-2026-intermediate-cert"]


def test_remotes_take_mesh_config_from_their_primary(primary_remote: Simulation) -> None:
    for cluster in ("eks-use1", "gke-euw4"):
        assert custom_resources(primary_remote, cluster, "Gateway") == []
        assert custom_resources(primary_remote, cluster, "PeerAuthentication") == []
