"""`meshfleet:observability` validation (components/config/observability.py): off by default, every
problem named with its key, and what a mesh's proxies cannot do refused with the reason."""

from __future__ import annotations

from typing import Any

from components.config import ObservabilitySpec, RawConfig, ScraperSpec, TracingSpec
from components.fleet import validate_fleet
from tests.support import CONSUL, LINKERD, FakeEnvironment, problems_of, prod_raw, raw_config

KEY = "meshfleet:observability"
ENDPOINT = "otel-collector.observability.svc.cluster.local:4317"


def with_observability(raw: dict[str, Any], observability: object) -> dict[str, Any]:
    return {**raw, "observability": observability}


def test_everything_is_off_by_default() -> None:
    spec, _ = validate_fleet(RawConfig(**prod_raw()), FakeEnvironment())
    assert spec.observability == ObservabilitySpec(
        metrics=False, prometheus_operator=False, pod_monitor_labels={}, tracing=None, access_logs=False, dashboards_namespace=None
    )


def test_reads_every_setting() -> None:
    observability = {
        "metrics": {"enabled": True, "prometheusOperator": True},
        "tracing": {"endpoint": ENDPOINT, "samplingPercent": 2.5},
        "accessLogs": True,
        "dashboards": {"namespace": "monitoring"},
    }
    spec, _ = validate_fleet(RawConfig(**with_observability(prod_raw(), observability)), FakeEnvironment())
    assert spec.observability == ObservabilitySpec(True, True, {}, TracingSpec(ENDPOINT, 2.5, None), True, "monitoring")
    tracing = spec.observability.tracing
    assert tracing is not None
    assert (tracing.host, tracing.port, tracing.namespace) == ("otel-collector.observability.svc.cluster.local", 4317, "observability")


def test_fails_on_unknown_and_inconsistent_settings() -> None:
    observability = {
        "metric": {},
        "metrics": {"prometheusOperator": True, "scrapeInterval": "15s", "podMonitorLabels": {"release": ""}},
        "tracing": {"endpoint": "http://collector:4317", "samplingPercent": 150},
        "accessLogs": "yes",
        "dashboards": {},
    }
    assert problems_of(with_observability(prod_raw(), observability)) == [
        f"{KEY}.metric: unknown setting; did you mean 'metrics'? known settings: 'accessLogs', 'dashboards', 'metrics', 'tracing'",
        f"{KEY}.metrics.scrapeInterval: unknown setting; did you mean 'scraper'? known settings: 'enabled', 'podMonitorLabels', "
        "'prometheusOperator', 'scraper'",
        f"{KEY}.metrics.prometheusOperator: is true but metrics.enabled is not; set `metrics.enabled: true` to scrape the proxies",
        f"{KEY}.metrics.podMonitorLabels: {{'release': ''}} is not a mapping of label names to label values, e.g. {{release: kube-prometheus-stack}}",
        f"{KEY}.dashboards.namespace: is required; the namespace Grafana's dashboard sidecar watches, e.g. 'monitoring'",
        f"{KEY}.tracing.endpoint: 'http://collector:4317' is not host:port, e.g. 'otel-collector.observability.svc.cluster.local:4317'",
        f"{KEY}.tracing.samplingPercent: 150 is not a percentage from 0 to 100",
        f"{KEY}.accessLogs: expected true or false, got 'yes'",
    ]


def test_fails_on_pod_monitor_labels_without_the_operator() -> None:
    observability = {"metrics": {"enabled": True, "podMonitorLabels": {"release": "monitoring"}}}
    assert problems_of(with_observability(prod_raw(), observability)) == [
        f"{KEY}.metrics.podMonitorLabels: labels PodMonitors, which only `prometheusOperator: true` makes"
    ]


def test_fails_on_dashboards_without_metrics() -> None:
    assert problems_of(with_observability(prod_raw(), {"dashboards": {"namespace": "monitoring"}})) == [
        f"{KEY}.dashboards.namespace: dashboards read the mesh's metrics; set `metrics.enabled: true` too"
    ]


def test_fails_on_a_sampling_rate_for_linkerd_and_on_a_collector_without_its_identity() -> None:
    raw = with_observability(raw_config(LINKERD), {"tracing": {"endpoint": "otel-collector:4317", "samplingPercent": 10}})
    assert problems_of(raw) == [
        f"{KEY}.tracing.samplingPercent: Linkerd's proxies have no sampling rate: they trace the requests whose incoming trace "
        "context the application marked sampled, so sample in the application's tracer; remove samplingPercent",
        f"{KEY}.tracing.collectorServiceAccount: is required on linkerd: its proxies send spans only to a collector with this "
        "mesh identity (the collector's service account)",
        f"{KEY}.tracing.endpoint: 'otel-collector:4317' names no namespace; on linkerd write the collector's Service as "
        "<name>.<namespace>[.svc.cluster.local]:<port>",
    ]


ZIPKIN = "otel-collector.observability.svc.cluster.local:9411"


