"""What `observability` adds to one cluster beside the mesh's own values: the PodMonitor (when the fleet
runs the Prometheus Operator) and the golden-signals dashboard ConfigMap. Nothing when both are off."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pulumi
import pulumi_kubernetes as k8s

from .. import naming
from ..config import ClusterSpec, ObservabilitySpec
from . import dashboards, scrape


@dataclass(frozen=True)
class MeshTelemetryArgs:
    cluster: ClusterSpec
    observability: ObservabilitySpec
    mesh_type: str
    """Picks the metric names of the dashboards (signals.py)."""
    target: scrape.ScrapeTarget
    """Where this mesh's proxies serve metrics."""
    after: Sequence[pulumi.Resource]
    """The mesh's releases: the PodMonitor goes into the mesh's namespace, made with them."""
    gateways: scrape.ScrapeTarget | None = None
    """Where the mesh's gateways serve metrics, when the proxies' PodMonitor does not select them."""


class MeshTelemetry(pulumi.ComponentResource):
    pod_monitor: k8s.apiextensions.CustomResource | None
    gateway_monitor: k8s.apiextensions.CustomResource | None
    dashboard: k8s.core.v1.ConfigMap | None

    def __init__(self, args: MeshTelemetryArgs, opts: pulumi.ResourceOptions) -> None:
        cluster = args.cluster.name
        super().__init__("meshfleet:observability:MeshTelemetry", cluster, None, opts)
        spec = args.observability
        self.pod_monitor = self.gateway_monitor = None
        if spec.prometheus_operator:
            self.pod_monitor = self._pod_monitor(args, "pod-monitor", scrape.POD_MONITOR, args.target)
            if args.gateways is not None:
                self.gateway_monitor = self._pod_monitor(args, "gateway-monitor", scrape.GATEWAY_POD_MONITOR, args.gateways)
        self.dashboard = None
        if spec.dashboards_namespace is not None:
            self.dashboard = k8s.core.v1.ConfigMap(
                naming.child(cluster, "golden-signals-dashboard"),
                metadata=k8s.meta.v1.ObjectMetaArgs(
                    name=dashboards.CONFIGMAP, namespace=spec.dashboards_namespace, labels=dict(dashboards.SIDECAR_LABEL)
                ),
                data=dashboards.dashboard_data(args.mesh_type),
                opts=pulumi.ResourceOptions(parent=self),
            )
        self.register_outputs(
            {"pod_monitor": scrape.POD_MONITOR if self.pod_monitor else None, "dashboard": dashboards.CONFIGMAP if self.dashboard else None}
        )

    def _pod_monitor(
        self, args: MeshTelemetryArgs, name: str, object_name: str, target: scrape.ScrapeTarget
    ) -> k8s.apiextensions.CustomResource:
        return k8s.apiextensions.CustomResource(
            naming.child(args.cluster.name, name),
            api_version=scrape.API_VERSION,
            kind="PodMonitor",
            metadata=k8s.meta.v1.ObjectMetaArgs(
                name=object_name, namespace=target.namespace, labels=dict(args.observability.pod_monitor_labels) or None
            ),
            spec=scrape.pod_monitor_spec(args.cluster.name, target),
            opts=pulumi.ResourceOptions(parent=self, depends_on=list(args.after)),
        )


def mesh_telemetry(args: MeshTelemetryArgs, opts: pulumi.ResourceOptions) -> MeshTelemetry | None:
    """The component, or None when the fleet asks for neither scrape objects nor dashboards."""
    if not args.observability.prometheus_operator and args.observability.dashboards_namespace is None:
        return None
    return MeshTelemetry(args, opts)
