"""The pinned upstream CRDs of each mesh, read from a developer's local clone, and a validator for objects.

The API server prunes custom-resource fields its CRD does not declare, silently, so a typo in an emitted
object is lost without an error. The CRDs are upstream files: they are neither committed here nor
downloaded at test time. A developer points `MESHFLEET_UPSTREAM_<MESH>` at a clone (bare or checked out,
read at the pinned tag below) or at a plain directory of CRD YAML files.

The validator covers what decides whether a field survives and is accepted: unknown fields (respecting
`x-kubernetes-preserve-unknown-fields`), types (with `x-kubernetes-int-or-string` and `nullable`), enums,
required, items, `additionalProperties`, bounds (minimum/maximum, lengths, item counts), patterns, and the
`oneOf`/`anyOf`/`allOf`/`not` constraints Istio uses for exclusive fields. It does not evaluate CEL rules
(`x-kubernetes-validations`), `format`, exclusive bounds, or list-map key uniqueness (`x-kubernetes-list-type`).
"""

from __future__ import annotations

import fnmatch
import os
import re
import subprocess
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from components.simulation import UNKNOWN

Schema = Mapping[str, Any]
GroupVersionKind = tuple[str, str, str]


@dataclass(frozen=True)
class Upstream:
    """Where one mesh's CRDs live upstream, at the version the fleet pins."""

    mesh: str
    clone_url: str
    tag: str
    paths: tuple[str, ...]
    """fnmatch patterns in the repository; `*` also crosses directories."""
    groups: tuple[str, ...]
    """API groups whose kinds must all be checked against these CRDs."""

    @property
    def env_var(self) -> str:
        return f"MESHFLEET_UPSTREAM_{self.mesh.upper()}"

    def how_to_set(self) -> str:
        return (
            f"{self.env_var} is unset: `git clone --bare --depth 1 --branch {self.tag} {self.clone_url} <dir>` "
            f"(or use an existing clone that has tag {self.tag}) and set {self.env_var}=<dir>"
        )


UPSTREAMS = (
    Upstream(
        "istio",
        "https://github.com/istio/istio.git",
        # The fleet pins 1.30.5; crd-all.gen.yaml is byte-identical from 1.30.0 to 1.30.3 (CRDs change on minors).
        "1.30.5",
        ("manifests/charts/base/files/crd-all.gen.yaml",),
        ("networking.istio.io", "security.istio.io", "telemetry.istio.io", "extensions.istio.io"),
    ),
    Upstream(
        "linkerd",
        "https://github.com/linkerd/linkerd2.git",
        "edge-26.8.3",
        ("charts/linkerd-crds/templates/**.yaml", "multicluster/charts/linkerd-multicluster/templates/link-crd.yaml"),
        ("policy.linkerd.io", "multicluster.linkerd.io", "linkerd.io", "workload.linkerd.io"),
    ),
    Upstream(
        "consul",
        "https://github.com/hashicorp/consul-k8s.git",
        "v2.0.3",
        ("charts/consul/templates/crd-*.yaml",),
        ("consul.hashicorp.com",),
    ),
)


class UpstreamError(Exception):
    """The configured location cannot give the pinned CRDs."""


