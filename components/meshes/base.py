"""The interface every mesh module implements, shaped from Istio, Linkerd and Consul alike.

All three need the same five things from the fleet, and differ in how they do them:

| need                         | Istio                              | Linkerd                              | Consul                                  |
|------------------------------|------------------------------------|--------------------------------------|-----------------------------------------|
| CA per cluster               | `cacerts` Secret (intermediate)    | issuer Secret, P-256 (not in values) | agent TLS CA Secrets (intermediate)     |
| control plane                | base + istiod charts               | crds + control-plane charts          | consul chart                            |
| east-west gateway            | gateway chart, `networkGateway`    | linkerd-multicluster gateway         | `meshGateway` of the consul chart       |
| cross-cluster discovery      | remote secrets (reader token)      | Link + credentials (reader token)    | peering acceptor/dialer (token copy)    |
| locality failover            | DestinationRule + outlier detection| within a cluster only (honest)       | ServiceResolver failover to peers       |
| workload identity            | chains to the fleet root           | chains to the fleet root             | declared by the module (`identity`)     |

So a mesh module is a `Mesh` subclass: it validates its own `mesh.<type>` settings, names the CA
profile and firewall ports it needs, and deploys itself onto the fleet's clusters. Shared pieces
(trust, clusters, load-balancer annotations, reader credentials, firewall rules) live outside the
mesh modules and are called by them.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass
from typing import ClassVar

import pulumi

from ..clusters import Cluster, ClusterNeeds
from ..config import ClusterSpec, FleetSpec, MeshRules, Section
from ..last_deployment import LastDeployment
from ..trust import CaProfile, FleetTrust
from .access import AccessSupport, ServiceAccessArgs
from .routing import ServiceRoutingArgs


@dataclass(frozen=True)
class MeshPorts:
    """TCP ports the mesh needs opened on clusters the stack creates."""

    webhooks: tuple[int, ...]
    """Called by the cluster's own API server on mesh pods (admission webhooks)."""
    east_west: tuple[int, ...]
    """Reached by the other clusters on every cluster's east-west gateway."""
    control_plane_exposure: tuple[int, ...] = ()
    """Reached by remote clusters on the gateway of the primary that serves them."""
    peers_read_api: bool = True
    """Whether the other clusters' control planes read this cluster's API server (Istio's remote secrets,
    Linkerd's links; not Consul's peering, which runs through the mesh gateways). Created clusters with
    narrowed API access then admit their peers' egress addresses."""


@dataclass(frozen=True)
class LocalitySupport:
    """What locality-aware routing the mesh really offers; the fleet reports this instead of pretending."""

    cross_cluster_failover: bool
    summary: str


@dataclass(frozen=True)
class IdentitySupport:
    """Whether workload identities chain to the fleet's shared root, or each cluster keeps its own CA."""

    shared_root: bool
    summary: str


class MeshDeployment(pulumi.ComponentResource):
    """The mesh installed across the fleet; its outputs feed the stack's contract."""

    def cluster_outputs(self, cluster: str) -> dict[str, pulumi.Input[object]]:
        """Mesh facts about one cluster that app teams may rely on: `eastWestGatewayAddress`."""
        raise NotImplementedError

    def fleet_outputs(self) -> dict[str, pulumi.Input[object]]:
        """Mesh facts about the whole fleet: `injectionLabel` and `injectionAnnotations` (the namespace
        labels and annotations that put a namespace's workloads in the mesh), `revisions` ({} for a mesh
        without revisions) and `defaultRevision` (None without one)."""
        raise NotImplementedError

    def state_outputs(self) -> dict[str, pulumi.Input[object]]:
        """Stack outputs outside the contract that the next deployment reads back (Mesh.check_last_deployment).
        Default: none."""
        return {}


class Mesh(ABC):
    """One mesh type, bound to one fleet's validated configuration."""

    type: ClassVar[str]
    rules: ClassVar[MeshRules]
    ports: ClassVar[MeshPorts]
    locality: ClassVar[LocalitySupport]
    identity: ClassVar[IdentitySupport]
    access: ClassVar[AccessSupport]
    standby_intermediates: ClassVar[bool] = False
    """Whether every cluster also needs an intermediate under each other root with a key, trusted before it
    signs (FleetTrustArgs.standby_intermediates): for a mesh whose verifiers anchor on the intermediate."""

    def __init__(self, fleet: FleetSpec) -> None:
        self.fleet = fleet

    @classmethod
    @abstractmethod
    def from_config(cls, fleet: FleetSpec, settings: Section) -> Mesh:
        """Check the mesh-specific settings (`mesh.<type>`) and the fleet against this mesh's limits,
        recording problems in `settings.problems`, and return the mesh bound to them."""

    @abstractmethod
    def ca_profile(self, cluster: ClusterSpec) -> CaProfile | None:
        """Subject and names of the intermediate CA this mesh runs on `cluster`; None if it needs none."""

    @abstractmethod
    def deploy(
        self, clusters: Mapping[str, Cluster], trust: FleetTrust, last: LastDeployment, opts: pulumi.ResourceOptions
    ) -> MeshDeployment:
        """Install the control planes, gateways and cross-cluster discovery. `last`: what the stack's last
        deployment published, for what a preview may read only once an earlier `pulumi up` made it."""

    @classmethod
    @abstractmethod
    def service_routing(cls, name: str, args: ServiceRoutingArgs, opts: pulumi.ResourceOptions) -> pulumi.ComponentResource:
        """For app teams: weighted versions and locality failover for one service, in one cluster (the
        provider in `opts`). A mesh that cannot fail over across clusters says so in `locality`."""

    @classmethod
    @abstractmethod
    def service_access(cls, name: str, args: ServiceAccessArgs, opts: pulumi.ResourceOptions) -> pulumi.ComponentResource:
        """For app teams: the callers allowed to call one service, in one cluster (the provider in `opts`);
        everybody else is refused. What the mesh's identities cannot express is refused, as `access` says."""

    @classmethod
    def version_annotations(cls, version_label: str, version: str) -> dict[str, str]:
        """Pod annotations that one version's pods need so that `service_routing` tells the versions
        apart, beside the `version_label` pod label every mesh reads. Default: none."""
        return {}

    def check_last_deployment(self, last: LastDeployment) -> None:
        """Refuse, with a FleetConfigError naming the key, a change that the stack's last deployment makes
        impossible, or keep what it did where a default would undo it destructively; called before anything but
        the reference to that deployment is registered (and before `cluster_needs` and `deploy`). Default: none."""
        return None

    def cluster_needs(self) -> ClusterNeeds:
        """What every cluster must provide this mesh: created clusters are given it. Default: nothing."""
        return ClusterNeeds()

    def serves_remotes(self, cluster: ClusterSpec) -> bool:
        return bool(self.fleet.remotes_of(cluster.name))
