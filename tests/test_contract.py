"""The contract for app teams (components/contract.py): what the fleet publishes, and the typed reader."""

from __future__ import annotations

import copy
from dataclasses import replace
from typing import Any

import pytest
import yaml

from components.contract import CONTRACT_VERSION, ContractError, FleetContract, IdentityRecord, parse_contract, read_fleet
from components.simulation import ProgramFailed, Simulation, run_program

STACK = "acme/meshfleet/prod"


def test_prod_outputs_read_back_as_typed_records(prod: Simulation) -> None:
    fleet = parse_contract(prod.exports, STACK)
    assert fleet.version == CONTRACT_VERSION == "1.2"
    assert (fleet.mesh.type, fleet.mesh.version, fleet.mesh.mesh_id, fleet.mesh.trust_domain) == (
        "istio",
        "1.30.5",
        "mesh-prod",
        "prod.meshfleet.internal",
    )
    assert fleet.mesh.injection_label == {"istio-injection": "enabled"}
    assert fleet.mesh.injection_annotations == {}
    assert fleet.mesh.namespace_metadata == {"labels": {"istio-injection": "enabled"}, "annotations": {}}
    assert fleet.mesh.identity.shared_root is True
    assert "cacerts" in fleet.mesh.identity.summary
    assert fleet.mesh.default_revision == "1-30-5"
    assert fleet.mesh.locality.failover == (("us-east-1", "us-west-2"), ("us-west-2", "us-east-1"), ("europe-west1", "us-east-1"))
    eks = fleet.clusters["eks-use1"]
    assert (eks.cloud, eks.created, eks.region, eks.network, eks.role) == ("aws", True, "us-east-1", "net-eks-use1", "primary")
    assert eks.api_endpoint == prod.exports["clusters"]["eks-use1"]["apiEndpoint"]
    assert eks.east_west_gateway_address.endswith(".elb.amazonaws.com")
    assert fleet.root_ca_bundle == prod.exports["rootCaBundle"]


def test_kubeconfigs_use_the_app_teams_own_identity(prod: Simulation) -> None:
    fleet = parse_contract(prod.exports, STACK)
    eks = yaml.safe_load(fleet.clusters["eks-usw2"].kubeconfig(aws_role_arn="arn:aws:iam::123456789012:role/shop"))
    assert eks["users"][0]["user"]["exec"]["args"] == [
        "eks", "get-token", "--cluster-name", "eks-usw2", "--region", "us-west-2", "--output", "json",
        "--role-arn", "arn:aws:iam::123456789012:role/shop",
    ]  # fmt: skip
    assert eks["clusters"][0]["cluster"]["server"] == fleet.clusters["eks-usw2"].api_endpoint
    gke = yaml.safe_load(fleet.clusters["gke-euw1"].kubeconfig())
    assert gke["users"][0]["user"]["exec"]["command"] == "gke-gcloud-auth-plugin"


def test_fails_kubeconfig_for_an_adopted_cluster(dev: Simulation) -> None:
    fleet = parse_contract(dev.exports, "acme/meshfleet/dev")
    with pytest.raises(ContractError) as caught:
        fleet.clusters["kind-west"].kubeconfig()
    assert str(caught.value) == (
        "cluster 'kind-west' is adopted by the fleet (cloud 'existing'), so meshfleet cannot build credentials for it; "
        "get a kubeconfig from its owners"
    )


@pytest.mark.parametrize(
    ("published", "message"),
    [
        (
            "2.0",
            "fleet stack 'acme/meshfleet/prod' publishes contract 2.0, but this reader understands 1.0 to 1.x; "
            "use the meshfleet-contract release that matches the fleet (docs/contract.md)",
        ),
        (
            "1.x",
            "fleet stack 'acme/meshfleet/prod' publishes no meshfleet contract version (got '1.x'); is it a meshfleet fleet stack?",
        ),
        (
            None,
            "fleet stack 'acme/meshfleet/prod' publishes no meshfleet contract version (got None); is it a meshfleet fleet stack?",
        ),
    ],
)
def test_fails_incompatible_contract_version(prod: Simulation, published: str | None, message: str) -> None:
    outputs = {**prod.exports, "contractVersion": published}
    with pytest.raises(ContractError) as caught:
        parse_contract(outputs, STACK)
    assert str(caught.value) == message


