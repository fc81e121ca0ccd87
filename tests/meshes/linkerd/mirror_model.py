"""What a `pulumi up` writes to the Linkerd clusters, and which credentials Linkerd's readers then hold.

`up(old, new)` turns the objects of a stack before and after into the Kubernetes writes `pulumi up` makes,
in the engine's order (tests/meshes/helpers.py `pulumi_up`); `engine_up(old, new)` reads the same writes off
the steps the simulation's engine model planned for a run with `previous=old.deployment()`
(components/simulation/state.py), so the two can be checked against each other.

`Cluster` models what reads link credentials in one cluster, as linkerd2 edge-26.8.3 has it:
- a service mirror per Link (`controller-<target>`): it watches no Secret; it reads
  `cluster-credentials-<target>` when its Link appears or the Link's *spec* changes (a metadata-only or
  status change is ignored: multicluster/service-mirror/link_handlers.go:38; the reload:
  multicluster/cmd/service-mirror/main.go:196-203), and when its pod restarts;
- the destination controller's cluster store: a labelled `mirror.linkerd.io/remote-kubeconfig` Secret in
  `linkerd` added registers its cluster, deleted drops it, updated changes nothing
  (controller/api/destination/watcher/cluster_store.go:113-165); a restart reads every such Secret again;
- a Deployment restarts when its pod template changes: a DeploymentPatch written with other annotations,
  or deleted, which gives up the annotations it set (pulumi-kubernetes: deleting a Patch resource undoes
  its changes).
A token is valid from its token Secret's creation until its deletion; a reader holding a revoked token has
lost its peer (`broken`).
"""

from __future__ import annotations

import base64
import ipaddress
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import yaml

from components.simulation import Recorded, Simulation
from tests.meshes.helpers import SECRET, cluster_of, pulumi_up

LINK = "kubernetes:multicluster.linkerd.io/v1alpha3:Link"
PATCH = "kubernetes:apps/v1:DeploymentPatch"
MIRROR_SECRET = "mirror.linkerd.io/remote-kubeconfig"
TOKEN_SECRET = "kubernetes.io/service-account-token"
CLUSTER_LABEL = "multicluster.linkerd.io/cluster-name"


@dataclass(frozen=True)
class KubeObject:
    urn: str
    cluster: str
    kind: str
    """Secret, Link or DeploymentPatch"""
    namespace: str
    name: str
    labels: Mapping[str, str]
    content: str
    """What the stack writes besides the name (JSON): an update is a change of it."""
    secret_type: str | None = None
    token: str | None = None
    """A token Secret's token, or the token in a credentials Secret's kubeconfig."""
    spec: Mapping[str, Any] = field(default_factory=dict)
    """A Link's spec; a patch's pod-template annotations."""

    @property
    def key(self) -> tuple[str, str, str, str]:
        return (self.cluster, self.kind, self.namespace, self.name)

    @classmethod
    def of(cls, r: Recorded) -> KubeObject:
        metadata = r.inputs["metadata"]
        cluster = cluster_of(r)
        kind = r.type.rsplit(":", 1)[1]
        token = None
        spec: Mapping[str, Any] = {}
        if r.type == SECRET and r.inputs.get("type") == TOKEN_SECRET:
            token = base64.b64decode(r.outputs["data"]["token"]).decode()
        elif r.type == SECRET:
            token = yaml.safe_load(r.inputs["stringData"]["kubeconfig"])["users"][0]["user"]["token"]
        elif r.type == LINK:
            spec = r.inputs["spec"]
        else:
            spec = r.inputs["spec"]["template"]["metadata"]["annotations"]
        content = json.dumps([r.inputs.get("type"), metadata, token, spec], sort_keys=True)
        labels = metadata.get("labels", {})
        return cls(r.urn, cluster, kind, metadata["namespace"], metadata["name"], labels, content, r.inputs.get("type"), token, spec)


def objects(sim: Simulation) -> list[KubeObject]:
    """The stack's token and credentials Secrets, Links and patches, in registration order."""
    return [
        KubeObject.of(r)
        for r in sim.kubernetes()
        if r.type in (LINK, PATCH) or (r.type == SECRET and r.inputs.get("type") in (MIRROR_SECRET, TOKEN_SECRET))
    ]


Step = tuple[str, KubeObject]
"""create, update or delete; the object written."""
Stack = Sequence[KubeObject] | Simulation


def describe(step: Step) -> str:
    kind, o = step
    return f"{kind} {o.cluster}/{o.kind}/{o.namespace}/{o.name}"


