"""What consul-k8s v2.0.3's controllers and Consul do with the fleet's peering objects, and what `pulumi up` sees.

Written from hashicorp/consul-k8s at tag v2.0.3, `control-plane/`:

- `connect-inject/controllers/peering/peering_acceptor_controller.go` `Reconcile` (lines 78-215): the token
  Secret named in the spec is read (:134); a peering Consul does not know gets a token, the Secret is written
  and the status updated (:150-175); for a known peering `shouldGenerateToken` (:219-248) decides: with a
  status secret ref, a changed name or key, or a `consul.hashicorp.com/peering-version` annotation above
  `status.latestPeeringVersion`; without one (the status was never written) only a missing Secret. Then a
  new token, the Secret, the stale Secret deleted on a name change (:200-207) and the status (:209-211).
  `updateStatus` (:251-277) sets the secret ref, `Synced` True and raises (never lowers) the version; a
  failed status write returns the error (the request is retried, :173-174). The Secret watch maps a token
  Secret only to an acceptor whose *status* names it (`requestsForPeeringTokens`, :378-395).
- `peering_dialer_controller.go` `Reconcile` (lines 53-205): no spec Secret, `Synced` False (:113-117); no
  status Secret, establish and update the status (:137-148); a peering Consul lost, the same (:162-172); a
  spec Secret whose name, key, backend or resourceVersion differs from the status, establish again
  (`specStatusSecretsDifferent` :176-186, :207-218); a version annotation above the status version, establish
  again with the same Secret (:188-197, `versionAnnotationUpdated` :305-316). A failed establish sets
  `Synced` False with the error (`updateStatusError` :248-254) and is retried. `updateStatus` (:220-246)
  records the Secret's resourceVersion. The Secret watch wakes the first dialer whose spec names it (:323-340).
- `controllers/configentries/configentry_controller.go`: a config entry (the `Mesh`) is written to Consul, then
  `Synced` True (`syncSuccessful`, :261-268, :414-416).

Consul itself (hashicorp/consul, as docs/consul.md cites it; not re-read here): a token carries the
acceptor's server addresses, its mesh gateway's when the `Mesh` entry says `peerThroughMeshGateways`, else
the servers' pod addresses, which no other cluster reaches; a token's establishment secret is spent at its
first exchange, and a second `Establish` with it is refused ("peering was already established").

Scheduling: the controllers and the config-entry controller have queues of their own, and run beside
`pulumi up`. The model runs two schedules the real system allows: `lazy`, where queued work runs only while
`pulumi up` awaits a resource (`pulumi.com/waitFor`) and at its end, peering controllers before config entries;
and `eager`, where every write is reconciled before Pulumi's next one. The program must peer under both. A
resource without a wait is done for Pulumi as soon as it is written; one whose wait failed is awaited again
by the next `pulumi up` (the engine retries a resource with initialization errors). Failures are retried a
bounded number of times.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from components.meshes.consul import values
from components.simulation import Recorded, Simulation

ACCEPTOR, DIALER, MESH, SECRET = "PeeringAcceptor", "PeeringDialer", "Mesh", "Secret"
RETRIES = 5


@dataclass
class Obj:
    kind: str
    name: str
    annotations: dict[str, str] = field(default_factory=dict)
    spec: dict[str, Any] = field(default_factory=dict)
    status: dict[str, Any] = field(default_factory=dict)
    data: dict[str, str] = field(default_factory=dict)
    resource_version: int = 1

    def synced(self) -> bool:
        return any(c["type"] == "Synced" and c["status"] == "True" for c in self.status.get("conditions", []))

    def secret_name(self) -> str:
        return str(self.spec["peer"]["secret"]["name"])


@dataclass
class Token:
    acceptor: str
    peer: str
    through_gateways: bool
    spent: bool = False


@dataclass
class Datacenter:
    """One cluster: its Kubernetes objects (namespace `consul`) and its Consul peerings."""

    name: str
    objects: dict[tuple[str, str], Obj] = field(default_factory=dict)
    mesh_entry: dict[str, Any] | None = None
    peerings: dict[str, str] = field(default_factory=dict)
    """Peer name -> PENDING (a token was generated), ACTIVE, or FAILING."""
    establishments: list[str] = field(default_factory=list)
    """Every Establish call of this cluster's dialers, by peer, successful or not."""


class StatusWriteFailed(Exception):
    pass


class UpFailed(Exception):
    def __init__(self, resource: str, reason: str) -> None:
        super().__init__(f"{resource}: {reason}")
        self.resource = resource


