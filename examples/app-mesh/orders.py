"""The `orders` service after App Mesh, in one cluster of an Istio fleet on EKS (docs/coming-from-app-mesh.md).

Each App Mesh object of the service becomes one argument here:

- VirtualNode `orders-v1` / `orders-v2` (podSelector, Cloud Map attribute `version`) -> a Deployment per
  version with the `version` label, behind one Kubernetes Service (the mesh discovers it in every cluster);
- VirtualRouter `orders-router` and its routes -> `ServiceRoutingArgs`: the `x-canary` header route, the
  weighted targets, the retry policy and the per-request timeout;
- VirtualService `orders.shop.svc.cluster.local` -> the Service's own name: callers keep the same host;
- VirtualNode `storefront`'s backend `orders` -> `ServiceAccessArgs`: the caller is declared on the called
  side, by its service account, instead of as the caller's egress allow-list.
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_kubernetes as k8s

from meshfleet_appteam import (
    AccessRule,
    Caller,
    HeaderMatch,
    HeaderRoute,
    LocalityFailover,
    Retries,
    ServiceAccessArgs,
    ServiceRoutingArgs,
    mesh_for,
)
from meshfleet_contract import ClusterRecord, FleetContract

SERVICE = "orders"
PORT = 8080  # the App Mesh listener's port, kept so callers need no change
# App Mesh route `canary-header`: `match.headers[{name: x-canary, match: {exact: "true"}}]` to orders-v2.
CANARY = HeaderRoute("v2", [HeaderMatch("x-canary", "true")])
# App Mesh route `default`: retryPolicy {maxRetries: 2, perRetryTimeout: 2s, httpRetryEvents: [server-error,
# gateway-error], tcpRetryEvents: [connection-error]} and timeout.perRequest 10s.
RETRIES = Retries(attempts=2, on=("5xx", "gateway-error", "connect-failure"), per_try_timeout="2s")
TIMEOUT = "10s"
# App Mesh virtual node `storefront` listed `orders` as a backend: now orders admits storefront's identity.
CALLER = "storefront"


@dataclass(frozen=True)
class OrdersArgs:
    fleet: FleetContract
    cluster: ClusterRecord
    namespace: str
    images: dict[str, str]
    """Image per version (App Mesh: one virtual node each)."""
    weights: dict[str, int]
    """Percent of traffic per version (App Mesh: the `default` route's weightedTargets)."""


class Orders(pulumi.ComponentResource):
    def __init__(self, name: str, args: OrdersArgs, opts: pulumi.ResourceOptions) -> None:
        super().__init__("orders:index:Orders", name, None, opts)
        mesh = mesh_for(args.fleet.mesh.type)
        # App Mesh: the namespace's `appmesh.k8s.aws/sidecarInjectorWebhook: enabled` label; here the fleet's.
        namespace = k8s.core.v1.Namespace(
            f"{name}-namespace",
            metadata=k8s.meta.v1.ObjectMetaArgs(
                name=args.namespace,
                labels=args.fleet.mesh.injection_label or None,
                annotations=args.fleet.mesh.injection_annotations or None,
            ),
            opts=pulumi.ResourceOptions(parent=self),
        )
        in_namespace = pulumi.ResourceOptions(parent=self, depends_on=[namespace])
        # The workload identity (App Mesh: the virtual node's ACM-PCA certificate) is the service account.
        account = k8s.core.v1.ServiceAccount(
            f"{name}-account", metadata=k8s.meta.v1.ObjectMetaArgs(name=SERVICE, namespace=args.namespace), opts=in_namespace
        )
        for version, image in args.images.items():
            labels = {"app": SERVICE, "version": version}
            container = k8s.core.v1.ContainerArgs(name=SERVICE, image=image, ports=[k8s.core.v1.ContainerPortArgs(container_port=PORT)])
            k8s.apps.v1.Deployment(
                f"{name}-{version}",
                metadata=k8s.meta.v1.ObjectMetaArgs(name=f"{SERVICE}-{version}", namespace=args.namespace, labels=labels),
                spec=k8s.apps.v1.DeploymentSpecArgs(
                    replicas=2,
                    selector=k8s.meta.v1.LabelSelectorArgs(match_labels=labels),
                    template=k8s.core.v1.PodTemplateSpecArgs(
                        metadata=k8s.meta.v1.ObjectMetaArgs(labels=labels),
                        spec=k8s.core.v1.PodSpecArgs(service_account_name=SERVICE, containers=[container]),
                    ),
                ),
                opts=pulumi.ResourceOptions(parent=self, depends_on=[namespace, account]),
            )
        # Cloud Map's `orders` service in the `shop.local` namespace: the Kubernetes Service, which the mesh
        # discovers in every cluster of the fleet (Istio: the remote secrets the fleet made).
        k8s.core.v1.Service(
            f"{name}-service",
            metadata=k8s.meta.v1.ObjectMetaArgs(name=SERVICE, namespace=args.namespace),
            spec=k8s.core.v1.ServiceSpecArgs(
                selector={"app": SERVICE}, ports=[k8s.core.v1.ServicePortArgs(name="http", port=PORT, target_port=PORT)]
            ),
            opts=in_namespace,
        )
        routing = mesh.service_routing(
            f"{name}-routing",
            ServiceRoutingArgs(
                service=SERVICE,
                namespace=args.namespace,
                weights=args.weights,
                header_routes=[CANARY],
                timeout=TIMEOUT,
                retries=RETRIES,
                # App Mesh had one mesh per region and no failover between them; the fleet's order applies.
                failover=[LocalityFailover(source, target) for source, target in args.fleet.mesh.locality.failover],
                port=PORT,
                cluster=args.cluster.name,
                cluster_regions={c.name: c.region for c in args.fleet.clusters.values()},
            ),
            in_namespace,
        )
        mesh.service_access(
            f"{name}-access",
            ServiceAccessArgs(
                service=SERVICE,
                namespace=args.namespace,
                rules=[AccessRule([Caller(CALLER, args.namespace, None if mesh.access.remote_callers else args.cluster.name)])],
                trust_domain=args.fleet.mesh.trust_domain,
                cluster=args.cluster.name,
                clusters=list(args.fleet.clusters),
                port=PORT,
                http_protocol=True,
            ),
            pulumi.ResourceOptions(parent=self, depends_on=[namespace, routing]),
        )
        self.register_outputs({"weights": args.weights})
