"""Typed fleet configuration: what one stack's config describes once it has been validated.

Every record is frozen: the fleet is built from this plan and nothing changes it afterwards.
Clusters are keyed by their stable name (adding a cluster never renames another one).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

from meshfleet_appteam.locality import LocalityFailover

from .observability import ObservabilitySpec

if TYPE_CHECKING:
    from .teams import TeamSpec

Cloud = Literal["aws", "gcp", "existing"]
Role = Literal["primary", "remote"]
Topology = Literal["multi-primary", "primary-remote"]
Exposure = Literal["internal", "public"]
KeyAlgorithm = Literal["ECDSA", "RSA"]
MtlsMode = Literal["STRICT", "PERMISSIVE"]
AccessDefault = Literal["allow", "deny"]

CLOUDS: tuple[Cloud, ...] = ("aws", "gcp", "existing")
TOPOLOGIES: tuple[Topology, ...] = ("multi-primary", "primary-remote")
EXPOSURES: tuple[Exposure, ...] = ("internal", "public")
ACCESS_DEFAULTS: tuple[AccessDefault, ...] = ("allow", "deny")


@dataclass(frozen=True)
class NodePoolSpec:
    """Size of the one managed node group or node pool of a created cluster."""

    instance_types: tuple[str, ...]
    """Machine types. Default: m6i.large on AWS, e2-standard-4 on GCP."""
    min_size: int
    """Default: 3 (one node per zone of a three-zone region)."""
    max_size: int
    """Default: 6."""
    desired_size: int
    """Default: min_size."""


@dataclass(frozen=True)
class EksSpec:
    """`clusters[].create` for `cloud: aws`: an EKS cluster with its own VPC."""

    kubernetes_version: str
    """EKS minor version. Default: 1.33."""
    vpc_cidr: str
    """IPv4 range of the cluster's VPC. Default: 10.0.0.0/16 (give each cluster its own range)."""
    nodes: NodePoolSpec
    admin_principal_arns: tuple[str, ...]
    """IAM principals granted cluster-admin through EKS access entries, beside the creator.
    Default: none."""
    api_access_cidrs: tuple[str, ...]
    """CIDRs allowed to reach the public API endpoint. Default: 0.0.0.0/0 (IAM still authenticates);
    when narrowed and the mesh's control planes read their peers' APIs (Istio, Linkerd), the other
    clusters' egress addresses are added."""
    kubeconfig_role_arn: str | None
    """Role that `aws eks get-token` assumes in the generated kubeconfig. Default: the caller's identity."""


@dataclass(frozen=True)
class GkeSpec:
    """`clusters[].create` for `cloud: gcp`: a VPC-native GKE cluster with private nodes."""

    project: str
    """GCP project id. Required."""
    release_channel: str
    """GKE release channel. Default: REGULAR."""
    subnet_cidr: str
    """Node range. Default: 10.20.0.0/20."""
    pods_cidr: str
    """Secondary range for pods. Default: 10.24.0.0/14."""
    services_cidr: str
    """Secondary range for services. Default: 10.28.0.0/20."""
    master_cidr: str
    """/28 range of the private control plane. Default: 172.16.0.0/28."""
    nodes: NodePoolSpec
    api_access_cidrs: tuple[str, ...]
    """CIDRs allowed to reach the control plane endpoint. Default: 0.0.0.0/0; when narrowed and the
    mesh's control planes read their peers' APIs, the other clusters' egress addresses are added."""
    rbac_security_group: str | None = None
    """`gke-security-groups@<domain>`: turns on Google Groups for RBAC, which a team's `group:` identities
    need on this cluster. Default: off (RBAC sees users and service accounts only)."""


@dataclass(frozen=True)
class ExistingSpec:
    """`clusters[].existing`: a cluster that another tool or stack owns. Exactly one source is set."""

    context: str | None
    """A context of the operator's kubeconfig (KUBECONFIG or ~/.kube/config)."""
    kubeconfig_secret_key: str | None
    """Name of a secret config key (in this project's namespace) that holds a kubeconfig."""
    stack_reference: str | None
    """`org/project/stack` of a stack that owns the cluster and exports its kubeconfig."""
    stack_output: str
    """Output of that stack holding the kubeconfig. Default: kubeconfig."""
    api_server: str | None
    """API server URL as the other clusters reach it. Default: the kubeconfig's server."""
    egress_cidrs: tuple[str, ...]
    """Addresses this cluster's traffic leaves from, for the peers' allow-lists. Default: none."""
    internal_load_balancer_annotations: Mapping[str, str] | None = None
    """Service annotations that make a load balancer internal on this cluster's platform; `{}` when every
    load balancer there is private already (kind, MetalLB on a private range). Required when the
    cluster's gateway exposure is internal: meshfleet cannot tell an adopted cluster's platform."""
    api_server_ca: str | None = None
    """PEM of the CA(s) that sign the certificate `api_server` presents, which the peers' reader
    kubeconfigs trust. Default: the kubeconfig's CA (right when `api_server` is the same API server
    behind another name)."""
    storage_class: str | None = None
    """The StorageClass that volumes the mesh claims name (Consul's servers); it must exist and its provisioner
    run in the cluster. Default: none named, so the cluster's default StorageClass (docs/consul.md, "What a cluster must provide")."""

    @property
    def source(self) -> str:
        if self.context is not None:
            return "context"
        if self.kubeconfig_secret_key is not None:
            return "kubeconfigSecret"
        return "stackReference"


