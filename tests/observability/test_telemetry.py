"""`meshfleet:observability` on every mesh (components/observability/telemetry.py and each mesh's values):
the PodMonitor and dashboard per cluster, and what each mesh's charts and custom resources receive."""

from __future__ import annotations

import json
from typing import Any

import pytest

from components.simulation import Recorded, Simulation, simulate
from tests.meshes.helpers import RELEASE, depends_on, release
from tests.support import CONSUL, LINKERD

CONFIGMAP = "kubernetes:core/v1:ConfigMap"
TELEMETRY_COMPONENT = "meshfleet:observability:MeshTelemetry"
ENDPOINT = "otel-collector.observability.svc.cluster.local:4317"
ZIPKIN = "otel-collector.observability.svc.cluster.local:9411"
SCRAPER = {"serviceAccount": "prometheus", "namespace": "monitoring"}
OBSERVABILITY: dict[str, Any] = {
    "metrics": {"enabled": True, "prometheusOperator": True, "podMonitorLabels": {"release": "kube-prometheus-stack"}},
    "tracing": {"endpoint": ENDPOINT, "samplingPercent": 5},
    "accessLogs": True,
    "dashboards": {"namespace": "monitoring"},
}
PROD_CLUSTERS = ("eks-use1", "eks-usw2", "gke-euw1")
LINKERD_CLUSTERS = ("eks-use1", "eks-euc1", "gke-usc1")


def observed(stack: str, observability: dict[str, Any], **kwargs: Any) -> Simulation:
    return simulate(stack, config={"meshfleet:observability": observability}, **kwargs)


@pytest.fixture(scope="module")
def istio() -> Simulation:
    return observed("prod", OBSERVABILITY)


@pytest.fixture(scope="module")
def linkerd_observed() -> Simulation:
    tracing = {"endpoint": ENDPOINT, "collectorServiceAccount": "otel-collector"}
    metrics = {**OBSERVABILITY["metrics"], "scraper": SCRAPER}
    return observed("linkerd", {**OBSERVABILITY, "metrics": metrics, "tracing": tracing}, config_file=LINKERD)


@pytest.fixture(scope="module")
def consul_observed() -> Simulation:
    tracing = {"zipkinEndpoint": ZIPKIN, "samplingPercent": 5}
    return observed("consul", {**OBSERVABILITY, "tracing": tracing}, config_file=CONSUL)


def custom(sim: Simulation, name: str, kind: str) -> Recorded:
    found = sim.named(name)
    assert found.type.endswith(f":{kind}") and found.inputs["kind"] == kind, found.urn
    return found


def pod_monitor(sim: Simulation, cluster: str) -> Recorded:
    return custom(sim, f"{cluster}-pod-monitor", "PodMonitor")


def relabelings(cluster: str) -> list[dict[str, Any]]:
    return [
        {"action": "replace", "targetLabel": "cluster", "replacement": cluster},
        {"action": "replace", "sourceLabels": ["__meta_kubernetes_pod_label_app"], "targetLabel": "app"},
        {"action": "replace", "sourceLabels": ["__meta_kubernetes_pod_label_version"], "targetLabel": "version"},
    ]


# --- off by default ----------------------------------------------------------------------------------


def test_nothing_is_added_when_observability_is_unset(prod: Simulation, linkerd: Simulation, consul: Simulation) -> None:
    for sim in (prod, linkerd, consul):
        assert sim.of_type(TELEMETRY_COMPONENT) == []
        assert [r.name for r in sim.resources if r.type.endswith((":PodMonitor", ":Telemetry"))] == []
        assert sim.of_type(CONFIGMAP) == []


# --- the shared part: PodMonitor and dashboard, per cluster --------------------------------------------


@pytest.mark.parametrize(
    ("fixture", "clusters", "namespace", "port", "path", "selector", "after"),
    [
        (
            "istio",
            PROD_CLUSTERS,
            "istio-system",
            "http-envoy-prom",
            "/stats/prometheus",
            {"matchExpressions": [{"key": "security.istio.io/tlsMode", "operator": "Exists"}]},
            "istiod-1-30-5",
        ),
        (
            "linkerd_observed",
            LINKERD_CLUSTERS,
            "linkerd",
            "linkerd-admin",
            "/metrics",
            {"matchExpressions": [{"key": "linkerd.io/control-plane-ns", "operator": "Exists"}]},
            "linkerd-control-plane",
        ),
        (
            "consul_observed",
            None,
            "consul",
            "prometheus",
            "/metrics",
            {"matchLabels": {"consul.hashicorp.com/connect-inject-status": "injected"}},
            "consul",
        ),
    ],
)
def test_every_cluster_gets_a_pod_monitor_that_labels_series_with_the_cluster(
    request: pytest.FixtureRequest,
    fixture: str,
    clusters: tuple[str, ...] | None,
    namespace: str,
    port: str,
    path: str,
    selector: dict[str, Any],
    after: str,
) -> None:
    sim: Simulation = request.getfixturevalue(fixture)
    names = clusters or tuple(r.name.removesuffix("-consul") for r in sim.of_type(RELEASE))
    assert len(sim.of_type(TELEMETRY_COMPONENT)) == len(names)
    for cluster in names:
        monitor = pod_monitor(sim, cluster)
        assert monitor.inputs["apiVersion"] == "monitoring.coreos.com/v1"
        assert monitor.inputs["metadata"] == {
            "name": "meshfleet-mesh-proxies",
            "namespace": namespace,
            "labels": {"release": "kube-prometheus-stack"},
        }
        assert monitor.inputs["spec"] == {
            "selector": selector,
            "namespaceSelector": {"any": True},
            "podMetricsEndpoints": [{"port": port, "path": path, "relabelings": relabelings(cluster)}],
        }, monitor.urn
        assert depends_on(sim, monitor, release(sim, cluster, after)), monitor.urn
        assert monitor.provider == sim.named(f"{cluster}-k8s").urn, monitor.urn