def up(old: Stack, new: Stack) -> list[Step]:
    """The writes `pulumi up` makes to go from the `old` stack to the `new` one."""
    return pulumi_up(_objects(old), _objects(new))


def engine_up(old: Simulation, new: Simulation) -> list[Step]:
    """The writes of the steps the simulation planned for `new`, a run with `previous=old.deployment()`: creates
    and updates in registration order, a replaced object created anew and its old self deleted, and every
    delete after all creates and updates."""
    before = {o.urn: o for o in objects(old)}
    steps = new.steps()
    writes: list[Step] = []
    deletes: list[Step] = []
    for o in objects(new):
        step = steps[o.urn]
        if step in ("create", "update"):
            writes.append((step, o))
        elif step == "replace":
            writes.append(("create", o))
            deletes.append(("delete", before[o.urn]))
    deletes += [("delete", o) for urn, o in before.items() if steps.get(urn) == "delete"]
    return writes + deletes


def _objects(stack: Stack) -> Sequence[KubeObject]:
    return objects(stack) if isinstance(stack, Simulation) else stack


@dataclass
class Cluster:
    """One cluster's objects and the readers of link credentials in it."""

    name: str
    objects: dict[tuple[str, str, str, str], KubeObject] = field(default_factory=dict)
    mirrors: dict[str, str | None] = field(default_factory=dict)
    """Link (target) name -> the token its service mirror's cluster watcher runs with."""
    destination: dict[str, str | None] = field(default_factory=dict)
    """Target -> the token the destination controller's cluster store reads it with."""
    reloads: list[str] = field(default_factory=list)
    """Why each service mirror re-read its credentials: `link <target>` or `restart controller-<target>`."""
    restarts: list[str] = field(default_factory=list)
    """Deployments rolled, in order."""
    dropped: list[str] = field(default_factory=list)
    """Targets the destination controller unregistered: a gap in remote discovery."""

    def _credentials(self, namespace: str, target: str) -> str | None:
        secret = self.objects.get((self.name, "Secret", namespace, f"cluster-credentials-{target}"))
        return secret.token if secret is not None else None

    def _mirror_reads(self, target: str, why: str) -> None:
        self.mirrors[target] = self._credentials("linkerd-multicluster", target)
        self.reloads.append(f"{why} {target}")

    def _restart(self, deployment: str) -> None:
        self.restarts.append(deployment)
        if deployment == "linkerd-destination":
            self.destination = {
                o.labels[CLUSTER_LABEL]: o.token
                for o in self.objects.values()
                if o.kind == "Secret" and o.namespace == "linkerd" and CLUSTER_LABEL in o.labels
            }
        elif deployment.startswith("controller-") and deployment.removeprefix("controller-") in self.mirrors:
            self._mirror_reads(deployment.removeprefix("controller-"), "restart")

    def write(self, step: Step) -> None:
        kind, o = step
        before = self.objects.get(o.key)
        if kind == "delete":
            if before is not None and before.urn == o.urn:
                del self.objects[o.key]
        else:
            self.objects[o.key] = o
        if o.kind == "Link":
            if kind == "delete":
                self.mirrors.pop(o.name, None)
            elif before is None or before.spec != o.spec:
                self._mirror_reads(o.name, "link")
        elif o.kind == "DeploymentPatch":
            template = {} if kind == "delete" else o.spec
            if template != (before.spec if before is not None else {}):
                self._restart(o.name)
        elif o.kind == "Secret" and o.namespace == "linkerd" and CLUSTER_LABEL in o.labels:
            target = o.labels[CLUSTER_LABEL]
            if kind == "delete":
                self.destination.pop(target, None)
                self.dropped.append(target)
            elif before is None:
                self.destination[target] = o.token


@dataclass
class Fleet:
    clusters: dict[str, Cluster] = field(default_factory=dict)
    valid: set[str] = field(default_factory=set)
    """Tokens whose token Secret exists."""
    broken: list[str] = field(default_factory=list)
    """`<cluster>: <reader> -> <target>` for each reader that held a token when it was revoked."""

    def write(self, step: Step) -> None:
        kind, o = step
        self.clusters.setdefault(o.cluster, Cluster(o.cluster)).write(step)
        if o.secret_type == TOKEN_SECRET and o.token is not None:
            self._token(o.token, kind)

    def _token(self, token: str, kind: str) -> None:
        if kind != "delete":
            self.valid.add(token)
            return
        self.valid.discard(token)
        for cluster in self.clusters.values():
            for reader, held in (("controller", cluster.mirrors), ("destination", cluster.destination)):
                self.broken += [f"{cluster.name}: {reader} -> {t}" for t, used in held.items() if used == token]

    def apply(self, steps: Sequence[Step]) -> None:
        for step in steps:
            self.write(step)

    def forget_history(self) -> None:
        """Clear the logs (reloads, restarts, drops), to look at the next `pulumi up` alone."""
        for cluster in self.clusters.values():
            cluster.reloads.clear()
            cluster.restarts.clear()
            cluster.dropped.clear()


