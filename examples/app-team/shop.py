"""The shop's service in one cluster: its namespace in the mesh, a stable and a canary version, the mesh's
routing between them (a weighted split or blue-green, requests with `x-canary: true` sent to the canary,
and locality failover), and the callers it admits (everybody else is refused)."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_kubernetes as k8s

from meshfleet_appteam import (
    AccessRule,
    BlueGreen,
    Caller,
    HeaderMatch,
    HeaderRoute,
    LocalityFailover,
    Mirror,
    ServiceAccessArgs,
    ServiceMesh,
    ServiceRoutingArgs,
    mesh_for,
)
from meshfleet_contract import ClusterRecord, FleetContract

SERVICE = "shop"
PORT = 80
CONTAINER_PORT = 9898
CANARY = "v2"
# Testers and internal users reach the canary on purpose, whatever its share of traffic; every mesh matches exact headers.
CANARY_HEADER = HeaderMatch("x-canary", "true")
# The shop's callers: the storefront's pods (service account `storefront` in the shop's namespace) may read
# and place orders through the API; nobody else may call the shop.
CALLERS = ("storefront",)
CALLER_METHODS = ("GET", "POST")
CALLER_PATHS = ("/api/*",)


@dataclass(frozen=True)
class ShopArgs:
    fleet: FleetContract
    cluster: ClusterRecord
    namespace: str
    images: dict[str, str]
    """Image per version, e.g. {"v1": stable, "v2": canary}."""
    weights: dict[str, int]
    """Percent of traffic per version."""
    live: str | None = None
    """Blue-green: the version that takes all traffic while every version stays deployed. Default: none,
    `weights` split the traffic."""
    replicas: int = 2
    canary_serves: bool = True
    """False once a rollout is promoted or rolled back: the canary runs no pod and no header route reaches it."""
    mirror: bool = False
    """Copy every request of the split to the canary (its answers are dropped): a dark phase to analyse."""


class Shop(pulumi.ComponentResource):
    def __init__(self, name: str, args: ShopArgs, opts: pulumi.ResourceOptions) -> None:
        super().__init__("shop:index:Shop", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        mesh = mesh_for(args.fleet.mesh.type)
        # The platform may have made the namespace for the team already (meshfleet:teams, listed in the contract),
        # in the mesh; two stacks must not both own it. Otherwise the shop makes it, with the labels (Istio,
        # Consul) or annotations (Linkerd) the fleet says put a namespace in its mesh.
        made_by_fleet = any(args.namespace in team.namespaces.get(args.cluster.name, ()) for team in args.fleet.teams.values())
        namespace = (
            None
            if made_by_fleet
            else k8s.core.v1.Namespace(
                f"{name}-namespace",
                metadata=k8s.meta.v1.ObjectMetaArgs(
                    name=args.namespace,
                    labels=args.fleet.mesh.injection_label or None,
                    annotations=args.fleet.mesh.injection_annotations or None,
                ),
                opts=child,
            )
        )
        waits: list[pulumi.Resource] = [namespace] if namespace else []
        in_namespace = pulumi.ResourceOptions(parent=self, depends_on=waits)
        # One identity per service, shared by its versions: the mesh's workload identity is the service
        # account (Istio, Linkerd), and Consul with ACLs only lets a pod register as the service its
        # service account names (connect-init: "service account name ... doesn't match Consul service name").
        account = k8s.core.v1.ServiceAccount(
            f"{name}-service-account",
            metadata=k8s.meta.v1.ObjectMetaArgs(name=SERVICE, namespace=args.namespace, labels={"app": SERVICE}),
            opts=in_namespace,
        )
        # Traffic moves only to pods that are ready and away from pods before they go: the versions that serve
        # after this run roll out first (Pulumi waits for a Deployment's rollout), then the routing changes,
        # then a version that serves no more scales to zero. A promotion thus moves traffic back to the stable
        # version once it runs the canary's image, and a rollback before the canary's pods stop.
        serving = {version: image for version, image in args.images.items() if version != CANARY or args.canary_serves}
        deployments = [
            self._deployment(name, version, image, args.replicas, args, mesh, [*waits, account]) for version, image in serving.items()
        ]
        k8s.core.v1.Service(
            f"{name}-service",
            metadata=k8s.meta.v1.ObjectMetaArgs(name=SERVICE, namespace=args.namespace, labels={"app": SERVICE}),
            spec=k8s.core.v1.ServiceSpecArgs(
                selector={"app": SERVICE},
                # The `http` name tells the mesh the protocol.
                ports=[k8s.core.v1.ServicePortArgs(name="http", port=PORT, target_port=CONTAINER_PORT)],
            ),
            opts=in_namespace,
        )
        if args.cluster.role == "primary":
            # Routing is mesh config: the control planes read it in the clusters that run one.
            routing = mesh.service_routing(
                f"{name}-routing",
                ServiceRoutingArgs(
                    service=SERVICE,
                    namespace=args.namespace,
                    weights={} if args.live else args.weights,
                    blue_green=BlueGreen(versions=tuple(args.images), active=args.live) if args.live else None,
                    header_routes=[HeaderRoute(CANARY, [CANARY_HEADER])] if args.canary_serves else [],
                    mirror=Mirror(CANARY) if args.mirror else None,
                    failover=[LocalityFailover(source, target) for source, target in args.fleet.mesh.locality.failover],
                    port=PORT,
                    # Where this routing lives and where every cluster runs: meshes that fail over to named
                    # peers (Consul) pick the peers of the regions this cluster's region fails over to.
                    cluster=args.cluster.name,
                    cluster_regions={c.name: c.region for c in args.fleet.clusters.values()},
                    # Meshes that route to a Service per version (Linkerd) point those at the pods' port.
                    target_port=CONTAINER_PORT,
                ),
                pulumi.ResourceOptions(parent=self, depends_on=[*waits, *deployments]),
            )
            # Identities come from the fleet's trust domain, so these callers mean the same workloads in every
            # cluster. Meshes whose callers keep their identity across clusters (Istio, Consul) admit them from
            # every cluster; on Linkerd a rule admits the callers of its own cluster (mesh.access says which).
            where = None if mesh.access.remote_callers else args.cluster.name
            mesh.service_access(
                f"{name}-access",
                ServiceAccessArgs(
                    service=SERVICE,
                    namespace=args.namespace,
                    rules=[AccessRule([Caller(account, args.namespace, where) for account in CALLERS], CALLER_METHODS, CALLER_PATHS)],
                    trust_domain=args.fleet.mesh.trust_domain,
                    cluster=args.cluster.name,
                    clusters=list(args.fleet.clusters),
                    port=PORT,
                    target_port=CONTAINER_PORT,
                    # The routing above declares the protocol http (Consul's method and path rules need it).
                    http_protocol=True,
                ),
                pulumi.ResourceOptions(parent=self, depends_on=[*waits, routing]),
            )
        after_routing = [routing] if args.cluster.role == "primary" else []
        for version, image in args.images.items():
            if version not in serving:
                self._deployment(name, version, image, 0, args, mesh, [*waits, account, *after_routing])
        self.register_outputs({"weights": args.weights})

    def _deployment(
        self, name: str, version: str, image: str, replicas: int, args: ShopArgs, mesh: type[ServiceMesh], after: list[pulumi.Resource]
    ) -> k8s.apps.v1.Deployment:
        """One version's pods: the shop's replicas while it serves, none otherwise."""
        labels = {"app": SERVICE, "version": version}
        return k8s.apps.v1.Deployment(
            f"{name}-{version}",
            metadata=k8s.meta.v1.ObjectMetaArgs(name=f"{SERVICE}-{version}", namespace=args.namespace, labels=labels),
            spec=k8s.apps.v1.DeploymentSpecArgs(
                replicas=replicas,
                selector=k8s.meta.v1.LabelSelectorArgs(match_labels=labels),
                template=k8s.core.v1.PodTemplateSpecArgs(
                    # Some meshes tell versions apart by annotation too (Consul's service metadata).
                    metadata=k8s.meta.v1.ObjectMetaArgs(labels=labels, annotations=mesh.version_annotations("version", version) or None),
                    spec=k8s.core.v1.PodSpecArgs(
                        service_account_name=SERVICE,
                        containers=[
                            k8s.core.v1.ContainerArgs(
                                name="shop", image=image, ports=[k8s.core.v1.ContainerPortArgs(container_port=CONTAINER_PORT)]
                            )
                        ],
                    ),
                ),
            ),
            opts=pulumi.ResourceOptions(parent=self, depends_on=after),
        )
