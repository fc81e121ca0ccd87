"""What the Kubernetes provider registers for a `kubernetes:yaml/v2:ConfigGroup` of objects.

The group is a remote component: under the engine the provider's Construct registers its objects, so a
program run with mocks would see none of them. The recorder registers them as the provider does
(pulumi-kubernetes provider/pkg/provider/yaml/v2, configgroup.go Construct and yaml.go Register/register):

- nothing while any input is unknown (the provider's apply waits for every input; a preview warns), nor
  while the provider's own config is unknown;
- each object as a resource of the type its apiVersion and kind name (`v1` is the `core` group), named
  `<resourcePrefix>:<namespace>/<name>`, the prefix defaulting to the group's name;
- a Secret's `data` and `stringData` as secrets;
- dependencies from `config.kubernetes.io/depends-on` on objects of the same group.

Only `objs` is read: meshfleet itself makes no group, and the groups its tests build hold objects, never files or YAML text.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from pulumi.runtime.rpc import UNKNOWN

if TYPE_CHECKING:
    from .recorder import Recorded

TYPE = "kubernetes:yaml/v2:ConfigGroup"
DEPENDS_ON = "config.kubernetes.io/depends-on"
SECRET_FIELDS = ("data", "stringData")


@dataclass(frozen=True)
class Child:
    type: str
    name: str
    inputs: dict[str, Any]
    secret_paths: frozenset[tuple[str | int, ...]]
    depends_on: tuple[tuple[str, str], ...]
    """(type, name) of the group's objects this one waits for."""


def objects_by_group(resources: Sequence[Recorded]) -> dict[str, list[str]]:
    """Every group's URN with the URNs of the objects registered for it (none while its inputs are unknown)."""
    groups: dict[str, list[str]] = {r.urn: [] for r in resources if r.type == TYPE}
    for r in resources:
        if r.parent in groups:
            groups[r.parent].append(r.urn)
    return groups


def _known(value: Any) -> bool:
    if isinstance(value, dict):
        return all(_known(v) for v in value.values())
    if isinstance(value, list):
        return all(_known(v) for v in value)
    return value != UNKNOWN


def type_token(api_version: str, kind: str) -> str:
    group, _, version = api_version.rpartition("/")
    return f"kubernetes:{group or 'core'}/{version}:{kind}"


def _key(api_version: str, kind: str, namespace: str, name: str) -> tuple[str, str, str, str]:
    return api_version.rpartition("/")[0], kind, namespace, name


def _parse_ref(ref: str) -> tuple[str, str, str, str]:
    """`<group>/namespaces/<namespace>/<kind>/<name>` or `<group>/<kind>/<name>` (cluster-scoped)."""
    parts = ref.split("/")
    if len(parts) == 5 and parts[1] == "namespaces":
        return parts[0], parts[3], parts[2], parts[4]
    if len(parts) == 3:
        return parts[0], parts[1], "", parts[2]
    raise ValueError(f"{DEPENDS_ON}: {ref!r} is not an object reference")


def provider_is_configured(provider: Recorded | None) -> bool:
    """Whether the group's provider can run its Construct: not while its own config is unknown (a new cluster's
    kubeconfig in a preview), when the provider cannot reach any cluster (provider_construct.go)."""
    return provider is None or _known(provider.inputs)


def children(group_name: str, inputs: dict[str, Any]) -> Iterator[Child]:
    """The group's objects as the provider registers them, or none while any input is unknown."""
    if not _known(inputs):
        return
    prefix = inputs.get("resourcePrefix") or group_name
    objs: list[dict[str, Any]] = inputs.get("objs") or []
    named: dict[tuple[str, str, str, str], tuple[str, str]] = {}
    for obj in objs:
        metadata = obj.get("metadata") or {}
        namespace, name = metadata.get("namespace", ""), metadata["name"]
        named[_key(obj["apiVersion"], obj["kind"], namespace, name)] = (
            type_token(obj["apiVersion"], obj["kind"]),
            f"{prefix}:{namespace}/{name}" if namespace else f"{prefix}:{name}",
        )
    pending = [_child(obj, named) for obj in objs]
    # In dependency order, as the provider registers them (the order of `objs` among equals).
    done: set[tuple[str, str]] = set()
    while pending:
        ready = [c for c in pending if set(c.depends_on) <= done]
        if not ready:
            raise ValueError(f"{DEPENDS_ON}: the objects of {group_name} wait for each other")
        yield from ready
        done.update((c.type, c.name) for c in ready)
        pending = [c for c in pending if (c.type, c.name) not in done]


def _child(obj: dict[str, Any], named: dict[tuple[str, str, str, str], tuple[str, str]]) -> Child:
    metadata = obj.get("metadata") or {}
    refs = str((metadata.get("annotations") or {}).get(DEPENDS_ON, ""))
    type_, name = named[_key(obj["apiVersion"], obj["kind"], metadata.get("namespace", ""), metadata["name"])]
    secret = obj["apiVersion"] == "v1" and obj["kind"] == "Secret"
    return Child(
        type=type_,
        name=name,
        inputs=obj,
        secret_paths=frozenset((key,) for key in SECRET_FIELDS if secret and key in obj),
        depends_on=tuple(_dependency(named, ref) for ref in refs.split(",") if ref),
    )


def _dependency(named: dict[tuple[str, str, str, str], tuple[str, str]], ref: str) -> tuple[str, str]:
    if _parse_ref(ref) not in named:
        # The provider ignores it (yaml.go Register): an order meshfleet relies on would silently not hold.
        raise ValueError(f"{DEPENDS_ON}: {ref!r} is not in the group; the provider orders objects within one group only")
    return named[_parse_ref(ref)]
