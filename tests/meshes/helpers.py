"""Lookups into a simulation that every mesh's tests share."""

from __future__ import annotations

import base64
from collections.abc import Hashable, Iterable, Sequence
from typing import Any, Protocol, TypeVar

import pulumi

from components.meshes import ServiceAccessArgs, ServiceRoutingArgs, mesh_for
from components.simulation import Recorded, Simulation, run_program
from components.simulation.waits import waits_for

RELEASE = "kubernetes:helm.sh/v3:Release"
SECRET = "kubernetes:core/v1:Secret"
NAMESPACE = "kubernetes:core/v1:Namespace"
CONFIG_GROUP = "kubernetes:yaml/v2:ConfigGroup"


def release(sim: Simulation, cluster: str, name: str) -> Recorded:
    return sim.named(f"{cluster}-{name}", RELEASE)


def depends_on(sim: Simulation, resource: Recorded, target: Recorded) -> bool:
    """Whether `resource` waits for `target`, directly or through other resources (`waits_for`)."""
    waits = waits_for(sim.resources)
    seen: set[str] = set()
    stack = [resource.urn]
    while stack:
        for dependency in waits.get(stack.pop(), ()):
            if dependency == target.urn:
                return True
            if dependency not in seen:
                seen.add(dependency)
                stack.append(dependency)
    return False


def names(resources: Iterable[Recorded]) -> list[str]:
    return sorted(r.name for r in resources)


def cluster_of(resource: Recorded) -> str:
    """The cluster a Kubernetes resource is written to: its provider is `<cluster>-k8s`."""
    return resource.provider.rsplit("::", 1)[1].removesuffix("-k8s")


# --- what a `pulumi up` writes, for the models of the meshes' controllers ----------------------------


class Written(Protocol):
    """A Kubernetes object as a stack declares it."""

    @property
    def urn(self) -> str: ...
    @property
    def key(self) -> Hashable:
        """The object's identity in its cluster (cluster, kind, namespace, name): a new key replaces the object."""
        ...

    @property
    def content(self) -> object:
        """What the stack writes into it: a change is an update."""
        ...


W = TypeVar("W", bound=Written)


def pulumi_up(olds: Sequence[W], news: Sequence[W]) -> list[tuple[str, W]]:
    """The (create|update|delete, object) writes `pulumi up` makes to go from `olds` to `news`, in the engine's
    order: creates and updates in dependency order (`news` in registration order is one such order), a
    replaced object created anew before its old self is deleted (create-before-delete, the default), and
    every delete (replaced or removed objects) after all creates and updates."""
    by_urn = {o.urn: o for o in olds}
    writes: list[tuple[str, W]] = []
    deletes: list[tuple[str, W]] = []
    for n in news:
        o = by_urn.get(n.urn)
        if o is None:
            writes.append(("create", n))
        elif o.key != n.key:
            writes.append(("create", n))
            deletes.append(("delete", o))
        elif o.content != n.content:
            writes.append(("update", n))
    kept = {n.urn for n in news}
    deletes += [("delete", o) for urn, o in by_urn.items() if urn not in kept]
    return writes + deletes


# --- east-west exposure and reader credentials, alike for every mesh ---------------------------------

NLB = {
    "service.beta.kubernetes.io/aws-load-balancer-type": "nlb",
    "service.beta.kubernetes.io/aws-load-balancer-cross-zone-load-balancing-enabled": "true",
}


def peer_egress(sim: Simulation, cluster: str) -> list[str]:
    """The NAT addresses of every other cluster, as /32s."""
    cidrs = [f"{r.outputs['publicIp']}/32" for r in sim.of_type("aws:ec2/eip:Eip") if not r.name.startswith(f"{cluster}-")]
    cidrs += [f"{r.outputs['address']}/32" for r in sim.of_type("gcp:compute/address:Address") if not r.name.startswith(f"{cluster}-")]
    return sorted(cidrs)


def reader_token(token_secret: Recorded) -> str:
    return base64.b64decode(token_secret.outputs["data"]["token"]).decode()


def token_kubeconfig(sim: Simulation, observed: str, token_secret: Recorded) -> dict[str, Any]:
    """The kubeconfig a control plane reads `observed` with: its API server and that endpoint's CA as the
    stack publishes them, the inline token the token controller wrote into `token_secret`, and nothing else
    (no exec plugin, no client certificate)."""
    return {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [
            {
                "name": observed,
                "cluster": {
                    "server": sim.exports["clusters"][observed]["apiEndpoint"],
                    "certificate-authority-data": base64.b64encode(sim.exports["clusters"][observed]["caCertificate"].encode()).decode(),
                },
            }
        ],
        "users": [{"name": observed, "user": {"token": reader_token(token_secret)}}],
        "contexts": [{"name": observed, "context": {"cluster": observed, "user": observed}}],
        "current-context": observed,
    }


# --- app teams' service routing, alike for every mesh ------------------------------------------------


def service_routing(mesh_type: str, args: ServiceRoutingArgs, cluster: str = "eks-use1") -> Simulation:
    """One service's routing on `mesh_type`, written into `cluster` through its own provider."""

    def program() -> None:
        provider = pulumi.ProviderResource("kubernetes", f"{cluster}-k8s", {})
        mesh_for(mesh_type).service_routing(f"{cluster}-{args.service}", args, pulumi.ResourceOptions(providers=[provider]))

    return run_program(program)


# --- app teams' access rules, alike for every mesh ----------------------------------------------------


def run_access(mesh: str, args: ServiceAccessArgs, cluster: str = "eks-use1") -> Simulation:
    """`mesh_for(mesh).service_access` written into `cluster`, as an app team's program calls it."""

    def program() -> None:
        provider = pulumi.ProviderResource("kubernetes", f"{cluster}-k8s", {})
        mesh_for(mesh).service_access(f"{cluster}-shop-access", args, pulumi.ResourceOptions(providers=[provider]))

    sim = run_program(program)
    for resource in sim.resources:
        if resource.custom and resource.type.startswith("kubernetes:") and not resource.type.startswith("pulumi:providers:"):
            assert resource.provider.endswith(f"::{cluster}-k8s"), resource.urn
    return sim