def test_a_newer_minor_version_is_accepted(prod: Simulation) -> None:
    assert parse_contract({**prod.exports, "contractVersion": "1.7", "extraKey": 1}, STACK).version == "1.7"


def test_a_1_0_stack_reads_with_the_defaults_of_the_keys_1_1_added(prod: Simulation) -> None:
    outputs: dict[str, Any] = copy.deepcopy(prod.exports)
    outputs["contractVersion"] = "1.0"
    del outputs["mesh"]["injectionAnnotations"], outputs["mesh"]["identity"], outputs["teams"]
    old = parse_contract(outputs, STACK).mesh
    assert old.injection_annotations == {}
    assert old.identity == IdentityRecord(True, "workload certificates chain to the fleet's root bundle (contract 1.0 fleets run Istio)")
    assert replace(old, identity=parse_contract(prod.exports, STACK).mesh.identity) == parse_contract(prod.exports, STACK).mesh


def test_fails_a_1_1_stack_without_a_key_1_1_added(prod: Simulation) -> None:
    outputs: dict[str, Any] = copy.deepcopy(prod.exports)
    outputs["contractVersion"] = "1.1"
    del outputs["mesh"]["injectionAnnotations"], outputs["teams"]
    with pytest.raises(ContractError) as caught:
        parse_contract(outputs, STACK)
    assert str(caught.value) == "fleet stack 'acme/meshfleet/prod' publishes no mesh.injectionAnnotations, which contract 1.1 requires"


def test_fails_missing_key(prod: Simulation) -> None:
    outputs: dict[str, Any] = copy.deepcopy(prod.exports)
    del outputs["clusters"]["gke-euw1"]["apiEndpoint"]
    with pytest.raises(ContractError) as caught:
        parse_contract(outputs, STACK)
    assert str(caught.value) == "fleet stack 'acme/meshfleet/prod' publishes no clusters.gke-euw1.apiEndpoint, which contract 1.2 requires"


def read(outputs: dict[str, Any], secret: list[str] | None = None) -> FleetContract:
    found: list[FleetContract] = []
    run_program(
        lambda: found.append(read_fleet(STACK)),
        project="shop",
        stack_outputs={STACK: outputs},
        secret_stack_outputs={STACK: secret or []},
    )
    return found[0]


def test_read_fleet_reads_a_stack_reference(prod: Simulation) -> None:
    assert read(prod.exports) == parse_contract(prod.exports, STACK)


def test_fails_read_of_a_contract_key_published_as_a_secret(prod: Simulation) -> None:
    with pytest.raises(ProgramFailed) as caught:
        read(prod.exports, secret=["clusters"])
    assert (
        str(caught.value.error) == "fleet stack 'acme/meshfleet/prod' publishes 'clusters' as a secret; contract 1.2 keys carry no secrets"
    )


def test_a_mesh_without_revisions_reads_back_through_a_stack_reference(consul: Simulation) -> None:
    # The SDK leaves the None default revision out of the published map; the reader takes it as None.
    contract = read(consul.exports)
    assert contract == parse_contract(consul.exports, STACK)
    assert (contract.mesh.revisions, contract.mesh.default_revision) == ({}, None)
    assert contract.mesh.identity.shared_root is False


def test_a_linkerd_fleet_reads_back_without_revisions(linkerd: Simulation) -> None:
    """A null output reaches a StackReference as a missing key; a fleet without revisions still reads."""
    assert linkerd.exports["mesh"]["defaultRevision"] is None
    contract = read(linkerd.exports)
    assert (contract.mesh.type, contract.mesh.default_revision, contract.mesh.revisions) == ("linkerd", None, {})
    assert contract.mesh.injection_label == {}
    assert contract.mesh.injection_annotations == {"linkerd.io/inject": "enabled"}
    assert contract.mesh.locality.cross_cluster_failover is False
    assert contract.mesh.identity.shared_root is True
