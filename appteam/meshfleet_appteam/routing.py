"""Service routing for app teams, mesh-neutral: weighted versions, header routes, mirroring, blue-green,
timeouts and retries, and locality failover for one service. Each mesh module builds them from its own
objects (`Mesh.service_routing`) and refuses, with a message that names the mesh, what it cannot do.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

from .locality import LocalityFailover

# A duration every mesh reads alike: Istio's CRD (>= 1ms), Linkerd's parser (whole numbers, no fractions;
# policy-controller/k8s/index/src/outbound/index.rs parse_duration), Gateway API's `format: duration`
# and Go's time.ParseDuration (Consul's metav1.Duration).
DURATION = re.compile(r"^[1-9][0-9]{0,4}(ms|s|m|h)$")
# Lowercase with '-': Istio's VirtualService wants header keys so (crd-all.gen.yaml, `match.headers`),
# and it is a valid Gateway API header name (Linkerd's HTTPRoute `matches.headers.name` pattern).
HEADER_NAME = re.compile(r"^[a-z0-9]([a-z0-9-]*[a-z0-9])?$")
HEADER_MATCH_KINDS = ("exact", "prefix", "regex")
# Python's re accepts these; the meshes' regex engines (RE2 in Envoy, Rust's regex crate) refuse them.
NOT_RE2 = re.compile(r"\(\?<?[=!]|\\[1-9]")
# Envoy's retry conditions (x-envoy-retry-on and x-envoy-retry-grpc-on) that Istio and Consul both accept
# (istio pkg/config/validation/validation.go supportedRetryOnPolicies; consul
# agent/structs/config_entry_discoverychain.go isValidRetryCondition). Linkerd reads fewer (see its routing).
RETRY_CONDITIONS = (
    "5xx",
    "gateway-error",
    "reset",
    "connect-failure",
    "envoy-ratelimited",
    "retriable-4xx",
    "refused-stream",
    "cancelled",
    "deadline-exceeded",
    "internal",
    "resource-exhausted",
    "unavailable",
)


@dataclass(frozen=True)
class HeaderMatch:
    """One request header a header route looks at."""

    name: str
    """Header name, lowercase with '-' (e.g. `x-canary`)."""
    value: str
    """The value, prefix or regular expression (RE2 syntax) to match, per `kind`."""
    kind: Literal["exact", "prefix", "regex"] = "exact"
    """`exact`, `prefix` or `regex`. Default: `exact`. Linkerd matches exact and regex only."""


@dataclass(frozen=True)
class HeaderRoute:
    """Requests carrying all of `headers` go to one version, whatever the weights say."""

    version: str
    headers: Sequence[HeaderMatch]


@dataclass(frozen=True)
class Mirror:
    """Copy a share of the service's traffic to a version; its responses are dropped (a shadow)."""

    version: str
    percent: float = 100.0
    """Share of requests copied, above 0 and at most 100. Default: all of them."""


@dataclass(frozen=True)
class BlueGreen:
    """Every version stays deployed and routable (header routes, mirrors), but all traffic goes to `active`.

    Switching is changing `active`; nothing else moves."""

    versions: Sequence[str]
    active: str


@dataclass(frozen=True)
class Ingress:
    """Requests entering through an ingress gateway for `hosts` follow this routing too (weights, header
    routes, mirror), not only the mesh's own callers."""

    gateway: str
    """The gateway resource as `<namespace>/<name>` (Istio: a `networking.istio.io` Gateway)."""
    hosts: Sequence[str]
    """The external host names the gateway serves for this service, e.g. `shop.example.com`."""


