"""Access rules for app teams, mesh-neutral: which workload identities may call a service, optionally
only with some methods on some paths. Each mesh module builds them from its own objects
(`Mesh.service_access`) and refuses, with a message, what its identities cannot express.

A caller is a workload identity: a Kubernetes service account in a namespace. The fleet's trust domain
(the contract's `mesh.trustDomain`) makes the identity, so a rule written once means the same caller in
every cluster. Whether a caller can also be pinned to one cluster, or reach the service from other
clusters with its identity intact, differs between meshes: `AccessSupport` says which.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import pulumi

from .routing import ServicePods

# The methods every mesh accepts in a rule (Consul's webhook refuses any other:
# serviceintentions_types.go IntentionHTTPPermission.validate).
METHODS = ("GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH")
PATH = re.compile(r"^/[^*\s]*(/\*)?$")
DNS_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$")
DNS_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$")


@dataclass(frozen=True)
class AccessSupport:
    """What a mesh's identities can say about where a caller runs."""

    remote_callers: bool
    """Whether a caller in another cluster reaches the service with its own identity, so that one rule can
    admit it from every cluster of the fleet (`Caller.cluster` unset)."""
    cluster_callers: bool
    """Whether a caller can be admitted from one named cluster only (`Caller.cluster`)."""
    summary: str
    linked_clusters: Callable[[str], Caller] | None = None
    """Where callers of other clusters arrive under one identity they all share (Linkerd: the local gateway's),
    the caller that stands for every workload of every linked cluster, given the cluster the rules are written
    into; None where callers keep their own identity across clusters (name them instead)."""


@dataclass(frozen=True)
class Caller:
    """A workload identity allowed to call: the service account its pods run as, in its namespace."""

    service_account: str
    namespace: str
    cluster: str | None = None
    """The cluster the caller runs in. Default: any cluster of the fleet."""

    def __str__(self) -> str:
        where = f" in cluster {self.cluster!r}" if self.cluster else ""
        return f"{self.namespace}/{self.service_account}{where}"


@dataclass(frozen=True)
class AccessRule:
    """Callers and what they may do. Rules add up: a request passes if one rule lets it."""

    callers: Sequence[Caller]
    methods: Sequence[str] = ()
    """HTTP methods, upper case. Default: every method."""
    paths: Sequence[str] = ()
    """Exact paths (`/orders`) or prefixes ending in `/*` (`/api/*`). Default: every path."""

    @property
    def restricted(self) -> bool:
        return bool(self.methods or self.paths)


def is_prefix(path: str) -> bool:
    return path.endswith("/*")


def prefix_of(path: str) -> str:
    """`/api/*` -> `/api/`: what a request path starts with."""
    return path[:-1]


@dataclass(frozen=True)
class ServiceAccessArgs(ServicePods):
    """Who may call one service, in one cluster (the provider in the options). Everybody else is refused,
    whatever the fleet's `mesh.defaultAccess`."""

    service: str
    namespace: str
    rules: Sequence[AccessRule]
    trust_domain: str
    """The fleet's trust domain (the contract's `mesh.trustDomain`): identities are built from it."""
    cluster: str
    """The cluster these rules are written into."""
    clusters: Sequence[str]
    """Every cluster of the fleet (the contract's `clusters`): `Caller.cluster` must name one of them."""
    port: int = 80
    target_port: int | str | None = None
    """The pods' port (number or name) behind `port`. Default: `port`. Linkerd's Server selects it."""
    selector: Mapping[str, str] | None = None
    """The labels of the service's pods. Default: `{"app": service}`."""
    http_protocol: bool = False
    """Whether the service's protocol is declared HTTP in this cluster. Consul needs it for method and path
    rules and meshfleet's service routing declares it (ServiceDefaults); Istio and Linkerd detect HTTP."""

    def __post_init__(self) -> None:
        problems = _problems(self)
        if problems:
            raise ValueError(f"access for {self.service}: " + "; ".join(problems))

    @property
    def callers(self) -> list[Caller]:
        """Every caller once, in the order the rules name them."""
        return list(dict.fromkeys(caller for rule in self.rules for caller in rule.callers))


def waits_for(opts: pulumi.ResourceOptions | None) -> list[pulumi.Resource]:
    """The component's own `depends_on`, which its children must honour too: Pulumi does not hand a
    component's dependencies to its children (a caller's namespace, or Consul's ServiceDefaults)."""
    found = opts.depends_on if opts is not None else None
    if isinstance(found, pulumi.Resource):
        return [found]
    return [r for r in found if isinstance(r, pulumi.Resource)] if isinstance(found, list | tuple) else []


def _problems(args: ServiceAccessArgs) -> list[str]:
    problems = []
    if not args.rules:
        problems.append("no rules: declare at least one caller (a service nobody may call needs no mesh rule)")
    if not DNS_SUBDOMAIN.match(args.trust_domain):
        problems.append(f"trust domain {args.trust_domain!r} is not a DNS name; pass the contract's mesh.trustDomain")
    for i, rule in enumerate(args.rules):
        where = f"rules[{i}]"
        if not rule.callers:
            problems.append(f"{where} names no caller")
        for caller in rule.callers:
            if not (DNS_SUBDOMAIN.match(caller.service_account) and DNS_LABEL.match(caller.namespace)):
                problems.append(f"{where}: {caller} is not a service account name in a namespace name")
            if caller.cluster is not None and caller.cluster not in args.clusters:
                problems.append(f"{where}: {caller} names a cluster outside the fleet; clusters: {', '.join(args.clusters)}")
        for method in rule.methods:
            if method not in METHODS:
                problems.append(f"{where}: method {method!r} is not one of {', '.join(METHODS)}")
        for path in rule.paths:
            if not PATH.match(path):
                problems.append(f"{where}: path {path!r} is neither an exact path ('/orders') nor a prefix ending in '/*' ('/api/*')")
    return problems


__all__ = ["METHODS", "AccessRule", "AccessSupport", "Caller", "ServiceAccessArgs", "is_prefix", "prefix_of", "waits_for"]