@dataclass
class World:
    clusters: dict[str, Datacenter]
    tokens: dict[str, Token] = field(default_factory=dict)
    queue: list[tuple[str, str, str]] = field(default_factory=list)
    """(controller, cluster, object name) to reconcile."""
    fail_status_writes: set[tuple[str, str]] = field(default_factory=set)
    """(cluster, acceptor name) whose next status write fails (a conflict, the API server unavailable)."""
    init_errors: set[str] = field(default_factory=set)
    """Resources whose await failed: the next `pulumi up` updates and awaits them again."""

    @classmethod
    def of(cls, names: Iterable[str]) -> World:
        return cls({name: Datacenter(name) for name in names})

    # --- the API server ---------------------------------------------------------------------------------

    def get(self, cluster: str, kind: str, name: str) -> Obj | None:
        return self.clusters[cluster].objects.get((kind, name))

    def write(self, cluster: str, obj: Obj) -> bool:
        """Create or update; True if the object changed. Watches enqueue their controllers."""
        store = self.clusters[cluster].objects
        old = store.get((obj.kind, obj.name))
        if old is not None and (old.annotations, old.spec, old.data) == (obj.annotations, obj.spec, obj.data):
            return False
        obj.status = old.status if old else {}
        obj.resource_version = (old.resource_version + 1) if old else 1
        store[(obj.kind, obj.name)] = obj
        self._watch(cluster, obj)
        return True

    def delete(self, cluster: str, kind: str, name: str) -> None:
        self.clusters[cluster].objects.pop((kind, name), None)

    def _watch(self, cluster: str, obj: Obj) -> None:
        if obj.kind in (ACCEPTOR, DIALER):
            self.queue.append((obj.kind, cluster, obj.name))
        elif obj.kind == MESH:
            self.queue.append((MESH, cluster, obj.name))
        elif obj.kind == SECRET:
            objects = self.clusters[cluster].objects.values()
            for acceptor in (o for o in objects if o.kind == ACCEPTOR):
                if acceptor.status.get("secret", {}).get("name") == obj.name:  # the status's Secret (:388-389)
                    self.queue.append((ACCEPTOR, cluster, acceptor.name))
                    break
            for dialer in (o for o in objects if o.kind == DIALER):
                if dialer.secret_name() == obj.name:  # the first dialer whose spec names it (:334-335)
                    self.queue.append((DIALER, cluster, dialer.name))
                    break

    # --- the controllers ----------------------------------------------------------------------------------

    def drain(self) -> None:
        """Run queued work, peering controllers first; a failed reconcile is requeued, up to RETRIES times."""
        attempts: dict[tuple[str, str, str], int] = {}
        for _ in range(10_000):  # bounded: every path below ends or is retried at most RETRIES times
            if not self.queue:
                return
            pending = sorted(self.queue, key=lambda item: item[0] == MESH)
            item = pending[0]
            self.queue.remove(item)
            try:
                {ACCEPTOR: self._acceptor, DIALER: self._dialer, MESH: self._mesh}[item[0]](item[1], item[2])
            except (StatusWriteFailed, RuntimeError):
                attempts[item] = attempts.get(item, 0) + 1
                if attempts[item] < RETRIES:
                    self.queue.append(item)

    def _mesh(self, cluster: str, name: str) -> None:
        entry = self.get(cluster, MESH, name)
        if entry is not None:
            self.clusters[cluster].mesh_entry = entry.spec
            entry.status = {"conditions": [{"type": "Synced", "status": "True"}]}

    def _status(self, cluster: str, obj: Obj, status: dict[str, Any]) -> None:
        if (cluster, obj.name) in self.fail_status_writes and obj.kind == ACCEPTOR:
            self.fail_status_writes.discard((cluster, obj.name))
            raise StatusWriteFailed(obj.name)
        obj.status = status
        obj.resource_version += 1
        self._watch(cluster, obj)

    def _acceptor(self, cluster: str, name: str) -> None:
        acceptor = self.get(cluster, ACCEPTOR, name)
        if acceptor is None:
            return
        dc = self.clusters[cluster]
        existing = self.get(cluster, SECRET, acceptor.secret_name())
        if name not in dc.peerings:  # :150-175
            if "secret" in acceptor.status:
                self.delete(cluster, SECRET, acceptor.status["secret"]["name"])
            self._generate(cluster, acceptor)
            self._acceptor_status(cluster, acceptor)
            return
        generate, name_changed = should_generate_token(acceptor, existing)
        if generate:  # :188-212
            self._generate(cluster, acceptor)
            if name_changed:
                self.delete(cluster, SECRET, acceptor.status["secret"]["name"])
            self._acceptor_status(cluster, acceptor)

    def _generate(self, cluster: str, acceptor: Obj) -> None:
        dc = self.clusters[cluster]
        through = bool((dc.mesh_entry or {}).get("peering", {}).get("peerThroughMeshGateways"))
        secret = f"{cluster}/{acceptor.name}/{len(self.tokens)}"
        self.tokens[secret] = Token(cluster, acceptor.name, through)
        dc.peerings.setdefault(acceptor.name, "PENDING")
        name = acceptor.secret_name()
        self.write(cluster, Obj(SECRET, name, data={values.PEERING_TOKEN_KEY: secret}))

    def _acceptor_status(self, cluster: str, acceptor: Obj) -> None:
        status = dict(acceptor.status)
        status["secret"] = dict(acceptor.spec["peer"]["secret"])
        status["conditions"] = [{"type": "Synced", "status": "True"}]
        version = acceptor.annotations.get(values.PEERING_VERSION_ANNOTATION)
        if version is not None and int(version) > status.get("latestPeeringVersion", 0):
            status["latestPeeringVersion"] = int(version)  # raised, never lowered (:268-270)
        self._status(cluster, acceptor, status)

    def _dialer(self, cluster: str, name: str) -> None:
        dialer = self.get(cluster, DIALER, name)
        if dialer is None:
            return
        spec_secret = self.get(cluster, SECRET, dialer.secret_name())
        if spec_secret is None:  # :113-117
            dialer.status = {**dialer.status, "conditions": [{"type": "Synced", "status": "False"}]}
            raise RuntimeError("PeeringDialer spec.peer.secret does not exist")
        ref = dialer.status.get("secret")
        status_secret = self.get(cluster, SECRET, ref["name"]) if ref else None
        dc = self.clusters[cluster]
        if (
            status_secret is None
            or name not in dc.peerings
            or ref != {**dialer.spec["peer"]["secret"], "resourceVersion": spec_secret.resource_version}
            or version_annotation_updated(dialer)
        ):  # :137-148, :162-172
            self._establish(cluster, dialer, spec_secret)

    def _establish(self, cluster: str, dialer: Obj, secret: Obj) -> None:
        dc = self.clusters[cluster]
        dc.establishments.append(dialer.name)
        token = self.tokens.get(secret.data.get(values.PEERING_TOKEN_KEY, ""))
        problem = None
        if token is None:
            problem = "invalid peering token"
        elif not token.through_gateways:
            problem = "the token's server addresses are the acceptor's pods, which this cluster cannot reach"
        elif token.spent:
            problem = "invalid establishment secret: peering was already established"
        if problem is not None:
            dialer.status = {**dialer.status, "conditions": [{"type": "Synced", "status": "False", "message": problem}]}
            raise RuntimeError(problem)
        assert token is not None
        token.spent = True
        dc.peerings[dialer.name] = "ACTIVE"
        self.clusters[token.acceptor].peerings[token.peer] = "ACTIVE"
        status = {**dialer.status, "conditions": [{"type": "Synced", "status": "True"}]}
        status["secret"] = {**dialer.spec["peer"]["secret"], "resourceVersion": secret.resource_version}
        version = dialer.annotations.get(values.PEERING_VERSION_ANNOTATION)
        if version is not None and int(version) > status.get("latestPeeringVersion", 0):
            status["latestPeeringVersion"] = int(version)
        dialer.status = status
        dialer.resource_version += 1


