"""Pulumi mocks for the fleet's resource types, keyed by type token.

pulumi-tls is emulated for real (tls_emulation.py). Cloud and Kubernetes resources echo their inputs and
add what their providers compute, with deterministic fake values (addresses, ARNs, a real CA certificate
per cluster API server). In preview mode, what a provider only knows after creating a resource is
unknown, as in a first `pulumi preview` of a new stack.
"""

from __future__ import annotations

import base64
import datetime
import hashlib
import json
from collections.abc import Callable, Mapping, Sequence
from functools import cache
from typing import Any

import pulumi
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from pulumi.runtime.rpc import UNKNOWN  # the engine's unknown-value sentinel

from .recorder import plain
from .state import CREATE, READ, SAME, UPDATE, DeployedResource, Deployment, Encrypted, encrypted_count
from .tls_emulation import HANDLERS as TLS_HANDLERS

ACCOUNT = "123456789012"

Handler = Callable[[pulumi.runtime.MockResourceArgs], dict[str, Any]]


def _digits(seed: str, count: int) -> list[int]:
    digest = hashlib.sha256(seed.encode()).digest()
    return [1 + b % 250 for b in digest[:count]]


def fake_ip(seed: str, first: int) -> str:
    a, b, c = _digits(seed, 3)
    return f"{first}.{a}.{b}.{c}"


def fake_id(prefix: str, seed: str) -> str:
    return f"{prefix}-{hashlib.sha256(seed.encode()).hexdigest()[:17]}"


def self_signed_ca(
    common_name: str,
    *,
    organization: str | None = None,
    days: int = 3650,
    path_length: int | None = None,
    curve: ec.EllipticCurve | None = None,
) -> tuple[str, str]:
    """A real self-signed CA (certificate PEM, key PEM) made outside any stack; a negative `days` gives one
    that has already expired. Default curve: P-256."""
    key = ec.generate_private_key(curve or ec.SECP256R1())
    attributes = [x509.NameAttribute(NameOID.ORGANIZATION_NAME, organization)] if organization else []
    name = x509.Name([*attributes, x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=max(0, -days) + 1))
        .not_valid_after(now + datetime.timedelta(days=days))
        .add_extension(x509.BasicConstraints(ca=True, path_length=path_length), critical=True)
        .add_extension(x509.KeyUsage(True, False, False, False, False, True, True, False, False), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    key_pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL, serialization.NoEncryption())
    return cert.public_bytes(serialization.Encoding.PEM).decode(), key_pem.decode()


@cache
def api_server_ca(cluster: str) -> str:
    """Stands in for a cluster API server's CA certificate."""
    return self_signed_ca(f"kubernetes ({cluster})")[0]


def simulated_kubeconfig(contexts: list[str] | tuple[str, ...]) -> dict[str, Any]:
    """An operator kubeconfig with these contexts, as `kind create cluster` writes them (a client
    certificate per cluster), for running stacks that adopt clusters by context."""
    return {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [
            {"name": c, "cluster": {"server": f"https://127.0.0.1:{6443 + i}", "certificate-authority-data": _b64(api_server_ca(c))}}
            for i, c in enumerate(contexts)
        ],
        "users": [{"name": c, "user": {"client-certificate-data": _b64("certificate"), "client-key-data": _b64("key")}} for c in contexts],
        "contexts": [{"name": c, "context": {"cluster": c, "user": c}} for c in contexts],
        "current-context": contexts[0],
    }


def _overlay(state: Mapping[str, Any], changes: Mapping[str, Any]) -> dict[str, Any]:
    """`changes` applied over `state`, maps merged key by key: what the provider keeps of a resource it updates
    (a computed attribute the inputs do not set, an object's status)."""
    merged = dict(state)
    for key, value in changes.items():
        old = merged.get(key)
        merged[key] = _overlay(old, value) if isinstance(old, Mapping) and isinstance(value, Mapping) else value
    return merged


def _stand_in(value: Any, fresh: Any) -> Any:
    if isinstance(value, Encrypted):
        return fresh if fresh is not None else ""
    if isinstance(value, dict):
        return {k: _stand_in(v, fresh.get(k) if isinstance(fresh, dict) else None) for k, v in value.items()}
    if isinstance(value, list):
        return [_stand_in(v, fresh[i] if isinstance(fresh, list) and i < len(fresh) else None) for i, v in enumerate(value)]
    return value


