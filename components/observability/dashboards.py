"""The golden-signals Grafana dashboard of a mesh: request rate, error rate and latency p50/p95/p99 per
service, version and cluster, in that mesh's own metric names (signals.py). Shipped as a ConfigMap with
the `grafana_dashboard: "1"` label that Grafana's dashboard sidecar (kube-prometheus-stack) loads."""

from __future__ import annotations

import json
from typing import Any

from .signals import CLUSTER_LABEL, SERVICE_LABEL, SIGNALS, VERSION_LABEL, MeshSignals

CONFIGMAP = "meshfleet-golden-signals"
SIDECAR_LABEL = {"grafana_dashboard": "1"}
WINDOW = "$__rate_interval"
GROUP = f"{CLUSTER_LABEL}, namespace, {SERVICE_LABEL}, {VERSION_LABEL}"
FILTER = {CLUSTER_LABEL: "~$cluster", "namespace": "~$namespace", SERVICE_LABEL: "~$service", VERSION_LABEL: "~$version"}
LEGEND = "{{cluster}} {{namespace}}/{{app}} {{version}}"


def _variable(name: str, label: str, signals: MeshSignals) -> dict[str, Any]:
    return {
        "name": name,
        "label": name,
        "type": "query",
        "datasource": {"type": "prometheus", "uid": "${datasource}"},
        "query": {"query": f"label_values({signals.requests}, {label})", "refId": name},
        "includeAll": True,
        "multi": True,
        "allValue": ".*",
        "current": {"text": "All", "value": "$__all"},
        "refresh": 2,
    }


def _panel(index: int, title: str, unit: str, targets: list[tuple[str, str]]) -> dict[str, Any]:
    return {
        "id": index + 1,
        "type": "timeseries",
        "title": title,
        "datasource": {"type": "prometheus", "uid": "${datasource}"},
        "gridPos": {"x": 0, "y": index * 8, "w": 24, "h": 8},
        "fieldConfig": {"defaults": {"unit": unit}, "overrides": []},
        "targets": [{"refId": chr(ord("A") + i), "expr": expr, "legendFormat": legend} for i, (expr, legend) in enumerate(targets)],
    }


def golden_signals_dashboard(mesh_type: str) -> dict[str, Any]:
    signals = SIGNALS[mesh_type]
    latency = [(signals.latency_quantile(q, FILTER, WINDOW, GROUP), f"p{round(q * 100)} {LEGEND}") for q in (0.5, 0.95, 0.99)]
    return {
        "uid": f"meshfleet-{mesh_type}-golden",
        "title": f"meshfleet golden signals ({mesh_type})",
        "tags": ["meshfleet", mesh_type],
        "schemaVersion": 39,
        "time": {"from": "now-1h", "to": "now"},
        "refresh": "30s",
        "templating": {
            "list": [
                {"name": "datasource", "label": "Prometheus", "type": "datasource", "query": "prometheus"},
                *(
                    _variable(name, label, signals)
                    for name, label in (
                        ("cluster", CLUSTER_LABEL),
                        ("namespace", "namespace"),
                        ("service", SERVICE_LABEL),
                        ("version", VERSION_LABEL),
                    )
                ),
            ]
        },
        "panels": [
            _panel(0, "Request rate", "reqps", [(signals.request_rate(FILTER, WINDOW, GROUP), LEGEND)]),
            _panel(1, "Error rate", "percentunit", [(signals.error_ratio(FILTER, WINDOW, GROUP), LEGEND)]),
            _panel(2, "Latency p50 / p95 / p99", "ms", latency),
        ],
    }


def dashboard_data(mesh_type: str) -> dict[str, str]:
    """The ConfigMap's data: one JSON file, as the sidecar expects."""
    return {f"{CONFIGMAP}.json": json.dumps(golden_signals_dashboard(mesh_type), indent=1, sort_keys=True)}