def _git(repo: Path, *args: str) -> str:
    result = subprocess.run(["git", "-C", str(repo), *args], capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise UpstreamError(f"git -C {repo} {' '.join(args)}: {result.stderr.strip()}")
    return result.stdout


def _is_git(location: Path) -> bool:
    return subprocess.run(["git", "-C", str(location), "rev-parse", "--git-dir"], capture_output=True, check=False).returncode == 0


def _matches(path: str, patterns: tuple[str, ...]) -> bool:
    return any(fnmatch.fnmatchcase(path, pattern) for pattern in patterns)


def _files(upstream: Upstream, location: Path, tag: str) -> Iterator[tuple[str, str]]:
    """(name, text) of every CRD file: from git at the tag, else the table's paths or every YAML file of a directory."""
    if _is_git(location):
        if not _git(location, "tag", "--list", tag).strip():
            raise UpstreamError(f"{location} has no tag {tag}: `git -C {location} fetch origin tag {tag}`, or set {upstream.env_var}_TAG")
        names = [n for n in _git(location, "ls-tree", "-r", "--name-only", tag).splitlines() if _matches(n, upstream.paths)]
        for name in names:
            yield f"{tag}:{name}", _git(location, "show", f"{tag}:{name}")
        return
    files = sorted(p for p in location.rglob("*") if p.suffix in (".yaml", ".yml"))
    pinned = [p for p in files if _matches(p.relative_to(location).as_posix(), upstream.paths)]
    for path in pinned or files:
        yield str(path), path.read_text()


_DIRECTIVE_LINE = re.compile(r"^\s*(\{\{.*?\}\}\s*)+$")
_ACTION = re.compile(r"\{\{.*?\}\}")
_MULTILINE_ACTION = re.compile(r"\{\{[^}]*\n.*?\}\}", re.DOTALL)


def without_helm_actions(text: str) -> str:
    """Helm templates as YAML: actions spanning lines and lines that are only actions (`{{- if ...}}`) go, inline
    actions (labels such as `chart: {{ .Chart.Name }}`) become a placeholder. CRD schemas hold no actions."""
    lines = (line for line in _MULTILINE_ACTION.sub("", text).splitlines() if not _DIRECTIVE_LINE.match(line))
    return "\n".join(_ACTION.sub("helm", line) for line in lines)


@dataclass(frozen=True)
class CustomResourceDefinitions:
    source: str
    schemas: Mapping[GroupVersionKind, Schema]
    """openAPIV3Schema of every served version."""

    def kinds(self) -> set[GroupVersionKind]:
        return set(self.schemas)


def load(upstream: Upstream, location: Path, tag: str | None = None) -> CustomResourceDefinitions:
    tag = tag or upstream.tag
    schemas: dict[GroupVersionKind, Schema] = {}
    for name, text in _files(upstream, location, tag):
        try:
            documents = list(yaml.safe_load_all(without_helm_actions(text)))
        except yaml.YAMLError as error:
            raise UpstreamError(f"{name}: not YAML once Helm actions are removed: {error}") from error
        for crd in documents:
            if not isinstance(crd, dict) or crd.get("kind") != "CustomResourceDefinition":
                continue
            spec = crd["spec"]
            for version in spec["versions"]:
                if version.get("served", False):
                    schemas[(spec["group"], version["name"], spec["names"]["kind"])] = version["schema"]["openAPIV3Schema"]
    if not schemas:
        raise UpstreamError(f"no CustomResourceDefinition found in {location} at {tag} under {', '.join(upstream.paths)}")
    return CustomResourceDefinitions(f"{location} at {tag}" if _is_git(location) else str(location), schemas)


def _type_problem(value: Any, schema: Schema) -> str | None:
    if value is None:
        return None if schema.get("nullable") else "is null"
    if schema.get("x-kubernetes-int-or-string"):
        ok = isinstance(value, str) or (isinstance(value, int) and not isinstance(value, bool))
        return None if ok else f"is {type(value).__name__}, expected integer or string"
    expected = schema.get("type")
    checks = {
        "object": lambda v: isinstance(v, dict),
        "array": lambda v: isinstance(v, list),
        "string": lambda v: isinstance(v, str),
        "boolean": lambda v: isinstance(v, bool),
        "integer": lambda v: isinstance(v, int) and not isinstance(v, bool),
        "number": lambda v: isinstance(v, (int, float)) and not isinstance(v, bool),
    }
    if expected is None or checks[expected](value):
        return None
    return f"is {type(value).__name__}, expected {expected}"


def problems(value: Any, schema: Schema, path: str = "$") -> list[str]:
    """Every way `value` breaks `schema`, each with its JSON path. Unknown (preview) values match anything."""
    if value == UNKNOWN:
        return []
    type_problem = _type_problem(value, schema)
    if type_problem:
        return [f"{path} {type_problem}"]
    found: list[str] = []
    if "enum" in schema and value not in schema["enum"]:
        found.append(f"{path} is {value!r}, not one of {schema['enum']}")
    found += _bound_problems(value, schema, path)
    if isinstance(value, dict):
        found += _object_problems(value, schema, path)
    if isinstance(value, list) and "items" in schema:
        for index, item in enumerate(value):
            found += problems(item, schema["items"], f"{path}[{index}]")
    found += _combinator_problems(value, schema, path)
    return found


def _bound_problems(value: Any, schema: Schema, path: str) -> list[str]:
    found: list[str] = []
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if "minimum" in schema and value < schema["minimum"]:
            found.append(f"{path} is {value}, below the minimum {schema['minimum']}")
        if "maximum" in schema and value > schema["maximum"]:
            found.append(f"{path} is {value}, above the maximum {schema['maximum']}")
    if isinstance(value, (str, list)):
        noun = "characters" if isinstance(value, str) else "items"
        if len(value) < schema.get("minLength", schema.get("minItems", 0)):
            found.append(f"{path} has {len(value)} {noun}, fewer than {schema.get('minLength', schema.get('minItems'))}")
        if len(value) > schema.get("maxLength", schema.get("maxItems", len(value))):
            found.append(f"{path} has {len(value)} {noun}, more than {schema.get('maxLength', schema.get('maxItems'))}")
    # CRD patterns are ECMA-262; the ones upstream writes (character classes, anchors) mean the same in Python.
    if isinstance(value, str) and "pattern" in schema and not re.search(schema["pattern"], value):
        found.append(f"{path} is {value!r}, not matching {schema['pattern']!r}")
    return found


def _object_problems(value: Mapping[str, Any], schema: Schema, path: str) -> list[str]:
    found = [f"{path}.{key} is required" for key in schema.get("required", ()) if key not in value]
    properties: Mapping[str, Schema] = schema.get("properties", {})
    additional = schema.get("additionalProperties")
    # Branches of oneOf/anyOf carry no type: they only constrain; the enclosing schema decides what is known.
    declares_fields = schema.get("type") == "object" and not schema.get("x-kubernetes-preserve-unknown-fields")
    for key, item in value.items():
        if key in properties:
            found += problems(item, properties[key], f"{path}.{key}")
        elif isinstance(additional, dict):
            found += problems(item, additional, f"{path}.{key}")
        elif declares_fields and additional is not True:
            found.append(f"{path}.{key} is not in the CRD (the API server would prune it)")
    return found


def _combinator_problems(value: Any, schema: Schema, path: str) -> list[str]:
    found: list[str] = []
    for branch in schema.get("allOf", ()):
        found += problems(value, branch, path)
    if "anyOf" in schema and not any(not problems(value, b, path) for b in schema["anyOf"]):
        found.append(f"{path} matches none of anyOf {_describe(schema['anyOf'])}")
    if "oneOf" in schema:
        matching = [b for b in schema["oneOf"] if not problems(value, b, path)]
        if len(matching) != 1:
            found.append(f"{path} matches {len(matching)} oneOf branches {_describe(matching)}, expected exactly 1")
    if "not" in schema and not problems(value, schema["not"], path):
        found.append(f"{path} matches the forbidden schema {_describe([schema['not']])}")
    return found


def _describe(branches: list[Schema]) -> str:
    return "; ".join(yaml.safe_dump(b, default_flow_style=True, width=10_000).strip() for b in branches)


def validate(obj: Mapping[str, Any], definitions: CustomResourceDefinitions, gvk: GroupVersionKind) -> list[str]:
    """Problems of one custom resource against its CRD. The API server keeps `apiVersion`, `kind` and `metadata`
    itself (TypeMeta and ObjectMeta), whatever the schema says of them."""
    if gvk not in definitions.schemas:
        return [f"{'/'.join(gvk[:2])} {gvk[2]} is not served by the CRDs of {definitions.source}"]
    body = {key: item for key, item in obj.items() if key not in ("apiVersion", "kind", "metadata")}
    return problems(body, definitions.schemas[gvk])


def configured(upstream: Upstream) -> tuple[Path, str] | None:
    """The location from `MESHFLEET_UPSTREAM_<MESH>`, and the tag: the pinned one unless `..._TAG` names another
    (a clone that lacks the pinned patch tag; say so when reporting results)."""
    value = os.environ.get(upstream.env_var)
    return (Path(value), os.environ.get(f"{upstream.env_var}_TAG") or upstream.tag) if value else None