@dataclass(frozen=True)
class GatewaySpec:
    """How a cluster's east-west gateway is exposed."""

    exposure: Exposure
    """`internal` (default, secure) or `public`; public must be asked for by name."""
    source_ranges: tuple[str, ...]
    """Extra CIDRs allowed to reach the gateway, beside the peers' egress addresses. Default: none."""
    replicas: int
    """Gateway pods. Default: 2 (a disruption budget keeps one up during node drains)."""


@dataclass(frozen=True)
class ClusterSpec:
    name: str
    cloud: Cloud
    region: str
    zones: tuple[str, ...]
    network: str
    role: Role
    primary: str | None
    """For `role: remote`: the primary cluster whose control plane serves this cluster."""
    gateway: GatewaySpec
    create: EksSpec | GkeSpec | None = None
    existing: ExistingSpec | None = None
    config_key: str = ""
    """Where this cluster sits in the config, with its name (`meshfleet:clusters[2] (gke-euw1)`), for messages about it."""

    @property
    def is_primary(self) -> bool:
        return self.role == "primary"


@dataclass(frozen=True)
class MeshSpec:
    type: str
    version: str
    """Exact chart version, pinned (no ranges)."""
    mesh_id: str
    trust_domain: str
    topology: Topology
    mtls: MtlsMode
    """Mesh-wide mTLS. Default: STRICT."""
    locality_failover: tuple[LocalityFailover, ...]
    """Mesh-wide failover order between regions. Default: none (nearest locality first, then any)."""
    control_plane_replicas: int
    """Control plane replicas per primary cluster. Default: 2 (with a disruption budget); Consul: 3 servers."""
    options: Mapping[str, object] = field(default_factory=dict)
    """The mesh-specific block (`mesh.<type>`), parsed by that mesh's module."""
    default_access: AccessDefault = "allow"
    """Who may call a meshed service that declares no callers. Default: `allow` (any meshed workload);
    `deny` lets through only the callers services declare (each mesh's `service_access`)."""


@dataclass(frozen=True)
class RootSpec:
    name: str
    provided: bool
    """False: generated by the stack with pulumi-tls. True: brought from secret config."""
    certificate_key: str | None
    """Secret config key holding the PEM certificate of a provided root."""
    private_key_key: str | None
    """Secret config key holding the PEM private key of a provided root; None for a trust-only root."""
    protect: bool
    """Protect the generated root from deletion. Default: trust.protectRoots."""

    @property
    def can_sign(self) -> bool:
        return not self.provided or self.private_key_key is not None


@dataclass(frozen=True)
class TrustSpec:
    algorithm: KeyAlgorithm
    """Default: ECDSA (P-256), which every supported mesh accepts for its issuer."""
    rsa_bits: int
    """RSA key size when algorithm is RSA. Default: 4096."""
    organization: str
    root_validity_hours: int
    intermediate_validity_hours: int
    intermediate_early_renewal_hours: int
    """A `pulumi up` this close to expiry re-issues the intermediate. Default: a tenth of its validity."""
    roots: tuple[RootSpec, ...]
    """The trust bundle, in order. Several roots let the fleet rotate without an outage."""
    signing_root: str
    """The root that signs the intermediates. Default: the first root."""

    @property
    def signer(self) -> RootSpec:
        return next(root for root in self.roots if root.name == self.signing_root)


@dataclass(frozen=True)
class FleetSpec:
    mesh: MeshSpec
    trust: TrustSpec
    clusters: Mapping[str, ClusterSpec]
    """Keyed by cluster name, in config order."""
    observability: ObservabilitySpec = field(default_factory=ObservabilitySpec)
    """`meshfleet:observability`. Default: everything off."""
    teams: tuple[TeamSpec, ...] = ()
    """`meshfleet:teams`: each app team's namespaces and edit rights in them. Default: none."""

    @property
    def primaries(self) -> list[ClusterSpec]:
        return [c for c in self.clusters.values() if c.is_primary]

    def remotes_of(self, primary: str) -> list[ClusterSpec]:
        return [c for c in self.clusters.values() if c.primary == primary]