@pytest.mark.parametrize(
    ("fixture", "endpoint", "selector"),
    [
        # Gateways carry no tlsMode label (the gateway injection template); the chart labels them `istio: <name>`.
        ("istio", {"port": "http-envoy-prom"}, {"matchExpressions": [{"key": "istio", "operator": "Exists"}]}),
        # The mesh gateway is not injected and serves 20200 without naming the port.
        ("consul_observed", {"targetPort": 20200}, {"matchLabels": {"component": "mesh-gateway"}}),
    ],
)
def test_gateways_are_scraped_with_the_cluster_label(
    request: pytest.FixtureRequest, fixture: str, endpoint: dict[str, Any], selector: dict[str, Any]
) -> None:
    sim: Simulation = request.getfixturevalue(fixture)
    monitors = [r for r in sim.resources if r.type.endswith(":PodMonitor") and r.name.endswith("-gateway-monitor")]
    assert len(monitors) == len(sim.of_type(TELEMETRY_COMPONENT)) > 0
    for monitor in monitors:
        cluster = monitor.name.removesuffix("-gateway-monitor")
        assert monitor.inputs["metadata"]["name"] == "meshfleet-mesh-gateways"
        path = "/stats/prometheus" if "port" in endpoint else "/metrics"
        assert monitor.inputs["spec"] == {
            "selector": selector,
            "namespaceSelector": {"any": True},
            "podMetricsEndpoints": [{**endpoint, "path": path, "relabelings": relabelings(cluster)}],
        }, monitor.urn


def test_linkerds_gateway_is_a_meshed_pod_and_needs_no_monitor_of_its_own(linkerd_observed: Simulation) -> None:
    assert [r.name for r in linkerd_observed.resources if r.name.endswith("-gateway-monitor")] == []


@pytest.mark.parametrize(
    ("fixture", "requests", "latency"),
    [
        ("istio", "istio_requests_total", "istio_request_duration_milliseconds_bucket"),
        ("linkerd_observed", "response_total", "response_latency_ms_bucket"),
        ("consul_observed", "envoy_cluster_upstream_rq_xx", "envoy_cluster_upstream_rq_time_bucket"),
    ],
)
def test_every_cluster_gets_the_golden_signals_dashboard_in_the_meshs_metric_names(
    request: pytest.FixtureRequest, fixture: str, requests: str, latency: str
) -> None:
    sim: Simulation = request.getfixturevalue(fixture)
    maps = sim.of_type(CONFIGMAP)
    assert len(maps) == len(sim.of_type(TELEMETRY_COMPONENT))
    for config_map in maps:
        assert config_map.provider == sim.named(f"{config_map.name.removesuffix('-golden-signals-dashboard')}-k8s").urn
        assert config_map.inputs["metadata"] == {
            "name": "meshfleet-golden-signals",
            "namespace": "monitoring",
            "labels": {"grafana_dashboard": "1"},
        }, config_map.urn
        dashboard = json.loads(config_map.inputs["data"]["meshfleet-golden-signals.json"])
        exprs = [t["expr"] for panel in dashboard["panels"] for t in panel["targets"]]
        assert [panel["title"] for panel in dashboard["panels"]] == ["Request rate", "Error rate", "Latency p50 / p95 / p99"]
        assert all(requests in e for e in exprs[:2]), exprs
        assert [e.split("(")[1] for e in exprs[2:]] == ["0.5, sum by ", "0.95, sum by ", "0.99, sum by "]
        assert all(latency in e and "by (le, cluster, namespace, app, version)" in e for e in exprs[2:]), exprs


# --- what each mesh receives ----------------------------------------------------------------------------