def should_generate_token(acceptor: Obj, existing: Obj | None) -> tuple[bool, bool]:
    """peering_acceptor_controller.go:219-248: (generate, the Secret's name changed)."""
    ref = acceptor.status.get("secret")
    if ref is not None:
        if ref["name"] != acceptor.secret_name():
            return True, True
        if ref["key"] != acceptor.spec["peer"]["secret"]["key"]:
            return True, False
        version = acceptor.annotations.get(values.PEERING_VERSION_ANNOTATION)
        if version is not None and acceptor.status.get("latestPeeringVersion", 0) < int(version):
            return True, False
    return existing is None, False


def version_annotation_updated(dialer: Obj) -> bool:
    version = dialer.annotations.get(values.PEERING_VERSION_ANNOTATION)
    return version is not None and dialer.status.get("latestPeeringVersion", 0) < int(version)


# --- `pulumi up` of the program's objects ------------------------------------------------------------------


@dataclass(frozen=True)
class Step:
    """One of the program's peering objects, as `pulumi up` writes it into its cluster."""

    resource: str
    cluster: str
    kind: str
    name: str
    annotations: dict[str, str]
    spec: dict[str, Any]
    read_of: str | None = None
    """For a token read: the acceptor (resource name) whose spec names the Secret it reads."""
    copy_of: str | None = None
    """For a token copy: the read (resource name) whose data it writes."""