def replay(*ups: Sequence[Step]) -> Fleet:
    """The fleet after these `pulumi up`s, one after the other, from empty clusters."""
    fleet = Fleet()
    for steps in ups:
        fleet.apply(steps)
    return fleet


# --- unlink: what a removed target leaves behind in each source ----------------------------------------
#
# While linked, `controller-<target>` (its cluster watcher) writes in the source, for each exported Service of
# the target, a Service and its Endpoints `<name>-<target>`, both labelled `mirror.linkerd.io/mirrored-service:
# "true"` and `mirror.linkerd.io/cluster-name: <target>` (multicluster/service-mirror/cluster_watcher.go, the
# labels its cleanupMirroredResources selects by, :501-549), and holds the Lease `service-mirror-write-<target>`
# in `linkerd-multicluster` (multicluster/cmd/service-mirror/main.go:225). When the Link is deleted it stops its
# watcher with `Stop(false)`, which removes nothing (main.go:210-213, 296-301: "the `unlink` command will take
# care of that"); when its Deployment goes (the chart's `controllers` lose the target) nothing runs at all.

MIRRORED_LABEL = "mirror.linkerd.io/mirrored-service"
REMOTE_CLUSTER_LABEL = "mirror.linkerd.io/cluster-name"  # pkg/k8s/labels.go:462, 473 (not the destination's label)


@dataclass
class MirrorState:
    """The service mirror's own objects in one source cluster: (kind, namespace, name) -> labels."""

    cluster: str
    objects: dict[tuple[str, str, str], dict[str, str]] = field(default_factory=dict)

    def mirror(self, target: str, exported: Sequence[tuple[str, str]]) -> None:
        labels = {MIRRORED_LABEL: "true", REMOTE_CLUSTER_LABEL: target}
        for namespace, name in exported:
            for kind in ("Service", "Endpoints"):
                self.objects[(kind, namespace, f"{name}-{target}")] = dict(labels)
        self.objects[("Lease", "linkerd-multicluster", f"service-mirror-write-{target}")] = {}

    def link_deleted(self, target: str) -> None:
        """`Stop(false)`: the mirrors, their Endpoints and the Lease stay."""

    def of(self, target: str) -> list[tuple[str, str, str]]:
        """What is left for `target`: objects labelled with it, and its Lease."""
        return sorted(
            key
            for key, labels in self.objects.items()
            if labels.get(REMOTE_CLUSTER_LABEL) == target or key == ("Lease", "linkerd-multicluster", f"service-mirror-write-{target}")
        )

    def kubectl_delete(self, kinds: Sequence[str], namespace: str | None, selector: Mapping[str, str], names: Sequence[str]) -> None:
        """`kubectl delete <kinds> [-n ns | --all-namespaces] [-l selector] [names]`: by name, or by selector."""
        for key, labels in list(self.objects.items()):
            kind, ns, name = key
            if kind not in kinds or (namespace is not None and ns != namespace):
                continue
            if (names and name in names) or (selector and selector.items() <= labels.items()):
                del self.objects[key]


def gateway_endpoints(link_spec: Mapping[str, Any], resolve: Mapping[str, Sequence[str]] | None = None) -> list[str]:
    """The gateway endpoints a service mirror makes from its Link (resolveGatewayAddress,
    multicluster/service-mirror/cluster_watcher.go:1538-1565 at edge-26.8.3): `gatewayAddress` split on commas,
    each entry looked up (an IP is itself; a hostname as `resolve` says, an unknown one skipped with a warning),
    the IPs sorted; none at all is a retryable error."""
    endpoints: list[str] = []
    for address in str(link_spec["gatewayAddress"]).split(","):
        endpoints.extend((resolve or {}).get(address, [address] if _is_ip(address) else []))
    if not endpoints:
        raise RuntimeError(f"no gateway endpoint resolves from {link_spec['gatewayAddress']!r}")
    return sorted(endpoints)


def _is_ip(address: str) -> bool:
    try:
        ipaddress.ip_address(address)
    except ValueError:
        return False
    return True