def test_consul_takes_the_collectors_zipkin_receiver_and_a_sampling_rate() -> None:
    raw = with_observability(raw_config(CONSUL), {"tracing": {"zipkinEndpoint": ZIPKIN, "samplingPercent": 10}})
    spec, _ = validate_fleet(RawConfig(**raw), FakeEnvironment())
    assert spec.observability.tracing == TracingSpec(ZIPKIN, 10.0, None, "zipkin")


def test_consul_refuses_an_otlp_endpoint_and_says_why() -> None:
    """Consul's one tracer config for every sidecar would name every OpenTelemetry span `unknown_service:envoy`."""
    assert problems_of(with_observability(raw_config(CONSUL), {"tracing": {"endpoint": ENDPOINT}})) == [
        f"{KEY}.tracing.endpoint: Consul's sidecars share one tracer configuration (ProxyDefaults), and Envoy's OpenTelemetry "
        "tracer names every span's service 'unknown_service:envoy' there; its Zipkin tracer names them after each proxy's "
        "service; name the collector's Zipkin receiver with `zipkinEndpoint` instead, e.g. "
        "'otel-collector.observability.svc.cluster.local:9411'"
    ]
    assert problems_of(with_observability(raw_config(CONSUL), {"tracing": {"samplingPercent": 5}})) == [
        f"{KEY}.tracing.zipkinEndpoint: is required; on consul, the collector's Zipkin receiver (HTTP) as host:port, e.g. "
        "'otel-collector.observability.svc.cluster.local:9411'"
    ]
    assert problems_of(with_observability(raw_config(CONSUL), {"tracing": {"zipkinEndpoint": "http://collector:9411/api/v2/spans"}})) == [
        f"{KEY}.tracing.zipkinEndpoint: 'http://collector:9411/api/v2/spans' is not host:port, e.g. "
        "'otel-collector.observability.svc.cluster.local:9411'"
    ]


def test_istio_and_linkerd_refuse_a_zipkin_endpoint() -> None:
    raw = with_observability(prod_raw(), {"tracing": {"endpoint": ENDPOINT, "zipkinEndpoint": ZIPKIN}})
    assert problems_of(raw) == [
        f"{KEY}.tracing.zipkinEndpoint: istio's proxies send OTLP/gRPC; name the collector's OTLP receiver with `endpoint` instead"
    ]


def test_fails_on_a_short_collector_host_on_istio() -> None:
    """istiod would find no such service and leave tracing out of every proxy without an error."""
    for endpoint in ("otel-collector:4317", "otel-collector.observability:4317", "otel-collector.observability.svc:4317"):
        raw = with_observability(prod_raw(), {"tracing": {"endpoint": endpoint}})
        assert problems_of(raw) == [
            f"{KEY}.tracing.endpoint: {endpoint!r} is a short host; istiod looks the collector up by its exact host and, not "
            "finding it, silently configures no tracing: write the collector's Service as <name>.<namespace>.svc.cluster.local:<port>"
        ]
    spec, _ = validate_fleet(RawConfig(**with_observability(prod_raw(), {"tracing": {"endpoint": ENDPOINT}})), FakeEnvironment())
    assert spec.observability.tracing == TracingSpec(ENDPOINT, None, None)


# --- metrics.scraper: who may read the proxies' metrics (Linkerd) ------------------------------------------


def test_linkerd_requires_the_meshed_scraper_with_metrics_on_and_reads_it() -> None:
    raw = with_observability(raw_config(LINKERD), {"metrics": {"enabled": True}})
    assert problems_of(raw) == [
        f"{KEY}.metrics.scraper: is required on linkerd with metrics on: its proxies serve metrics on their admin port "
        "(linkerd-admin), which enforces the inbound policy: under all-authenticated (STRICT mTLS) or deny an unmeshed Prometheus "
        "is refused, and the multicluster chart's linkerd-admin Server admits only linkerd-viz's Prometheus, so meshfleet "
        "authorizes a meshed Prometheus by its identity; give the meshed Prometheus as {serviceAccount: <account>, namespace: "
        "<namespace>}"
    ]
    raw["observability"]["metrics"]["scraper"] = {"serviceAccount": "prometheus", "namespace": "monitoring"}
    spec, _ = validate_fleet(RawConfig(**raw), FakeEnvironment())
    assert spec.observability.scraper == ScraperSpec("prometheus", "monitoring")


def test_fails_a_scraper_where_nothing_needs_it_or_metrics_are_off() -> None:
    scraper = {"serviceAccount": "prometheus", "namespace": "monitoring"}
    istio = with_observability(prod_raw(), {"metrics": {"enabled": True, "scraper": scraper}})
    assert problems_of(istio) == [
        f"{KEY}.metrics.scraper: istio's proxies serve metrics to any scraper, so there is nobody to authorize; remove it"
    ]
    off = with_observability(raw_config(LINKERD), {"metrics": {"scraper": {**scraper, "namespace": "Monitoring"}}})
    assert problems_of(off) == [
        f"{KEY}.metrics.scraper.namespace: 'Monitoring' is not a valid namespace: use lowercase letters, digits and '-', "
        "at most 63 characters, starting and ending with a letter or digit",
        f"{KEY}.metrics.scraper: names who scrapes the proxies' metrics, which only `metrics.enabled: true` turns on",
    ]
