"""Endpoint discovery without istioctl (components/meshes/istio/discovery.py, components/k8s/reader_credentials.py)."""

from __future__ import annotations

import base64

import pytest
import yaml

from components.simulation import Simulation, simulate
from tests.meshes.helpers import token_kubeconfig
from tests.meshes.istio.helpers import SECRET, depends_on, release
from tests.support import prod_raw

PROD = ("eks-use1", "eks-usw2", "gke-euw1")


def remote_secrets(sim: Simulation, holder: str) -> dict[str, object]:
    return {r.inputs["metadata"]["name"]: r for r in sim.of_type(SECRET) if r.name.startswith(f"{holder}-remote-secret-")}


def test_every_primary_holds_a_remote_secret_for_every_other_cluster(prod: Simulation) -> None:
    for holder in PROD:
        expected = {f"istio-remote-secret-{c}" for c in PROD if c != holder}
        assert set(remote_secrets(prod, holder)) == expected, holder


@pytest.mark.parametrize(("holder", "observed"), [("eks-use1", "gke-euw1"), ("gke-euw1", "eks-usw2")])
def test_remote_secret_has_the_format_istiod_expects(prod: Simulation, holder: str, observed: str) -> None:
    secret = prod.named(f"{holder}-remote-secret-{observed}", SECRET)
    assert secret.inputs["metadata"] == {
        "name": f"istio-remote-secret-{observed}",
        "namespace": "istio-system",
        "labels": {"istio/multiCluster": "true"},
        "annotations": {"networking.istio.io/cluster": observed},
    }
    assert list(secret.inputs["stringData"]) == [observed]  # the data key is the cluster name
    assert secret.is_secret("stringData")
    kubeconfig = yaml.safe_load(secret.inputs["stringData"][observed])
    # Inline token only: istiod refuses exec plugins.
    assert kubeconfig == token_kubeconfig(prod, observed, prod.named(f"{observed}-istio-reader", SECRET))


def test_reader_token_comes_from_a_secret_the_program_owns(prod: Simulation) -> None:
    token = prod.named("gke-euw1-istio-reader", SECRET)
    assert token.inputs["type"] == "kubernetes.io/service-account-token"
    assert token.inputs["metadata"] == {
        "name": "istio-reader-service-account-token-g1",
        "namespace": "istio-system",
        "annotations": {
            "kubernetes.io/service-account.name": "istio-reader-service-account",
            "pulumi.com/waitFor": "jsonpath={.data.token}",
        },
    }
    assert depends_on(prod, token, release(prod, "gke-euw1", "istio-base"))  # the account comes from base
    assert depends_on(prod, token, release(prod, "gke-euw1", "istiod-1-30-5"))  # its RBAC from istiod


def test_remote_secret_waits_for_both_control_planes(prod: Simulation) -> None:
    secret = prod.named("eks-use1-remote-secret-gke-euw1", SECRET)
    assert depends_on(prod, secret, release(prod, "gke-euw1", "istiod-1-30-5"))
    assert depends_on(prod, secret, release(prod, "eks-use1", "istiod-1-30-5"))
    assert secret.provider == prod.named("eks-use1-k8s").urn


def test_rotating_the_reader_token_is_a_config_change() -> None:
    mesh = prod_raw()["mesh"]
    mesh["istio"] = {**mesh["istio"], "readerTokenGeneration": 2}
    sim = simulate("prod", config={"meshfleet:mesh": mesh})
    token = sim.named("eks-usw2-istio-reader", SECRET)
    assert token.inputs["metadata"]["name"] == "istio-reader-service-account-token-g2"
    kubeconfig = yaml.safe_load(sim.named("gke-euw1-remote-secret-eks-usw2", SECRET).inputs["stringData"]["eks-usw2"])
    assert kubeconfig["users"][0]["user"]["token"] == base64.b64decode(token.outputs["data"]["token"]).decode()


def test_primary_remote_discovery_lives_in_the_primary(primary_remote: Simulation) -> None:
    assert set(remote_secrets(primary_remote, "gke-usc1")) == {"istio-remote-secret-eks-use1", "istio-remote-secret-gke-euw4"}
    assert remote_secrets(primary_remote, "eks-use1") == {}
    assert remote_secrets(primary_remote, "gke-euw4") == {}
    readers = sorted(r.name for r in primary_remote.of_type(SECRET) if r.name.endswith("-istio-reader"))
    assert readers == ["eks-use1-istio-reader", "gke-euw4-istio-reader"]  # the lone primary is read by nobody


def test_adopted_clusters_are_reached_at_their_configured_api_server(dev: Simulation) -> None:
    secret = dev.named("kind-west-remote-secret-kind-east", SECRET)
    kubeconfig = yaml.safe_load(secret.inputs["stringData"]["kind-east"])
    assert kubeconfig["clusters"][0]["cluster"]["server"] == "https://mesh-east-control-plane:6443"
