"""The fleet (components/fleet.py, components/contract.py): composition, conventions and stack outputs."""

from __future__ import annotations

import pytest

from components import contract
from components.simulation import Simulation
from tests.tls_tools import load_cert, load_certs

CLUSTER_KEYS = set(contract.CLUSTER_KEYS)


def test_prod_outputs_describe_every_cluster(prod: Simulation) -> None:
    clusters = prod.exports["clusters"]
    assert list(clusters) == ["eks-use1", "eks-usw2", "gke-euw1"]
    for name, cluster in clusters.items():
        assert set(cluster) == CLUSTER_KEYS, name
        assert cluster["name"] == name
        assert cluster["network"] == f"net-{name}"
        assert cluster["apiEndpoint"].startswith("https://")
        load_cert(cluster["caCertificate"])
    assert (clusters["eks-use1"]["cloud"], clusters["eks-use1"]["region"]) == ("aws", "us-east-1")
    assert (clusters["gke-euw1"]["cloud"], clusters["gke-euw1"]["region"]) == ("gcp", "europe-west1")
    assert clusters["eks-usw2"]["zones"] == ["us-west-2a", "us-west-2b", "us-west-2c"]


def test_prod_outputs_describe_the_mesh(prod: Simulation) -> None:
    assert prod.exports["contractVersion"] == "1.1"
    mesh = prod.exports["mesh"]
    assert set(mesh) == set(contract.MESH_KEYS)
    assert mesh["injectionAnnotations"] == {}
    assert mesh["identity"]["sharedRoot"] is True
    assert {k: mesh[k] for k in ("type", "version", "meshId", "trustDomain", "topology", "mtls")} == {
        "type": "istio",
        "version": "1.30.5",
        "meshId": "mesh-prod",
        "trustDomain": "prod.meshfleet.internal",
        "topology": "multi-primary",
        "mtls": "STRICT",
    }
    assert len(load_certs(prod.exports["rootCaBundle"])) == 1


def test_outputs_are_not_secret(prod: Simulation, dev: Simulation) -> None:
    """Nothing exported is a credential, so nothing needs to be a secret and app teams can read it all."""
    assert prod.secret_exports == set()
    assert dev.secret_exports == set()


@pytest.mark.parametrize("stack", ["prod", "dev", "primary_remote", "linkerd"])
def test_every_resource_belongs_to_the_fleet_component(stack: str, request: pytest.FixtureRequest) -> None:
    sim: Simulation = request.getfixturevalue(stack)
    [fleet] = sim.of_type("meshfleet:fleet:Fleet")
    roots = [r for r in sim.resources if r.parent == fleet.parent]
    assert roots == [fleet], [r.urn for r in roots]


@pytest.mark.parametrize("stack", ["prod", "dev", "linkerd", "consul"])
def test_components_use_the_meshfleet_type_namespace(stack: str, request: pytest.FixtureRequest) -> None:
    sim: Simulation = request.getfixturevalue(stack)
    # Every component is meshfleet's own: no provider component (such as a ConfigGroup) hides resources.
    components = {r.type for r in sim.resources if not r.custom and not r.type.startswith("pulumi:")}
    assert components and all(t.startswith("meshfleet:") and t.count(":") == 2 for t in components), components


def test_urns_carry_every_parents_type_as_the_engines_do(prod: Simulation) -> None:
    """What a stack's state, `pulumi state` commands and aliases name (the stock mock monitor keeps only the parent's type)."""
    [fleet] = prod.of_type("meshfleet:fleet:Fleet")
    assert fleet.urn == "urn:pulumi:prod::meshfleet::meshfleet:fleet:Fleet::meshfleet"
    webhook = prod.named("eks-use1-revision-tag-default-webhook")
    assert webhook.urn == (
        "urn:pulumi:prod::meshfleet::meshfleet:fleet:Fleet$meshfleet:istio:Mesh$meshfleet:istio:Cluster$meshfleet:istio:ControlPlane"
        "$kubernetes:admissionregistration.k8s.io/v1:MutatingWebhookConfiguration::eks-use1-revision-tag-default-webhook"
    )
