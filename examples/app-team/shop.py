"""The shop's service in one cluster: its namespace in the mesh, a stable and a canary version, and the
mesh's routing between them with locality failover."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_kubernetes as k8s

from components.config import LocalityFailover
from components.contract import ClusterRecord, FleetContract
from components.meshes import ServiceRoutingArgs, mesh_for

PORT = 80
CONTAINER_PORT = 9898


@dataclass(frozen=True)
class ShopArgs:
    fleet: FleetContract
    cluster: ClusterRecord
    namespace: str
    images: dict[str, str]
    """Image per version, e.g. {"v1": stable, "v2": canary}."""
    weights: dict[str, int]
    """Percent of traffic per version."""
    replicas: int = 2


class Shop(pulumi.ComponentResource):
    def __init__(self, name: str, args: ShopArgs, opts: pulumi.ResourceOptions) -> None:
        super().__init__("shop:index:Shop", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        mesh = mesh_for(args.fleet.mesh.type)
        # The fleet says which labels (Istio, Consul) or annotations (Linkerd) put a namespace in its mesh.
        namespace = k8s.core.v1.Namespace(
            f"{name}-namespace",
            metadata=k8s.meta.v1.ObjectMetaArgs(
                name=args.namespace,
                labels=args.fleet.mesh.injection_label or None,
                annotations=args.fleet.mesh.injection_annotations or None,
            ),
            opts=child,
        )
        in_namespace = pulumi.ResourceOptions(parent=self, depends_on=[namespace])
        for version, image in args.images.items():
            labels = {"app": "shop", "version": version}
            k8s.apps.v1.Deployment(
                f"{name}-{version}",
                metadata=k8s.meta.v1.ObjectMetaArgs(name=f"shop-{version}", namespace=args.namespace, labels=labels),
                spec=k8s.apps.v1.DeploymentSpecArgs(
                    replicas=args.replicas,
                    selector=k8s.meta.v1.LabelSelectorArgs(match_labels=labels),
                    template=k8s.core.v1.PodTemplateSpecArgs(
                        # Some meshes tell versions apart by annotation too (Consul's service metadata).
                        metadata=k8s.meta.v1.ObjectMetaArgs(
                            labels=labels, annotations=mesh.version_annotations("version", version) or None
                        ),
                        spec=k8s.core.v1.PodSpecArgs(
                            containers=[
                                k8s.core.v1.ContainerArgs(
                                    name="shop", image=image, ports=[k8s.core.v1.ContainerPortArgs(container_port=CONTAINER_PORT)]
                                )
                            ]
                        ),
                    ),
                ),
                opts=in_namespace,
            )
        k8s.core.v1.Service(
            f"{name}-service",
            metadata=k8s.meta.v1.ObjectMetaArgs(name="shop", namespace=args.namespace, labels={"app": "shop"}),
            spec=k8s.core.v1.ServiceSpecArgs(
                selector={"app": "shop"},
                # The `http` name tells the mesh the protocol.
                ports=[k8s.core.v1.ServicePortArgs(name="http", port=PORT, target_port=CONTAINER_PORT)],
            ),
            opts=in_namespace,
        )
        if args.cluster.role == "primary":
            # Routing is mesh config: the control planes read it in the clusters that run one.
            mesh.service_routing(
                f"{name}-routing",
                ServiceRoutingArgs(
                    service="shop",
                    namespace=args.namespace,
                    weights=args.weights,
                    failover=[LocalityFailover(source, target) for source, target in args.fleet.mesh.locality.failover],
                    port=PORT,
                ),
                in_namespace,
            )
        self.register_outputs({"weights": args.weights})