def test_istio_sends_traces_to_the_collector_and_logs_access_through_one_telemetry(istio: Simulation) -> None:
    for cluster in PROD_CLUSTERS:
        mesh_config = release(istio, cluster, "istiod-1-30-5").inputs["values"]["meshConfig"]
        assert mesh_config["extensionProviders"] == [
            {"name": "meshfleet-otlp", "opentelemetry": {"service": "otel-collector.observability.svc.cluster.local", "port": 4317}}
        ]
        telemetry = custom(istio, f"{cluster}-mesh-telemetry", "Telemetry")
        assert telemetry.inputs["apiVersion"] == "telemetry.istio.io/v1"
        assert telemetry.inputs["metadata"] == {"name": "mesh-default", "namespace": "istio-system"}
        assert telemetry.inputs["spec"] == {
            "tracing": [{"providers": [{"name": "meshfleet-otlp"}], "randomSamplingPercentage": 5}],
            "accessLogging": [{"providers": [{"name": "envoy"}]}],
        }
        assert depends_on(istio, telemetry, release(istio, cluster, "istiod-1-30-5")), telemetry.urn


def test_linkerd_proxies_trace_to_the_collectors_mesh_identity_and_log_access(linkerd_observed: Simulation) -> None:
    for cluster in LINKERD_CLUSTERS:
        proxy = release(linkerd_observed, cluster, "linkerd-control-plane").inputs["values"]["proxy"]
        assert proxy["tracing"] == {
            "enabled": True,
            "collector": {"endpoint": ENDPOINT, "meshIdentity": {"serviceAccountName": "otel-collector", "namespace": "observability"}},
        }
        assert proxy["accessLog"] == "json"


def test_consul_turns_on_the_charts_metrics_and_envoys_tracing_and_access_logs(consul_observed: Simulation) -> None:
    for chart in consul_observed.of_type(RELEASE):
        cluster = chart.name.removesuffix("-consul")
        chart_values = chart.inputs["values"]
        assert chart_values["global"]["metrics"] == {"enabled": True, "enableGatewayMetrics": True}, chart.urn
        assert chart_values["connectInject"]["metrics"] == {"defaultEnabled": True}, chart.urn
        # Not inherited from global.metrics.enabled towards the chart's http://prometheus-server.
        assert chart_values["ui"] == {"metrics": {"enabled": False}}, chart.urn
        spec = custom(consul_observed, f"{cluster}-proxydefaults", "ProxyDefaults").inputs["spec"]
        assert spec["accessLogs"] == {"enabled": True, "type": "stdout"}
        config = {key: json.loads(value) for key, value in spec["config"].items()}
        # Envoy's Zipkin tracer, which names each span's service after the proxy's node cluster
        # (tests/meshes/consul/test_tracing.py follows it through Consul's bootstrap and Envoy).
        assert config["envoy_tracing_json"] == {
            "http": {
                "name": "envoy.tracers.zipkin",
                "typed_config": {
                    "@type": "type.googleapis.com/envoy.config.trace.v3.ZipkinConfig",
                    "collector_cluster": "meshfleet-zipkin-collector",
                    "collector_endpoint": "/api/v2/spans",
                    "collector_endpoint_version": "HTTP_JSON",
                    "collector_hostname": "otel-collector.observability.svc.cluster.local",
                    "trace_id_128bit": True,
                    "shared_span_context": False,
                    "trace_context_option": "USE_B3_WITH_W3C_PROPAGATION",
                },
            }
        }
        assert config["envoy_extra_static_clusters_json"] == {
            "name": "meshfleet-zipkin-collector",
            "type": "STRICT_DNS",
            "connect_timeout": "5s",
            "load_assignment": {
                "cluster_name": "meshfleet-zipkin-collector",
                "endpoints": [
                    {
                        "lb_endpoints": [
                            {
                                "endpoint": {
                                    "address": {
                                        "socket_address": {"address": "otel-collector.observability.svc.cluster.local", "port_value": 9411}
                                    }
                                }
                            }
                        ]
                    }
                ],
            },
        }
        assert config["envoy_listener_tracing_json"] == {
            "@type": "type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager.Tracing",
            "random_sampling": {"value": 5},
        }


def test_the_primary_remote_example_observes_every_cluster_and_configures_tracing_on_its_primary(primary_remote: Simulation) -> None:
    clusters = ("gke-usc1", "eks-use1", "gke-euw4")
    assert sorted(r.name for r in primary_remote.resources if r.type.endswith(":PodMonitor")) == sorted(
        f"{c}-{monitor}" for c in clusters for monitor in ("pod-monitor", "gateway-monitor")
    )
    assert sorted(r.name for r in primary_remote.of_type(CONFIGMAP)) == sorted(f"{c}-golden-signals-dashboard" for c in clusters)
    # Remotes take their mesh config from the primary's istiod: one Telemetry, in the primary.
    assert [r.name for r in primary_remote.resources if r.type.endswith(":Telemetry")] == ["gke-usc1-mesh-telemetry"]
    for remote in ("eks-use1", "gke-euw4"):
        monitor = pod_monitor(primary_remote, remote)
        assert monitor.inputs["metadata"]["labels"] == {"release": "kube-prometheus-stack"}
        assert monitor.inputs["spec"]["podMetricsEndpoints"][0]["relabelings"] == relabelings(remote)
