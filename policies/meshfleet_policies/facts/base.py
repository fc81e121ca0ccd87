"""Mesh-neutral facts that policies reason about, and the interface each mesh's extractor implements.

A policy never looks at Istio's (or Linkerd's, or Consul's) chart values itself: it asks every mesh's
extractor for facts ("this resource is a control plane with 1 replica", "this Service is an east-west
gateway open to 0.0.0.0/0"). Supporting a mesh in every policy is adding one extractor module.
"""

from __future__ import annotations

import base64
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

RELEASE = "kubernetes:helm.sh/v3:Release"
CHARTS = {RELEASE, "kubernetes:helm.sh/v3:Chart", "kubernetes:helm.sh/v4:Chart"}
SECRET = "kubernetes:core/v1:Secret"
CONFIG_MAP = "kubernetes:core/v1:ConfigMap"

# Service annotations that make a cloud's load balancer internal, whichever mesh's gateway carries them.
INTERNAL_ANNOTATIONS: dict[str, Callable[[Any], bool]] = {
    "service.beta.kubernetes.io/aws-load-balancer-internal": lambda v: str(v).lower() not in ("", "false"),
    "service.beta.kubernetes.io/aws-load-balancer-scheme": lambda v: str(v).lower() == "internal",
    "networking.gke.io/load-balancer-type": lambda v: str(v).lower() == "internal",
    "cloud.google.com/load-balancer-type": lambda v: str(v).lower() == "internal",
    "service.beta.kubernetes.io/azure-load-balancer-internal": lambda v: str(v).lower() == "true",
    # meshfleet's record that an adopted cluster's platform only gives private addresses (kind, MetalLB):
    # components/gateways/load_balancer.py PRIVATE_PLATFORM.
    "meshfleet.io/load-balancer": lambda v: str(v) == "private-platform",
}


@dataclass(frozen=True)
class Resource:
    """One resource as policies see it, from a resource policy's args or a stack policy's resources."""

    type: str
    name: str
    urn: str
    props: Mapping[str, Any]
    """The unknown-checking proxy: reading a value unknown at preview stops the policy with an advisory."""
    provider_urn: str | None
    additional_secret_outputs: tuple[str, ...] = ()

    @property
    def cluster(self) -> str:
        """The cluster a Kubernetes resource belongs to, named after its provider (`<cluster>-k8s`)."""
        if not self.provider_urn:
            return "(default provider)"
        return self.provider_urn.rsplit("::", 1)[-1].removesuffix("-k8s")


def get(props: Any, *path: str, default: Any = None) -> Any:
    """Nested lookup that tolerates missing levels (unknown values still raise, on purpose)."""
    value = props
    for key in path:
        if not isinstance(value, Mapping) and not hasattr(value, "get"):
            return default
        value = value.get(key)
        if value is None:
            return default
    return value


# meshfleet's record of the annotations an operator declared make an adopted cluster's load balancer internal
# on a platform this pack does not know (MetalLB, on-prem): components/gateways/load_balancer.py DECLARED_INTERNAL.
DECLARED_INTERNAL = "meshfleet.io/internal-annotations"


def internal_load_balancer(annotations: Mapping[str, Any]) -> bool:
    """Internal by a cloud's annotation this pack knows, or by the operator's declaration the program
    recorded, as long as every annotation it names is on the Service."""
    if any(test(annotations[key]) for key, test in INTERNAL_ANNOTATIONS.items() if key in annotations):
        return True
    declared = [key for key in str(annotations.get(DECLARED_INTERNAL) or "").split(",") if key]
    return bool(declared) and all(key in annotations for key in declared)


def secret_strings(resource: Resource) -> dict[str, str]:
    """A Secret's contents as text, whether written as stringData or base64 data."""
    decoded = {str(k): base64.b64decode(str(v)).decode(errors="replace") for k, v in dict(resource.props.get("data") or {}).items()}
    return {**decoded, **{str(k): str(v) for k, v in dict(resource.props.get("stringData") or {}).items()}}