def _b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


class FleetMocks(pulumi.runtime.Mocks):
    """`stack_outputs` feeds StackReferences (stack name -> outputs); `secret_stack_outputs` names the
    outputs of each referenced stack that are secrets (default: those named like a kubeconfig); `previous`
    is the stack's last deployment (components/simulation/state.py): what it made exists, and a resource it
    holds gets its outputs as the engine and the provider give them for the step the monitor decided."""

    def __init__(
        self,
        preview: bool = False,
        stack_outputs: Mapping[str, Mapping[str, Any]] | None = None,
        secret_stack_outputs: Mapping[str, list[str]] | None = None,
        previous: Deployment | None = None,
        unreachable: frozenset[str] = frozenset(),
        load_balancers: Mapping[str, Sequence[Mapping[str, str]]] | None = None,
    ) -> None:
        self.preview = preview
        self.previous = previous
        self.unreachable = unreachable
        """Clusters whose API server the Kubernetes provider cannot reach in this run."""
        self.load_balancers = dict(load_balancers or {})
        """Per cluster, the `status.loadBalancer.ingress` entries its load balancers publish (default: one)."""
        self.warnings: dict[str, list[str]] = {}
        """What the providers warned about, per cluster: the unreachable ones' resources."""
        self.stack_outputs = dict(stack_outputs or {})
        self.secret_stack_outputs = dict(secret_stack_outputs or {})
        self.providers: dict[str, dict[str, Any]] = {}
        self.secrets: dict[tuple[str, str], dict[str, Any]] = {}
        """Secrets the program created, by (cluster, "namespace/name")."""
        self.controller_secrets: dict[tuple[str, str], dict[str, Any]] = dict(previous.cluster_objects) if previous else {}
        """Secrets that controllers in the clusters wrote (and the program may read), by (cluster, "namespace/name"):
        the last deployment's, then this run's."""
        self.handlers: dict[str, Handler] = {
            "aws:ec2/eip:Eip": lambda a: {"publicIp": fake_ip(a.name, 3), "allocationId": fake_id("eipalloc", a.name)},
            "aws:iam/role:Role": lambda a: {"arn": f"arn:aws:iam::{ACCOUNT}:role/{a.name}", "name": a.name},
            "aws:eks/cluster:Cluster": self._eks,
            "aws:eks/accessEntry:AccessEntry": lambda a: {"accessEntryArn": f"arn:aws:eks::{ACCOUNT}:access-entry/{a.name}"},
            "gcp:compute/address:Address": lambda a: {"address": fake_ip(a.name, 34), "selfLink": f"https://compute/addresses/{a.name}"},
            "gcp:compute/network:Network": lambda a: {"selfLink": f"https://compute/networks/{a.name}"},
            # Auto-named: the provider adds a random suffix to the resource's name.
            "gcp:compute/router:Router": lambda a: {"name": a.inputs.get("name") or fake_id(a.name, a.name)[:40]},
            "gcp:serviceaccount/account:Account": self._service_account,
            "gcp:container/cluster:Cluster": self._gke,
            "kubernetes:core/v1:Secret": self._secret,
            "kubernetes:helm.sh/v3:Release": self._release,
            "kubernetes:core/v1:Service": self._service,
            "kubernetes:consul.hashicorp.com/v1alpha1:PeeringAcceptor": self._peering_acceptor,
        }

    # Mocks -------------------------------------------------------------------------------------

    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str | None, dict[str, Any]]:
        inputs = plain(dict(args.inputs))
        args.inputs = inputs
        if args.typ.startswith("pulumi:providers:"):
            self.providers[args.name] = inputs
            return f"{args.name}-id", inputs
        if args.typ == "pulumi:pulumi:StackReference":
            name = inputs.get("name") or args.resource_id or ""
            if name not in self.stack_outputs:
                raise KeyError(f"no outputs are simulated for stack reference {name!r}")
            outputs = self.stack_outputs[name]
            secrets = self.secret_stack_outputs.get(name, [k for k in outputs if "kubeconfig" in k.lower()])
            return name, {"name": name, "outputs": dict(outputs), "secretOutputNames": list(secrets)}
        op = getattr(args, "op", CREATE)
        old = self.previous.resources.get(getattr(args, "urn", "")) if self.previous else None
        if args.typ.startswith("kubernetes:") and self._cluster_of(args) in self.unreachable:
            return self._unreachable(args, old, op, inputs)
        if old is not None and op in (SAME, UPDATE, READ):
            kept = self._kept(args, old, op, inputs)
            if kept is not None:
                return kept
        if args.typ in TLS_HANDLERS:
            if self.preview:
                return f"{args.name}-id", inputs
            state = TLS_HANDLERS[args.typ](inputs)
            return str(state.pop("id")), state
        handler = self.handlers.get(args.typ)
        computed = handler(args) if handler else {}
        resource_id = computed.pop("id", None) or args.resource_id or fake_id("id", args.name)
        if self.preview and args.resource_id in (None, "", UNKNOWN):
            # What a resource the preview would create gets from its provider is unknown, its id too (the SDK
            # makes it unknown), and so is what a read of an unknown id reads. A read of an existing object
            # reads it, in a preview as in `pulumi up`.
            computed = {key: UNKNOWN for key in computed}
            resource_id = ""
        return resource_id, {**inputs, **computed}

    def _kept(
        self, args: pulumi.runtime.MockResourceArgs, old: DeployedResource, op: str, inputs: dict[str, Any]
    ) -> tuple[str, dict[str, Any]] | None:
        """The outputs of a resource the last deployment holds, for the step the engine takes:
        - same: the state's outputs (the provider is not asked);
        - update in a preview: for a Kubernetes object the provider's server-side dry run, the live object with
          the new inputs applied (its status unchanged), or the inputs alone when one is unknown (provider.go
          Update at v4.32.0 returns `req.News` then); for other providers the state with the new inputs;
        - update in `pulumi up`: what the provider computes anew, over the state;
        - a read of an object the last deployment read: the same object, unless a controller rewrote it.
        None: compute them as for a new resource."""
        if args.typ == "kubernetes:core/v1:Secret" and op != READ:
            self._secret(args)  # what the program writes, whatever the step: the controller models read it
        if op == READ:
            if old.id != args.resource_id or (self._cluster_of(args), args.resource_id) in self.controller_secrets:
                return None
            return old.id, self._readable(args, old.outputs)
        if op == SAME:
            return old.id, self._readable(args, old.outputs)
        if self.preview:
            if args.typ.startswith("kubernetes:") and UNKNOWN in json.dumps(inputs):
                return old.id, inputs
            return old.id, _overlay(self._readable(args, old.outputs), inputs)
        handler = self.handlers.get(args.typ)
        computed = handler(args) if handler else {}
        computed.pop("id", None)
        return old.id, _overlay(_overlay(self._readable(args, old.outputs), inputs), computed)

    def _unreachable(
        self, args: pulumi.runtime.MockResourceArgs, old: DeployedResource | None, op: str, inputs: dict[str, Any]
    ) -> tuple[str, dict[str, Any]]:
        """What the Kubernetes provider does when its cluster is unreachable (provider/pkg/provider/provider.go
        at v4.32.0): Check and Diff warn "configured Kubernetes cluster is unreachable" and go on from the
        inputs; a preview's Create and Update skip the server-side dry run and return the inputs (Create
        ~1706-1735); Read fails (~1912-1940) unless the provider has `skipUpdateUnreachable`, and so does
        anything else in `pulumi up`."""
        cluster = self._cluster_of(args)
        if op == READ and self._skips_unreachable(args):
            # Read with `skipUpdateUnreachable` (~1919-1935): a warning, and what it was sent, which for a `get`
            # is nothing; the engine takes that as the object's outputs (pkg/resource/deploy/step.go ReadStep).
            self.warnings.setdefault(cluster, []).append(f"{args.typ} {args.name}")
            return args.resource_id or "", {}
        if op == READ or not self.preview:
            raise RuntimeError(
                f"{args.typ} {args.name}: failed to read resource state due to unreachable cluster (cluster {cluster!r})"
                if op == READ
                else f"{args.typ} {args.name}: configured Kubernetes cluster is unreachable (cluster {cluster!r})"
            )
        self.warnings.setdefault(cluster, []).append(f"{args.typ} {args.name}")
        if old is not None and op == SAME:
            return old.id, dict(old.outputs)
        return (old.id if old is not None else ""), inputs

    def _readable(self, args: pulumi.runtime.MockResourceArgs, outputs: Mapping[str, Any]) -> dict[str, Any]:
        """The outputs with each value a stack export holds encrypted replaced by a stand-in of the same shape,
        which the program can compute with (the engine would decrypt it; this simulation cannot)."""
        if self.previous is None or not self.previous.encrypted or not encrypted_count(outputs):
            return dict(outputs)
        fresh: dict[str, Any] = {}
        if args.typ in TLS_HANDLERS:
            fresh = TLS_HANDLERS[args.typ](dict(args.inputs))
        elif args.typ in self.handlers:
            fresh = self.handlers[args.typ](args)
        return _stand_in(dict(outputs), fresh)  # type: ignore[no-any-return]

    def call(self, args: pulumi.runtime.MockCallArgs) -> tuple[dict[str, Any], list[tuple[str, str]] | None]:
        raise NotImplementedError(f"the fleet program makes no provider calls, but it called {args.token}")

    # Computed outputs ----------------------------------------------------------------------------

    def _cluster_of(self, args: pulumi.runtime.MockResourceArgs) -> str:
        """The fleet cluster a Kubernetes resource belongs to, from its provider (`<cluster>-k8s`, or
        `<cluster>-k8s-reads`, clusters/base.py `kubernetes_providers`)."""
        return self._provider_of(args).removesuffix("-reads").removesuffix("-k8s")

    def _provider_of(self, args: pulumi.runtime.MockResourceArgs) -> str:
        return (args.provider or "").rsplit("::", 1)[-1].removesuffix("-id")

    def _skips_unreachable(self, args: pulumi.runtime.MockResourceArgs) -> bool:
        """Whether the resource's provider has `skipUpdateUnreachable` (the SDK sends provider config as strings)."""
        return str(self.providers.get(self._provider_of(args), {}).get("skipUpdateUnreachable")).lower() == "true"

    def _service_account(self, args: pulumi.runtime.MockResourceArgs) -> dict[str, Any]:
        email = f"{args.inputs['accountId']}@project.iam.gserviceaccount.com"
        return {"email": email, "member": f"serviceAccount:{email}"}

    def _eks(self, args: pulumi.runtime.MockResourceArgs) -> dict[str, Any]:
        inputs = args.inputs
        cluster = inputs.get("name", args.name)
        region = "us-east-1"
        return {
            "arn": f"arn:aws:eks:{region}:{ACCOUNT}:cluster/{cluster}",
            "endpoint": f"https://{hashlib.sha256(cluster.encode()).hexdigest()[:32].upper()}.gr7.{region}.eks.amazonaws.com",
            "certificateAuthority": {"data": _b64(api_server_ca(cluster))},
            "vpcConfig": {**inputs.get("vpcConfig", {}), "clusterSecurityGroupId": fake_id("sg", cluster)},
            "status": "ACTIVE",
        }

    def _gke(self, args: pulumi.runtime.MockResourceArgs) -> dict[str, Any]:
        inputs = args.inputs
        cluster = inputs.get("name", args.name)
        return {
            "id": f"projects/{inputs.get('project', 'project')}/locations/{inputs.get('location')}/clusters/{cluster}",
            "endpoint": fake_ip(cluster, 35),
            "masterAuth": {"clusterCaCertificate": _b64(api_server_ca(cluster))},
        }

    def _secret(self, args: pulumi.runtime.MockResourceArgs) -> dict[str, Any]:
        if args.resource_id == UNKNOWN:
            return {"data": {}}  # a preview's read of what does not exist yet: unknown
        if args.resource_id:  # a read: what a controller wrote, if any
            written = self.controller_secrets.get((self._cluster_of(args), args.resource_id))
            if written is None:
                raise KeyError(f"no Secret {args.resource_id!r} exists in cluster {self._cluster_of(args)!r} to read")
            return written
        metadata = args.inputs.get("metadata", {})
        self.secrets[(self._cluster_of(args), f"{metadata.get('namespace', 'default')}/{metadata.get('name')}")] = args.inputs
        if args.inputs.get("type") != "kubernetes.io/service-account-token":
            if self.preview:
                return {}  # what the API server assigns is unknown until `pulumi up` writes the object
            # The API server's resourceVersion: a new one whenever the object's content changes.
            content = json.dumps([args.inputs.get("data"), args.inputs.get("stringData")], sort_keys=True, default=str)
            return {"metadata": {**metadata, "resourceVersion": str(int(hashlib.sha256(content.encode()).hexdigest()[:8], 16))}}
        # What the token controller writes into a service-account-token Secret.
        metadata = args.inputs.get("metadata", {})
        namespace = metadata.get("namespace", "default")
        return {
            "data": {
                # Each Secret its own token: a new Secret (a rotation) is a new token.
                "token": _b64(f"token-of-{args.name}-{metadata.get('name', '')}"),
                "ca.crt": _b64(api_server_ca(self._cluster_of(args))),
                "namespace": _b64(namespace),
            }
        }

    def _release(self, args: pulumi.runtime.MockResourceArgs) -> dict[str, Any]:
        inputs = args.inputs
        return {
            "status": {
                "name": inputs.get("name", args.name),
                "namespace": inputs.get("namespace", "default"),
                "chart": inputs.get("chart"),
                "version": inputs.get("version"),
                "status": "deployed",
                "revision": 1,
            }
        }

    def _peering_acceptor(self, args: pulumi.runtime.MockResourceArgs) -> dict[str, Any]:
        """What consul-k8s's peering acceptor controller does (peering_acceptor_controller.go): generate a token
        and write it into an Opaque Secret labelled as a peering token, then report Synced in the status.

        The token is shaped like Consul's (agent/structs/peering.go PeeringToken, base64 JSON): its CA is the
        accepting cluster's server TLS CA, i.e. the `tls.crt` of the CA Secret the program gave the chart."""
        cluster = self._cluster_of(args)
        metadata, spec = args.inputs.get("metadata", {}), args.inputs.get("spec", {})
        if self.preview:
            return {"status": UNKNOWN}  # a new acceptor: nothing runs in a preview
        namespace = metadata.get("namespace", "default")
        secret = spec["peer"]["secret"]
        ca_secret = self.secrets.get((cluster, f"{namespace}/consul-ca-cert"), {}).get("stringData", {})
        ca = ca_secret.get("tls.crt", "") if isinstance(ca_secret, dict) else ""  # unknown in a preview: not modelled
        version = int(metadata.get("annotations", {}).get("consul.hashicorp.com/peering-version", "0"))
        token = {
            "CA": [ca],
            "ServerName": f"server.{cluster}.peering.consul",
            "ServerAddresses": [f"consul-mesh-gateway.{cluster}.example:8443"],
            "PeerID": hashlib.sha256(f"{cluster}/{metadata.get('name')}".encode()).hexdigest()[:32],
            "EstablishmentSecret": hashlib.sha256(f"{args.name}/{version}".encode()).hexdigest(),
            "Remote": {"Partition": "default", "Datacenter": cluster},
        }
        self.controller_secrets[(cluster, f"{namespace}/{secret['name']}")] = {
            "metadata": {"name": secret["name"], "namespace": namespace, "labels": {"consul.hashicorp.com/peering-token": "true"}},
            "type": "Opaque",
            "data": {secret["key"]: _b64(_b64(json.dumps(token)))},  # the token is base64 JSON; Secret data is base64 again
        }
        return {
            "status": {
                "conditions": [{"type": "Synced", "status": "True"}],
                "latestPeeringVersion": version,
                "secret": {"name": secret["name"], "key": secret["key"], "backend": secret["backend"]},
            }
        }

    def _service(self, args: pulumi.runtime.MockResourceArgs) -> dict[str, Any]:
        if args.resource_id is None:
            return {}
        # A read of a chart's LoadBalancer Service: an NLB publishes a hostname, others an IP.
        cluster = self._cluster_of(args)
        provider = self.providers.get(f"{cluster}-k8s", {})
        ingress: list[Mapping[str, str]]
        if cluster in self.load_balancers:
            ingress = list(self.load_balancers[cluster])
        elif ".eks.amazonaws.com" in str(provider.get("kubeconfig", "")):
            ingress = [{"hostname": f"{fake_id('a', args.name)}.elb.amazonaws.com"}]
        else:
            ingress = [{"ip": fake_ip(args.name, 35)}]
        namespace, _, service = args.resource_id.partition("/")
        return {
            "metadata": {"name": service, "namespace": namespace},
            "spec": {"type": "LoadBalancer"},
            "status": {"loadBalancer": {"ingress": ingress}},
        }
