"""A stack's last deployment, and what the engine plans against it.

A preview is a promise: it lists exactly what `pulumi up` will create, update, replace and delete. The
engine decides that per resource by comparing what the program registers with the stack's state
(pulumi/pulumi pkg/resource/deploy/step_generator.go: `generateSteps` asks the resource's provider to diff
the registered inputs against the old ones and issues a same, update or replace step; once the program is
done, `GenerateDeletes` plans a delete for every resource of the old state the program did not register).
This module is that comparison, small enough to read:

- `Deployment` is what a stack holds after `pulumi up`: each resource's inputs and outputs by URN, the
  stack's outputs (which the program reads back through its own stack reference), and what controllers
  wrote into the clusters (a Consul peering token, for instance), which a later run may read.
- `diff` is what the providers answer (`Diff`), for the few rules the fleet's resources meet: the
  Kubernetes provider replaces an object whose name or namespace changes (its URN carries the kind);
  pulumi-tls replaces a key or certificate when any input changes; a Kubernetes provider is replaced when the
  cluster its kubeconfig points at changes, or when that is unknown (provider.go DiffConfig at v4.32.0), and
  so are the objects it manages. Other changes are updates.
- A value a previous deployment holds encrypted (a `pulumi stack export` without `--show-secrets`) cannot be
  compared; it counts as unchanged, and the plan says how many such values it could not compare.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .recorder import Recorded

SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270"
SIG_KEY = "4dabf18193072939515e22adb298388d"
"""How the engine marks a secret value (sdk/go/common/resource/sig)."""

UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"  # the engine's unknown-value sentinel (pulumi.runtime.rpc.UNKNOWN)

CREATE, UPDATE, REPLACE, SAME, READ, DELETE = "create", "update", "replace", "same", "read", "delete"


@dataclass(frozen=True)
class Encrypted:
    """A secret as a stack export holds it without `--show-secrets`: only the secrets provider can read it."""

    ciphertext: str


@dataclass(frozen=True)
class DeployedResource:
    urn: str
    type: str
    id: str
    custom: bool
    read: bool
    """Read with `.get`, not managed: never deleted by the engine, only dropped from the state."""
    parent: str
    provider: str
    """URN of the resource's explicit provider, if any."""
    inputs: Mapping[str, Any]
    outputs: Mapping[str, Any]
    protect: bool = False
    retain_on_delete: bool = False


@dataclass
class Deployment:
    """What the stack holds after a `pulumi up`."""

    stack: str
    project: str
    resources: dict[str, DeployedResource]
    """By URN, in the order the engine made them."""
    exports: dict[str, Any]
    """The stack's outputs, as its own stack reference reads them."""
    cluster_objects: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)
    """What controllers in the clusters wrote (and the program may read), by (cluster, "namespace/name")."""
    encrypted: bool = False
    """Whether any value is held encrypted (a stack export without `--show-secrets`)."""

    @classmethod
    def after(cls, resources: list[Recorded], exports: Mapping[str, Any], cluster_objects: Mapping[tuple[str, str], Any]) -> Deployment:
        """The state a `pulumi up` that registered `resources` leaves behind."""
        first = resources[0].urn.split("::") if resources else ["urn:pulumi:stack", "project"]
        deployed = {
            r.urn: DeployedResource(
                urn=r.urn,
                type=r.type,
                id=r.id,
                custom=r.custom,
                read=r.read,
                parent=r.parent,
                provider=r.provider,
                inputs=r.inputs,
                outputs=r.outputs,
                protect=r.protect,
                retain_on_delete=r.retain_on_delete,
            )
            for r in resources
        }
        return cls(
            stack=first[0].removeprefix("urn:pulumi:"),
            project=first[1],
            resources=deployed,
            exports=dict(exports),
            cluster_objects={key: dict(value) for key, value in cluster_objects.items()},
        )


# --- what the providers answer -------------------------------------------------------------------


def changed_paths(old: Any, new: Any, path: str = "") -> Iterator[str]:
    """Property paths whose value differs (an unknown new value counts as a change, as the engine shows it)."""
    if isinstance(old, Encrypted):
        return
    if new == UNKNOWN:
        yield path or "."
        return
    if isinstance(old, Mapping) and isinstance(new, Mapping):
        for key in sorted(set(old) | set(new), key=str):
            yield from changed_paths(old.get(key), new.get(key), f"{path}.{key}" if path else str(key))
        return
    if isinstance(old, list) and isinstance(new, list) and len(old) == len(new):
        for index, (a, b) in enumerate(zip(old, new, strict=True)):
            yield from changed_paths(a, b, f"{path}[{index}]")
        return
    if old != new:
        yield path or "."


def encrypted_count(value: Any) -> int:
    if isinstance(value, Encrypted):
        return 1
    if isinstance(value, Mapping):
        return sum(encrypted_count(v) for v in value.values())
    if isinstance(value, list):
        return sum(encrypted_count(v) for v in value)
    return 0


REPLACING_KUBERNETES_PATHS = ("metadata.name", "metadata.namespace")


