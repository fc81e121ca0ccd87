"""What a `pulumi up` writes to the clusters' `istio-system` Secrets, and what istiod makes of it.

`up(old, new)` turns the resources of a stack before and after into Kubernetes writes in the order the
Pulumi engine makes them: creates and updates in dependency order (the program's registration order is
one such order), a replaced object created anew before its old self is deleted (create-before-delete,
the default), and every delete (replaced or removed resources) after all creates and updates.

`SecretController` models istiod's remote-secret controller as pilot 1.30.3 has it
(pkg/kube/multicluster/secretcontroller.go `addRemoteConfig`/`deleteRemoteConfig`, clusterstore.go):
it watches Secrets labelled `istio/multiCluster=true` (an object losing the label leaves the watch: a
delete), registers one cluster per data key, keyed by the secret that registered it; a changed
kubeconfig swaps the client after the new one synced; a key naming a cluster another secret already
registered is ignored and not looked at again until its own secret changes. The informer lists every
labelled Secret of the namespace (NewController, secretcontroller.go:152-155: a filter on namespace and
label, no name), so a primary's clusters may be spread over several Secrets.

`ApiServer` stands for the one check of the Kubernetes API server these writes meet: a Secret whose data
values total more than 1 MiB is refused (ValidateSecret, pkg/apis/core/validation/validation.go:
`totalSize > core.MaxSecretSize`, summing the raw values), and the `pulumi up` fails there.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from components.simulation import Simulation
from tests.meshes.helpers import SECRET, cluster_of, pulumi_up

NAMESPACE = "istio-system"
LABEL = "istio/multiCluster"


@dataclass(frozen=True)
class KubeObject:
    """A Secret in a cluster's istio-system namespace, as the stack declares it."""

    urn: str
    cluster: str
    name: str
    labels: Mapping[str, str]
    data: Mapping[str, str]
    dependencies: frozenset[str] = frozenset()

    @property
    def key(self) -> tuple[str, str]:
        return (self.cluster, self.name)

    @property
    def content(self) -> tuple[dict[str, str], dict[str, str]]:
        return (dict(self.labels), dict(self.data))

    @property
    def watched(self) -> bool:
        return self.labels.get(LABEL) == "true"

    @classmethod
    def of(cls, sim: Simulation) -> list[KubeObject]:
        objects = []
        for r in sim.of_type(SECRET):
            metadata = r.inputs["metadata"]
            if metadata.get("namespace") != NAMESPACE:
                continue
            cluster = cluster_of(r)
            objects.append(
                cls(
                    r.urn,
                    cluster,
                    metadata["name"],
                    metadata.get("labels", {}),
                    r.inputs.get("stringData", {}),
                    frozenset(r.all_dependencies),
                )
            )
        return objects


@dataclass(frozen=True)
class Step:
    kind: str
    """create, update or delete"""
    object: KubeObject

    def describe(self) -> str:
        return f"{self.kind} {self.object.cluster}/{self.object.name}"


Stack = Sequence[KubeObject] | Simulation


def _objects(stack: Stack) -> Sequence[KubeObject]:
    return KubeObject.of(stack) if isinstance(stack, Simulation) else stack


def up(old: Stack, new: Stack) -> list[Step]:
    """The writes `pulumi up` makes to go from the `old` stack to the `new` one."""
    return [Step(kind, o) for kind, o in pulumi_up(_objects(old), _objects(new))]


@dataclass
class SecretController:
    """One primary's istiod, watching its own cluster's istio-system Secrets."""

    cluster: str
    secrets: dict[str, Mapping[str, str]] = field(default_factory=dict)
    """Watched secrets by name: their data."""
    store: dict[str, dict[str, str]] = field(default_factory=dict)
    """Secret name -> cluster ID -> sha of the kubeconfig it registered."""
    dropped: list[str] = field(default_factory=list)
    """Clusters unregistered (stopped) so far."""
    swapped: list[str] = field(default_factory=list)
    """Clusters whose client was rebuilt from a changed kubeconfig (make-before-break)."""
    ignored: list[str] = field(default_factory=list)
    """Keys ignored because another secret had registered that cluster."""

    def registered(self) -> set[str]:
        return {cluster for clusters in self.store.values() for cluster in clusters}

    def write(self, obj: KubeObject, deleted: bool) -> None:
        """The informer event for `obj` (a label-filtered watch), then `processItem`."""
        if deleted or not obj.watched:
            if self.secrets.pop(obj.name, None) is not None:
                self._delete_config(obj.name)
            return
        self.secrets[obj.name] = obj.data
        self._add_config(obj.name, obj.data)

    def _add_config(self, secret: str, data: Mapping[str, str]) -> None:
        existing = self.store.get(secret, {})
        for cluster in [c for c in existing if c not in data]:
            self._delete_cluster(secret, cluster)
        for cluster, kubeconfig in data.items():
            if cluster == self.cluster:
                continue  # would overwrite the config cluster
            sha = hashlib.sha256(kubeconfig.encode()).hexdigest()
            previous = self.store.get(secret, {}).get(cluster)
            if previous is not None:
                if previous == sha:
                    continue  # identical kubeconfig: skipped
                self.swapped.append(cluster)
            elif cluster in self.registered():
                self.ignored.append(cluster)  # "cluster has already been registered"
                continue
            self.store.setdefault(secret, {})[cluster] = sha

    def _delete_config(self, secret: str) -> None:
        for cluster in list(self.store.get(secret, {})):
            self._delete_cluster(secret, cluster)

    def _delete_cluster(self, secret: str, cluster: str) -> None:
        del self.store[secret][cluster]
        if not self.store[secret]:
            del self.store[secret]
        self.dropped.append(cluster)


MAX_SECRET_SIZE = 1024 * 1024
"""core.MaxSecretSize."""


class Refused(Exception):
    """The API server refused a write: the `pulumi up` stops there."""


def api_server_admits(obj: KubeObject) -> None:
    """ValidateSecret's size check: the data values, as bytes (stringData is merged into data first)."""
    total = sum(len(value.encode()) for value in obj.data.values())
    if total > MAX_SECRET_SIZE:
        raise Refused(f"Secret {obj.cluster}/{obj.name}: data: Too long: may not be more than {MAX_SECRET_SIZE} bytes ({total})")


def replay(*ups: Sequence[Step]) -> dict[str, SecretController]:
    """Every cluster's istiod after these `pulumi up`s, one after the other, from empty clusters."""
    controllers: dict[str, SecretController] = {}
    for steps in ups:
        for step in steps:
            if step.kind != "delete":
                api_server_admits(step.object)
            controller = controllers.setdefault(step.object.cluster, SecretController(step.object.cluster))
            controller.write(step.object, deleted=step.kind == "delete")
    return controllers