def steps(sim: Simulation) -> list[Step]:
    """The program's `Mesh` entries, acceptors, token reads, token copies and dialers, in registration order
    (one order the engine may follow: each after what it depends on)."""
    out = []
    for r in sim.resources:
        kind = r.type.rsplit(":", 1)[-1]
        cluster = r.provider.rsplit("::", 1)[-1].removesuffix("-k8s") if r.provider else ""
        if kind in (MESH, ACCEPTOR, DIALER) and r.type.startswith("kubernetes:consul.hashicorp.com/"):
            metadata = r.inputs["metadata"]
            out.append(Step(r.name, cluster, kind, metadata["name"], dict(metadata.get("annotations") or {}), r.inputs["spec"]))
        elif r.type == "kubernetes:core/v1:Secret" and "-peering-token-" in r.name and r.read:
            out.append(Step(r.name, cluster, SECRET, "", {}, {}, read_of=r.name.replace("-peering-token-", "-peering-acceptor-", 1)))
        elif r.type == "kubernetes:core/v1:Secret" and "-peering-token-copy-" in r.name:
            dialer_cluster, acceptor = r.name.split("-peering-token-copy-")
            reads = [s for s in sim.resources if s.read and s.name == f"{acceptor}-peering-token-{dialer_cluster}"]
            out.append(Step(r.name, cluster, SECRET, r.inputs["metadata"]["name"], {}, {}, copy_of=reads[0].name))
    return out


def up(world: World, program: Sequence[Step], *, eager: bool = False) -> None:
    """Write each object in order, awaiting those with `pulumi.com/waitFor`; raise UpFailed where it stops.
    `eager`: the controllers reconcile each write before the next (else only while Pulumi awaits)."""
    by_resource = {s.resource: s for s in program}
    read: dict[str, dict[str, str]] = {}
    for step in program:
        if step.read_of is not None:
            acceptor = by_resource[step.read_of]
            secret = world.get(acceptor.cluster, SECRET, acceptor.spec["peer"]["secret"]["name"])
            if secret is None:
                raise UpFailed(step.resource, "the token Secret does not exist")
            read[step.resource] = dict(secret.data)
            continue
        if step.copy_of is not None:
            obj = Obj(SECRET, step.name, data=read[step.copy_of])
        else:
            obj = Obj(step.kind, step.name, dict(step.annotations), json.loads(json.dumps(step.spec)))
        changed = world.write(step.cluster, obj) or step.resource in world.init_errors
        if eager:
            world.drain()
        wait = obj.annotations.get(values.WAIT_FOR)
        if changed and wait is not None:
            world.drain()
            live = world.get(step.cluster, obj.kind, obj.name)
            if live is None or not satisfied(wait, live, world, step):
                world.init_errors.add(step.resource)
                raise UpFailed(step.resource, f"timed out waiting for {wait}")
            world.init_errors.discard(step.resource)
    world.drain()


def satisfied(wait: str, obj: Obj, world: World, step: Step) -> bool:
    """pulumi-kubernetes' `pulumi.com/waitFor`: a JSON list of conditions, all of which must hold. A dialer's
    resourceVersion is the one its token Secret has in this world (the program takes it from that Secret)."""
    conditions = json.loads(wait) if wait.startswith("[") else [wait]
    for condition in conditions:
        if condition == "condition=Synced":
            if not obj.synced():
                return False
        elif condition.startswith("jsonpath={.status.latestPeeringVersion}="):
            if obj.status.get("latestPeeringVersion") != int(condition.rsplit("=", 1)[1]):
                return False
        elif condition.startswith("jsonpath={.status.secret.resourceVersion}="):
            secret = world.get(step.cluster, SECRET, obj.secret_name())
            if secret is None or obj.status.get("secret", {}).get("resourceVersion") != secret.resource_version:
                return False
        else:
            raise ValueError(f"condition not modelled: {condition}")
    return True


def recorded_steps(sim: Simulation, kind: str) -> list[Recorded]:
    return [r for r in sim.resources if r.type.endswith(f":{kind}")]
