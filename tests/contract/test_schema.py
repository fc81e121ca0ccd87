"""The contract's JSON Schemas (contract/meshfleet_contract/schema.py, published in contract/schema/) and the
writer's key check: generated from the one definition, and every mesh's real outputs validate."""

from __future__ import annotations

import copy
import itertools
import json
from typing import Any

import jsonschema
import pytest

from components.simulation import PROJECT_DIR, Simulation
from meshfleet_contract import CONTRACT_VERSION, VERSIONS, ContractDefinitionError, ContractError, contract_outputs, parse_contract
from meshfleet_contract.schema import problems, render, schema_for

SCHEMAS = PROJECT_DIR / "contract" / "schema"
FLEETS = ("prod", "dev", "primary-remote", "linkerd", "consul")


def test_the_published_schemas_are_the_generated_ones() -> None:
    assert sorted(p.name for p in SCHEMAS.glob("*.json")) == sorted(f"v{v}.json" for v in VERSIONS)
    for version in VERSIONS:
        assert (SCHEMAS / f"v{version}.json").read_text() == render(version), (
            f"contract/schema/v{version}.json is stale: run `venv/bin/python -m meshfleet_contract contract/schema`"
        )
    assert VERSIONS[-1] == CONTRACT_VERSION


@pytest.mark.parametrize("version", VERSIONS)
def test_each_schema_is_valid_json_schema(version: str) -> None:
    jsonschema.Draft202012Validator.check_schema(json.loads((SCHEMAS / f"v{version}.json").read_text()))


def test_a_minor_version_only_adds_keys() -> None:
    def paths(schema: dict[str, Any], prefix: str = "") -> set[str]:
        found = {prefix}
        for key, child in schema.get("properties", {}).items():
            found |= paths(child, f"{prefix}.{key}")
        if isinstance(schema.get("additionalProperties"), dict):
            found |= paths(schema["additionalProperties"], f"{prefix}.*")
        if "items" in schema:
            found |= paths(schema["items"], f"{prefix}[]")
        return found

    for older, newer in itertools.pairwise(VERSIONS):
        assert paths(schema_for(older)) < paths(schema_for(newer)), (older, newer)


@pytest.mark.parametrize("fleet", FLEETS)
def test_every_meshs_outputs_validate_against_the_schema(fleet: str, request: pytest.FixtureRequest) -> None:
    outputs = request.getfixturevalue(fleet.replace("-", "_")).exports
    schema = json.loads((SCHEMAS / f"v{CONTRACT_VERSION}.json").read_text())
    assert outputs["contractVersion"] == CONTRACT_VERSION
    # The reference implementation and the package's own validator agree: no problem.
    jsonschema.validate(outputs, schema, cls=jsonschema.Draft202012Validator)
    assert problems(outputs, schema) == []


@pytest.mark.parametrize(
    ("change", "found"),
    [
        (lambda o: o["clusters"]["eks-use1"].update(zones="us-east-1a"), [("clusters.eks-use1.zones", "array")]),
        (lambda o: o["mesh"]["locality"].update(crossClusterFailover="yes"), [("mesh.locality.crossClusterFailover", "boolean")]),
        (lambda o: o["mesh"].update(defaultRevision=None), []),
        (lambda o: o["mesh"]["injectionLabel"].update({"team": 3}), [("mesh.injectionLabel.team", "string")]),
        (lambda o: o["mesh"]["revisions"]["1-30-5"].pop("tags"), [("mesh.revisions.1-30-5.tags", "missing")]),
        (lambda o: o.update(contractVersion="2.0"), [("contractVersion", "a string matching ^1\\.(0|[1-9][0-9]*)$")]),
    ],
)
def test_the_packages_validator_agrees_with_the_reference(prod: Simulation, change: Any, found: list[tuple[str, str]]) -> None:
    outputs = copy.deepcopy(prod.exports)
    change(outputs)
    schema = schema_for(CONTRACT_VERSION)
    assert problems(outputs, schema) == found
    reference = list(jsonschema.Draft202012Validator(schema).iter_errors(outputs))
    assert len(reference) == len(found), [e.message for e in reference]


def test_fails_to_read_a_value_of_the_wrong_type_naming_every_problem(prod: Simulation) -> None:
    outputs = copy.deepcopy(prod.exports)
    outputs["clusters"]["eks-use1"]["zones"] = "us-east-1a"
    del outputs["rootCaBundle"]
    with pytest.raises(ContractError) as caught:
        parse_contract(outputs, "acme/meshfleet/prod")
    assert str(caught.value) == (
        f"fleet stack 'acme/meshfleet/prod' publishes no rootCaBundle, which contract {CONTRACT_VERSION} requires; "
        f"fleet stack 'acme/meshfleet/prod' publishes clusters.eks-use1.zones that is not array, as contract {CONTRACT_VERSION} requires"
    )


def test_the_writer_refuses_a_key_the_definition_does_not_have(prod: Simulation) -> None:
    mesh = {**prod.exports["mesh"], "sidecars": True}
    del mesh["mtls"]
    clusters = copy.deepcopy(prod.exports["clusters"])
    clusters["gke-euw1"]["kubeconfig"] = "a credential"
    with pytest.raises(ContractDefinitionError) as caught:
        contract_outputs(mesh, clusters, prod.exports["rootCaBundle"], {})
    assert str(caught.value) == (
        f"the fleet's outputs break the contract definition: mesh.sidecars: not in contract {CONTRACT_VERSION}; mesh.mtls: missing; "
        f"clusters.gke-euw1.kubeconfig: not in contract {CONTRACT_VERSION}"
    )
