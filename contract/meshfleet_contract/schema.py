"""JSON Schema (draft 2020-12) of every contract version, generated from definition.py, and a validator of
the schema subset those documents use, so the reader needs nothing beyond the Python standard library.

`python -m meshfleet_contract DIR` writes `v<MAJOR>.<MINOR>.json` for every version into DIR; the
repository publishes them in contract/schema/ and a test keeps them equal to what this module generates.
Other languages generate their types from those files (docs/contract.md, "Other languages: the JSON Schema").
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

from .definition import CONTRACT, Array, MapOf, Scalar, Shape, Version, parse_version

DIALECT = "https://json-schema.org/draft/2020-12/schema"


def shape_schema(shape: Shape, version: Version) -> dict[str, Any]:
    if isinstance(shape, Scalar):
        return {"type": shape.type}
    if isinstance(shape, Array):
        return {"type": "array", "items": shape_schema(shape.items, version)}
    if isinstance(shape, MapOf):
        return {"type": "object", "additionalProperties": shape_schema(shape.values, version)}
    keys = shape.at(version)
    properties = {}
    for key in keys:
        schema = shape_schema(key.shape, version)
        if key.nullable:
            schema["type"] = [schema["type"], "null"]
        properties[key.name] = {**schema, "description": key.doc}
    # Open objects: a later minor adds keys, which an older reader ignores.
    return {"title": shape.title, "type": "object", "properties": properties, "required": [k.name for k in keys if not k.nullable]}


def schema_for(version: str) -> dict[str, Any]:
    """The JSON Schema of the stack outputs of a fleet that publishes `version`."""
    document = shape_schema(CONTRACT, parse_version(version))
    major = version.split(".")[0]
    # Any minor of the major: a reader of this version reads a newer minor too (keys are only added).
    document["properties"]["contractVersion"]["pattern"] = rf"^{major}\.(0|[1-9][0-9]*)$"
    return {"$schema": DIALECT, "$id": f"meshfleet-contract/v{version}.json", **document}


def render(version: str) -> str:
    return json.dumps(schema_for(version), indent=2) + "\n"


# --- validating --------------------------------------------------------------------------------------

JSON_TYPES = {"object": Mapping, "array": list | tuple, "string": str, "boolean": bool, "null": type(None)}


def json_type(value: object) -> str:
    for name, kind in JSON_TYPES.items():
        if isinstance(value, kind):
            return name
    return type(value).__name__


def problems(value: object, schema: Mapping[str, Any], path: str = "") -> list[tuple[str, str]]:
    """(path, problem) for each place `value` breaks `schema`; problem is `missing` or the expected type.

    Covers the keywords schema_for emits: type, properties, required, additionalProperties, items, pattern.
    """
    expected = schema.get("type")
    allowed = expected if isinstance(expected, list) else [expected] if expected else []
    if allowed and json_type(value) not in allowed:
        return [(path, " or ".join(allowed))]
    if "pattern" in schema and not re.search(schema["pattern"], str(value)):
        return [(path, f"a string matching {schema['pattern']}")]
    found: list[tuple[str, str]] = []
    prefix = f"{path}." if path else ""
    if isinstance(value, Mapping):
        for key in schema.get("required", []):
            if key not in value:
                found.append((prefix + key, "missing"))
        for key, item in value.items():
            if key in schema.get("properties", {}):
                found += problems(item, schema["properties"][key], prefix + key)
            elif isinstance(schema.get("additionalProperties"), Mapping):
                found += problems(item, schema["additionalProperties"], prefix + key)
    elif isinstance(value, list | tuple) and "items" in schema:
        for index, item in enumerate(value):
            found += problems(item, schema["items"], f"{path}[{index}]")
    return found