INGRESS_HOST = re.compile(r"^(\*\.)?[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
GATEWAY_REF = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?/[a-z0-9]([-a-z0-9.]*[a-z0-9])?$")


@dataclass(frozen=True)
class Retries:
    """Retry policy for the service's requests."""

    attempts: int
    """Retries after the first try (Istio `attempts`, Linkerd `retry.linkerd.io/limit`, Consul `numRetries`).
    0 turns retries off, which matters on Istio: it retries twice by default, the others never do."""
    on: Sequence[str | int] = ()
    """What triggers a retry: names from RETRY_CONDITIONS and HTTP status codes (400-599). Required with
    attempts: Consul retries on nothing when none is named, so there is no common default."""
    per_try_timeout: str | None = None
    """Timeout of each try, e.g. `2s`. Default: none beyond the request's `timeout` (Consul has none)."""


class ServicePods:
    """The pods behind an app team's service, as routing and access rules address them."""

    service: str
    port: int
    target_port: int | str | None
    selector: Mapping[str, str] | None

    @property
    def pod_port(self) -> int | str:
        return self.port if self.target_port is None else self.target_port

    @property
    def pod_selector(self) -> dict[str, str]:
        return dict(self.selector) if self.selector is not None else {"app": self.service}


@dataclass(frozen=True)
class ServiceRoutingArgs(ServicePods):
    """How an app team routes one service: versions with their traffic share (or one live version,
    blue-green), header routes, mirroring, timeouts, retries and locality failover.

    Moving a canary from 10% to 100% is changing `weights`; switching blue-green is changing
    `blue_green.active`; nothing else moves. A mesh that cannot do something asked for refuses it.
    """

    service: str
    namespace: str
    weights: Mapping[str, int] = field(default_factory=dict)
    """Percent of traffic per version (the pods' `version_label` value); they sum to 100. Required unless
    `blue_green` is given (then empty)."""
    failover: Sequence[LocalityFailover] = ()
    """Region order, usually the fleet's `mesh.locality.failover` from the contract."""
    port: int = 80
    version_label: str = "version"
    cluster_domain: str = "cluster.local"
    cluster: str = ""
    """The cluster this routing is written into (the provider in the options). Meshes that fail over to
    named peers (Consul) need it, with `cluster_regions`; Istio reads localities from the endpoints."""
    cluster_regions: Mapping[str, str] = field(default_factory=dict)
    """Region of every cluster of the fleet, by cluster name (the contract's `clusters[*].region`)."""
    target_port: int | str | None = None
    """The pods' port (number or name) behind `port`. Default: `port`. Meshes that route to a Service per
    version (Linkerd) give those Services this target port."""
    selector: Mapping[str, str] | None = None
    """The labels of the service's pods (its Service's selector). Default: `{"app": service}`. Meshes that
    route to a Service per version (Linkerd) select each version's pods with it plus `version_label`."""
    blue_green: BlueGreen | None = None
    """Blue-green instead of `weights`: all traffic on one version, the others deployed and idle.
    Default: none; `weights` split the traffic."""
    header_routes: Sequence[HeaderRoute] = ()
    """Requests whose headers match go to the route's version, checked in order before the split.
    Default: none; every request follows `weights` (or the active version)."""
    mirror: Mirror | None = None
    """Copy requests that follow the split to a version. Default: no mirroring (Linkerd and Consul have none)."""
    timeout: str | None = None
    """Timeout of a whole request, retries included, e.g. `10s`. Default: the mesh's own (none on Istio
    and Linkerd; Envoy's 15s route timeout on Consul)."""
    retries: Retries | None = None
    """Default: the mesh's own (Istio retries twice on connection failures; Linkerd and Consul do not retry)."""
    ingress: Ingress | None = None
    """Bind the routing to an ingress gateway as well as the mesh. Default: the mesh's callers only (on
    Istio, a gateway's own routes decide for traffic entering through it)."""

    def __post_init__(self) -> None:
        problems = [f"{version}: {weight} is not a percentage" for version, weight in self.weights.items() if not 0 <= weight <= 100]
        if self.blue_green is None and not self.weights:
            problems.append("give weights (percent of traffic per version) or blue_green (one active version)")
        elif self.blue_green is None and sum(self.weights.values()) != 100:
            problems.append(f"the weights {dict(self.weights)} add up to {sum(self.weights.values())}, not 100")
        problems += self._traffic_problems()
        if problems:
            raise ValueError(f"routing for {self.service}: " + "; ".join(problems))

    def _traffic_problems(self) -> list[str]:
        problems: list[str] = []
        if self.blue_green is not None:
            if self.weights:
                problems.append("give either weights (a weighted split) or blue_green (one active version), not both")
            if len(set(self.blue_green.versions)) < 2:
                problems.append(f"blue_green.versions {list(self.blue_green.versions)} needs two or more distinct versions")
            if self.blue_green.active not in self.blue_green.versions:
                problems.append(
                    f"blue_green.active {self.blue_green.active!r} is not one of blue_green.versions {list(self.blue_green.versions)}"
                )
        known = self.versions
        for i, route in enumerate(self.header_routes):
            key = f"header_routes[{i}]"
            if route.version not in known:
                problems.append(f"{key}.version {route.version!r} is not one of the versions {known}")
            if not route.headers:
                problems.append(f"{key}.headers is empty; a header route needs at least one header to match")
            names = [h.name for h in route.headers]
            if len(set(names)) < len(names):
                problems.append(f"{key}.headers names a header twice ({names}); a request has one value to match")
            for j, header in enumerate(route.headers):
                problems += _header_problems(f"{key}.headers[{j}]", header)
        if self.mirror is not None:
            if self.mirror.version not in known:
                problems.append(f"mirror.version {self.mirror.version!r} is not one of the versions {known}")
            if not 0 < self.mirror.percent <= 100:
                problems.append(f"mirror.percent {self.mirror.percent} is not above 0 and at most 100")
        if self.timeout is not None and not DURATION.match(self.timeout):
            problems.append(f"timeout {self.timeout!r} is not a duration such as '500ms', '10s', '1m' or '1h'")
        if self.retries is not None:
            problems += _retry_problems(self.retries)
        if self.ingress is not None:
            if not GATEWAY_REF.match(self.ingress.gateway):
                problems.append(f"ingress.gateway {self.ingress.gateway!r} is not '<namespace>/<name>'")
            if not self.ingress.hosts:
                problems.append("ingress.hosts is empty; name the host names the gateway serves for the service")
            problems += [
                f"ingress.hosts {host!r} is not a DNS name (a leading '*.' allowed)"
                for host in self.ingress.hosts
                if not INGRESS_HOST.match(host)
            ]
        return problems

    @property
    def versions(self) -> list[str]:
        """Every deployed version, routable by header routes and mirrors."""
        return list(self.blue_green.versions) if self.blue_green is not None else list(self.weights)

    @property
    def traffic(self) -> dict[str, int]:
        """Where requests that match no header route go: the weights, or the active version alone."""
        return {self.blue_green.active: 100} if self.blue_green is not None else dict(self.weights)

    @property
    def host(self) -> str:
        return f"{self.service}.{self.namespace}.svc.{self.cluster_domain}"

    def refuse(self, mesh: str, what: str, why: str) -> ValueError:
        """The error for asking a mesh for something it cannot do, naming the mesh and the reason."""
        return ValueError(f"routing for {self.service}: {mesh} cannot {what}: {why}")


def _header_problems(key: str, header: HeaderMatch) -> list[str]:
    problems = []
    if not HEADER_NAME.match(header.name):
        problems.append(f"{key}.name {header.name!r} is not a lowercase header name (letters, digits and '-')")
    if header.kind not in HEADER_MATCH_KINDS:
        problems.append(f"{key}.kind {header.kind!r} is not one of {', '.join(HEADER_MATCH_KINDS)}")
    if not header.value:
        problems.append(f"{key}.value is empty")
    elif header.kind == "regex":
        try:
            re.compile(header.value)
        except re.error as error:
            problems.append(f"{key}.value {header.value!r} is not a regular expression ({error})")
        else:
            if NOT_RE2.search(header.value):
                problems.append(
                    f"{key}.value {header.value!r} uses look-around or a back-reference, which RE2 (Istio, Consul) "
                    "and Rust's regex (Linkerd) do not have"
                )
    return problems


def _retry_problems(retries: Retries) -> list[str]:
    problems = []
    if retries.attempts < 0:
        problems.append(f"retries.attempts {retries.attempts} is negative")
    if retries.attempts > 0 and not retries.on:
        problems.append(f"retries.on is empty; name what triggers a retry: {', '.join(RETRY_CONDITIONS)} or status codes")
    if retries.attempts == 0 and (retries.on or retries.per_try_timeout):
        problems.append("retries.attempts is 0 (no retries), so retries.on and retries.per_try_timeout must be unset")
    for condition in retries.on:
        if isinstance(condition, int):
            if not 400 <= condition <= 599:
                problems.append(f"retries.on status {condition} is not an HTTP error status (400-599)")
        elif condition not in RETRY_CONDITIONS:
            problems.append(f"retries.on {condition!r} is not one of {', '.join(RETRY_CONDITIONS)} or a status code")
    if retries.per_try_timeout is not None and not DURATION.match(retries.per_try_timeout):
        problems.append(f"retries.per_try_timeout {retries.per_try_timeout!r} is not a duration such as '500ms', '2s' or '1m'")
    return problems