def diff(type_: str, old: Mapping[str, Any], new: Mapping[str, Any]) -> tuple[str, list[str]]:
    """The step the engine takes for a resource it holds (`old` inputs) that the program registers with
    `new` inputs, and the changed paths."""
    paths = sorted(set(changed_paths(dict(old), dict(new))))
    if not paths:
        return SAME, []
    if type_.startswith("tls:"):
        return REPLACE, paths
    if type_ == "pulumi:providers:kubernetes":
        return (REPLACE if _cluster_changes(old, new) else UPDATE), paths
    if type_.startswith("kubernetes:") and any(p in REPLACING_KUBERNETES_PATHS for p in paths):
        return REPLACE, paths
    return UPDATE, paths


def _cluster_changes(old: Mapping[str, Any], new: Mapping[str, Any]) -> bool:
    """DiffConfig: a computed kubeconfig replaces the provider; otherwise a change of the active cluster does."""
    kubeconfig = new.get("kubeconfig")
    if kubeconfig == UNKNOWN or (isinstance(kubeconfig, str) and UNKNOWN in kubeconfig):
        return True
    return _active_cluster(old.get("kubeconfig"), old.get("context")) != _active_cluster(kubeconfig, new.get("context"))


def _active_cluster(kubeconfig: Any, context: Any) -> Any:
    if isinstance(kubeconfig, Encrypted):
        return None  # not comparable: counts as unchanged
    try:
        config = json.loads(kubeconfig) if isinstance(kubeconfig, str) else kubeconfig
    except json.JSONDecodeError:
        import yaml

        config = yaml.safe_load(kubeconfig)
    if not isinstance(config, Mapping):
        return kubeconfig
    current = context or config.get("current-context")
    contexts = {c.get("name"): c.get("context", {}) for c in config.get("contexts") or []}
    cluster = (contexts.get(current) or {}).get("cluster")
    clusters = {c.get("name"): c.get("cluster") for c in config.get("clusters") or []}
    return clusters.get(cluster)


# --- reading a `pulumi stack export` ---------------------------------------------------------------


class StateFileError(ValueError):
    """A state file that is not a stack export of this project and stack."""


def _from_export(value: Any) -> Any:
    """A value of an export: a secret's plaintext (`--show-secrets`) or an `Encrypted` stand-in."""
    if isinstance(value, Mapping):
        if value.get(SIG_KEY) == SECRET_SIG:
            if "plaintext" in value:
                return _from_export(json.loads(value["plaintext"]))
            if "value" in value:
                return _from_export(value["value"])
            return Encrypted(str(value.get("ciphertext", "")))
        return {k: _from_export(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_from_export(v) for v in value]
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def read_stack_export(path: Path, *, project: str, stack: str) -> Deployment:
    """The deployment a `pulumi stack export` file holds; a StateFileError for anything else."""
    try:
        document = json.loads(path.read_text())
    except OSError as error:
        raise StateFileError(f"{path}: cannot be read ({error.strerror})") from None
    except json.JSONDecodeError as error:
        raise StateFileError(
            f"{path}:{error.lineno}:{error.colno}: not valid JSON ({error.msg}); give the output of `pulumi stack export`"
        ) from None
    deployment = document.get("deployment") if isinstance(document, dict) else None
    if not isinstance(deployment, dict) or document.get("version") != 3:
        raise StateFileError(
            f"{path}: not a `pulumi stack export` file (version 3 with a 'deployment'); give the output of `pulumi stack export`"
        )
    entries = deployment.get("resources") or []
    if not isinstance(entries, list) or not all(isinstance(e, dict) and "urn" in e and "type" in e for e in entries):
        raise StateFileError(f"{path}: its 'deployment.resources' is not a list of resources with 'urn' and 'type'")
    resources: dict[str, DeployedResource] = {}
    exports: dict[str, Any] = {}
    for entry in entries:
        parts = str(entry["urn"]).split("::")
        if len(parts) != 4:
            raise StateFileError(f"{path}: {entry['urn']!r} is not a Pulumi URN")
        found_stack, found_project = parts[0].removeprefix("urn:pulumi:"), parts[1]
        if found_project != project:
            raise StateFileError(f"{path} is the state of project {found_project!r}, not {project!r}; export the meshfleet stack")
        if found_stack != stack:
            raise StateFileError(
                f"{path} is the state of stack {found_stack!r}, not {stack!r}; pass --stack {found_stack} or export stack {stack!r}"
            )
        if entry["type"] == "pulumi:pulumi:Stack":
            exports = _from_export(entry.get("outputs") or {})
            continue
        if entry.get("delete") or entry.get("pendingReplacement"):
            continue  # a resource the engine still has to delete: not part of what the program manages
        provider = str(entry.get("provider") or "")
        resources[entry["urn"]] = DeployedResource(
            urn=entry["urn"],
            type=entry["type"],
            id=str(entry.get("id") or ""),
            custom=bool(entry.get("custom")),
            read=bool(entry.get("external")),
            parent=str(entry.get("parent") or ""),
            provider=provider.rsplit("::", 1)[0] if provider else "",
            inputs=_from_export(entry.get("inputs") or {}),
            outputs=_from_export(entry.get("outputs") or {}),
            protect=bool(entry.get("protect")),
            retain_on_delete=bool(entry.get("retainOnDelete")),
        )
    encrypted = any(encrypted_count(r.outputs) for r in resources.values())
    return Deployment(stack=stack, project=project, resources=resources, exports=exports, encrypted=encrypted)
