"""The fleet's side: the stack outputs it publishes, checked key by key against the definition, so the fleet
can never write a key the reader does not know or leave out one it requires."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .definition import CONTRACT, CONTRACT_VERSION, MapOf, Record, Shape, parse_version


class ContractDefinitionError(ValueError):
    """The fleet's outputs do not follow the definition: a bug in the fleet, never a user's mistake."""


def key_problems(value: Any, shape: Shape, path: str) -> list[str]:
    """Keys missing from or unknown to the definition at CONTRACT_VERSION, where the value is a plain mapping
    (values still being computed, pulumi Outputs, are checked by the tests' schema validation)."""
    if not isinstance(value, Mapping):
        return []
    if isinstance(shape, MapOf):
        return [problem for name, item in value.items() for problem in key_problems(item, shape.values, f"{path}{name}.")]
    if not isinstance(shape, Record):
        return []
    keys = {key.name: key for key in shape.at(parse_version(CONTRACT_VERSION))}
    found = [f"{path}{name}: not in contract {CONTRACT_VERSION}" for name in value if name not in keys]
    found += [f"{path}{name}: missing" for name, key in keys.items() if name not in value and not key.nullable]
    for name, item in value.items():
        if name in keys:
            found += key_problems(item, keys[name].shape, f"{path}{name}.")
    return found


def contract_outputs(
    mesh: Mapping[str, Any], clusters: Mapping[str, Mapping[str, Any]], root_ca_bundle: Any, teams: Mapping[str, Mapping[str, Any]]
) -> dict[str, Any]:
    """The stack outputs of a fleet, one per top-level key of the contract."""
    outputs = {
        "contractVersion": CONTRACT_VERSION,
        "mesh": dict(mesh),
        "clusters": dict(clusters),
        "rootCaBundle": root_ca_bundle,
        "teams": dict(teams),
    }
    found = key_problems(outputs, CONTRACT, "")
    if found:
        raise ContractDefinitionError("the fleet's outputs break the contract definition: " + "; ".join(found))
    return outputs
