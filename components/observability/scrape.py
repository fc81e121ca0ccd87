"""Scrape objects for the Prometheus Operator: one PodMonitor per cluster for every meshed proxy.

The relabelings put the fleet's `cluster` label on every series (the proxies do not know the cluster's
fleet name: Istio has it only as `source_cluster`/`destination_cluster` on its own metrics, Linkerd not at
all, Consul as `consul_*_datacenter` tags), and copy the pod's `app` and `version` labels, which the
golden-signals dashboards and the canary gate select by (observability/signals.py). Fields are those of
`monitoring.coreos.com/v1` PodMonitor (podMetricsEndpoints[].port/path/relabelings, namespaceSelector.any).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from .signals import CLUSTER_LABEL, SERVICE_LABEL, VERSION_LABEL

API_VERSION = "monitoring.coreos.com/v1"
POD_MONITOR = "meshfleet-mesh-proxies"
GATEWAY_POD_MONITOR = "meshfleet-mesh-gateways"


@dataclass(frozen=True)
class ScrapeTarget:
    """Where a mesh's sidecars serve their Prometheus metrics."""

    namespace: str
    """The mesh's own namespace, where its PodMonitor lives."""
    port: str | int
    """Name of the proxy container's metrics port, or its number where the container does not name it
    (written as `targetPort`)."""
    path: str
    selector: Mapping[str, Any]
    """A label selector matching every meshed pod."""


def pod_monitor_spec(cluster: str, target: ScrapeTarget) -> dict[str, Any]:
    return {
        "selector": dict(target.selector),
        "namespaceSelector": {"any": True},
        "podMetricsEndpoints": [
            {
                ("port" if isinstance(target.port, str) else "targetPort"): target.port,
                "path": target.path,
                "relabelings": [
                    {"action": "replace", "targetLabel": CLUSTER_LABEL, "replacement": cluster},
                    *(
                        {"action": "replace", "sourceLabels": [f"__meta_kubernetes_pod_label_{label}"], "targetLabel": label}
                        for label in (SERVICE_LABEL, VERSION_LABEL)
                    ),
                ],
            }
        ],
    }