def chart_name(resource: Resource) -> str | None:
    if resource.type not in CHARTS:
        return None
    chart = str(resource.props.get("chart") or "")
    return chart.rstrip("/").rsplit("/", 1)[-1]


@dataclass(frozen=True)
class ControlPlane:
    urn: str
    cluster_key: str | None
    cluster: str
    revision: str
    chart_version: str
    mesh_id: str | None
    trust_domain: str | None
    is_remote: bool
    """Remote clusters run no control plane of their own (no replicas, no mesh config)."""
    replicas: int
    disruption_budget: bool
    unbound_identities: str | None = None
    """Why any workload may claim another's mesh identity here, and the fix; None where each workload can
    present only its own (Istio: the SPIFFE ID of its service account)."""


@dataclass(frozen=True)
class Exposure:
    urn: str
    cluster: str
    service_type: str
    internal: bool
    source_ranges: tuple[str, ...]


@dataclass(frozen=True)
class CaMaterial:
    """The CA certificate a cluster's mesh issues workload (or server) certificates with."""

    urn: str
    cluster: str
    ca_cert_pem: str


@dataclass(frozen=True)
class TrustAnchors:
    """The roots a cluster's mesh trusts; they may come from another resource than its CA (Linkerd keeps
    its anchors in chart values and its issuer in a Secret)."""

    urn: str
    cluster: str
    roots_pem: str


@dataclass(frozen=True)
class MeshMtls:
    urn: str
    cluster_key: str | None
    mode: str


@dataclass(frozen=True)
class DefaultAccess:
    """Who may call a meshed workload that declares no callers, mesh-wide in one cluster."""

    urn: str
    cluster_key: str | None
    cluster: str
    deny: bool
    how: str
    """The setting, in the mesh's words (e.g. "proxy.defaultInboundPolicy: deny")."""


@dataclass(frozen=True)
class OwnTraffic:
    """Traffic the mesh itself needs (its control plane, gateways, probes) that a deny default would cut
    unless something lets it through."""

    urn: str
    cluster_key: str | None
    cluster: str
    what: str
    labels: Mapping[str, str]
    """The pods that receive it: an allowance selecting a subset of these labels covers it."""
    fix: str


@dataclass(frozen=True)
class OwnTrafficAllowed:
    """What lets some of the mesh's own traffic through under a deny default: by name (`what`), or every
    pod whose labels include `selector`."""

    urn: str
    cluster_key: str | None
    what: str | None = None
    selector: Mapping[str, str] | None = None

    def covers(self, traffic: OwnTraffic) -> bool:
        if self.cluster_key != traffic.cluster_key:
            return False
        if self.what is not None:
            return self.what == traffic.what
        return self.selector is not None and self.selector.items() <= traffic.labels.items()


class MeshFacts(Protocol):
    name: str

    def control_plane(self, resource: Resource) -> ControlPlane | None: ...

    def east_west_gateway(self, resource: Resource) -> Exposure | None: ...

    def ca_material(self, resource: Resource) -> CaMaterial | None: ...

    def trust_anchors(self, resource: Resource) -> TrustAnchors | None: ...

    def mesh_wide_mtls(self, resource: Resource) -> MeshMtls | None: ...

    def failover_without_outlier_detection(self, resource: Resource) -> list[str]:
        """Traffic policies of the resource that fail over between localities without outlier detection."""

    def remote_kubeconfigs(self, resource: Resource) -> list[tuple[str, str]]:
        """(data key, kubeconfig) pairs this resource hands to a control plane to read another cluster."""

    def default_access(self, resource: Resource) -> DefaultAccess | None: ...

    def own_traffic(self, resource: Resource) -> list[OwnTraffic]:
        """The mesh's own traffic this resource receives, which a deny default must let through."""

    def own_traffic_allowed(self, resource: Resource) -> list[OwnTrafficAllowed]:
        """What of the mesh's own traffic this resource lets through under a deny default."""

    def secret_material(self, value: str) -> str | None:
        """What secret the mesh would hand across clusters this string is (e.g. "a Consul peering token"),
        or None: policies keep such values in Secrets, like private keys."""
