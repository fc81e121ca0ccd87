"""`meshfleet:observability`: metrics, scrape objects, tracing, access logs and dashboards. Off by default.

Parsed like the rest of the fleet config: every problem with its key, before anything is created. What a
mesh cannot do (a sampling rate on Linkerd's or Consul's proxies) is refused with the reason, from the
mesh's MeshRules, never dropped.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from .reader import DNS_LABEL, DNS_LABEL_HINT, LABEL_VALUE, Section, quote

ENDPOINT = re.compile(r"^(?P<host>[a-z0-9]([-a-z0-9.]*[a-z0-9])?):(?P<port>\d{1,5})$")


@dataclass(frozen=True)
class TracingSpec:
    endpoint: str
    """OTLP/gRPC collector as `host:port`, e.g. `otel-collector.observability.svc.cluster.local:4317`."""
    sampling_percent: float | None
    """Percent of requests the proxies start traces for. Default: the mesh's own (Istio: 1%)."""
    collector_service_account: str | None
    """The collector's service account: Linkerd's proxies verify its mesh identity. Required on Linkerd."""
    protocol: str = "otlp"
    """What `endpoint` receives: `otlp` (OTLP/gRPC: Istio, Linkerd) or `zipkin` (Zipkin v2 JSON over HTTP:
    Consul, `tracing.zipkinEndpoint`)."""

    @property
    def host(self) -> str:
        return self.endpoint.rsplit(":", 1)[0]

    @property
    def port(self) -> int:
        return int(self.endpoint.rsplit(":", 1)[1])

    @property
    def namespace(self) -> str | None:
        """The collector's namespace when the host is a Service name `<svc>.<namespace>[.svc...]`."""
        parts = self.host.split(".")
        return parts[1] if len(parts) >= 2 else None


@dataclass(frozen=True)
class ScraperSpec:
    """The Prometheus that scrapes the proxies, as a meshed workload: its service account in its namespace."""

    service_account: str
    namespace: str


@dataclass(frozen=True)
class ObservabilitySpec:
    metrics: bool = False
    """The proxies' Prometheus metrics, with a `cluster` label on every series. Default: off (as the charts are)."""
    prometheus_operator: bool = False
    """Write a PodMonitor (monitoring.coreos.com/v1) per cluster for the Prometheus Operator. Default: off."""
    pod_monitor_labels: Mapping[str, str] = field(default_factory=dict)
    """Labels of the PodMonitors, for the Prometheus's `podMonitorSelector` (kube-prometheus-stack selects
    `release: <its release name>` unless told otherwise). Default: none."""
    tracing: TracingSpec | None = None
    """Default: no tracing."""
    access_logs: bool = False
    """Every proxy logs each request to its stdout. Default: off."""
    dashboards_namespace: str | None = None
    """Where the golden-signals dashboard ConfigMap goes (Grafana's sidecar watches it). Default: no dashboards."""
    scraper: ScraperSpec | None = None
    """`metrics.scraper`: the meshed Prometheus a mesh must authorize on its proxies' metrics port (Linkerd).
    Default: none."""


@dataclass(frozen=True)
class TracingRules:
    """What a mesh's proxies offer for tracing and scraping, for the generic parser."""

    sampling_refusal: str | None = None
    """Why `tracing.samplingPercent` is refused on this mesh; None where the mesh takes one."""
    needs_collector_identity: bool = False
    exact_host: str | None = None
    """Why the collector must be named by its full host on this mesh; None where a short name resolves."""
    zipkin: str | None = None
    """Why this mesh's proxies send Zipkin, to `tracing.zipkinEndpoint` instead of OTLP to `tracing.endpoint`;
    None where they send OTLP."""
    scraper_identity: str | None = None
    """Why this mesh needs the scraper's identity (`metrics.scraper`) with metrics on; None where the proxies'
    metrics port admits any scraper (and `metrics.scraper` is refused as meaningless)."""


def parse_observability(s: Section, mesh_name: str, rules: TracingRules) -> ObservabilitySpec:
    s.reject_unknown(["metrics", "tracing", "accessLogs", "dashboards"])
    metrics = s.section("metrics")
    metrics.reject_unknown(["enabled", "prometheusOperator", "podMonitorLabels", "scraper"])
    enabled = metrics.boolean("enabled", False)
    operator = metrics.boolean("prometheusOperator", False)
    if operator and not enabled:
        metrics.problem("prometheusOperator", "is true but metrics.enabled is not; set `metrics.enabled: true` to scrape the proxies")
    labels = _labels(metrics, "podMonitorLabels")
    if labels and not operator:
        metrics.problem("podMonitorLabels", "labels PodMonitors, which only `prometheusOperator: true` makes")
    scraper = _scraper(metrics, enabled, mesh_name, rules)
    dashboards = s.section("dashboards")
    dashboards.reject_unknown(["namespace"])
    namespace = dashboards.dns_label("namespace", dashboards.string("namespace"), "namespace")
    if s.has("dashboards") and not dashboards.has("namespace"):
        dashboards.problem("namespace", "is required; the namespace Grafana's dashboard sidecar watches, e.g. 'monitoring'")
    if namespace is not None and not enabled:
        dashboards.problem("namespace", "dashboards read the mesh's metrics; set `metrics.enabled: true` too")
    return ObservabilitySpec(
        metrics=enabled,
        prometheus_operator=operator,
        pod_monitor_labels=labels,
        scraper=scraper,
        tracing=_tracing(s.section("tracing"), mesh_name, rules) if s.has("tracing") else None,
        access_logs=s.boolean("accessLogs", False),
        dashboards_namespace=namespace,
    )


def _scraper(metrics: Section, enabled: bool, mesh_name: str, rules: TracingRules) -> ScraperSpec | None:
    if not metrics.has("scraper"):
        if enabled and rules.scraper_identity is not None:
            metrics.problem(
                "scraper",
                f"is required on {mesh_name} with metrics on: {rules.scraper_identity}; give the meshed Prometheus as "
                "{serviceAccount: <account>, namespace: <namespace>}",
            )
        return None
    if rules.scraper_identity is None:
        metrics.problem("scraper", f"{mesh_name}'s proxies serve metrics to any scraper, so there is nobody to authorize; remove it")
        return None
    s = metrics.section("scraper")
    s.reject_unknown(["serviceAccount", "namespace"])
    account = s.dns_label(
        "serviceAccount", s.string("serviceAccount", required="the meshed Prometheus' service account"), "service account"
    )
    namespace = s.dns_label("namespace", s.string("namespace", required="the meshed Prometheus' namespace"), "namespace")
    if not enabled:
        metrics.problem("scraper", "names who scrapes the proxies' metrics, which only `metrics.enabled: true` turns on")
    return ScraperSpec(account, namespace) if account and namespace else None


def _labels(s: Section, name: str) -> dict[str, str]:
    value = s.raw.get(name)
    if value is None:
        return {}
    valid = isinstance(value, Mapping) and all(isinstance(k, str) and isinstance(v, str) and LABEL_VALUE.match(v) for k, v in value.items())
    if not valid:
        s.problem(name, f"{quote(value)} is not a mapping of label names to label values, e.g. {{release: kube-prometheus-stack}}")
        return {}
    return dict(value)


def _tracing(s: Section, mesh_name: str, rules: TracingRules) -> TracingSpec | None:
    s.reject_unknown(["endpoint", "zipkinEndpoint", "samplingPercent", "collectorServiceAccount"])
    key, endpoint = _collector(s, mesh_name, rules)
    if endpoint is not None and not ((match := ENDPOINT.match(endpoint)) and 0 < int(match["port"]) < 65536):
        example = ZIPKIN_EXAMPLE if key == "zipkinEndpoint" else OTLP_EXAMPLE
        s.problem(key, f"{quote(endpoint)} is not host:port, e.g. '{example}'")
        endpoint = None
    sampling = s.raw.get("samplingPercent")
    if sampling is not None:
        if rules.sampling_refusal is not None:
            s.problem("samplingPercent", f"{rules.sampling_refusal}; remove samplingPercent")
            sampling = None
        elif isinstance(sampling, bool) or not isinstance(sampling, int | float) or not 0 <= sampling <= 100:
            s.problem("samplingPercent", f"{quote(sampling)} is not a percentage from 0 to 100")
            sampling = None
    account = s.string("collectorServiceAccount")
    if account is not None and not DNS_LABEL.match(account):
        s.problem("collectorServiceAccount", f"{quote(account)} is not a service account name: use {DNS_LABEL_HINT}")
    if rules.needs_collector_identity:
        if account is None and not s.has("collectorServiceAccount"):
            s.problem(
                "collectorServiceAccount",
                f"is required on {mesh_name}: its proxies send spans only to a collector with this mesh identity (the collector's service account)",
            )
        if endpoint is not None and len(endpoint.split(":")[0].split(".")) < 2:
            s.problem(
                key,
                f"{quote(endpoint)} names no namespace; on {mesh_name} write the collector's Service as <name>.<namespace>[.svc.cluster.local]:<port>",
            )
            endpoint = None
    if rules.exact_host is not None and endpoint is not None:
        host = endpoint.rsplit(":", 1)[0]
        if len(host.split(".")) < 3 or host.endswith(".svc"):
            s.problem(
                key,
                f"{quote(endpoint)} is a short host; {rules.exact_host}: write the collector's Service as "
                "<name>.<namespace>.svc.cluster.local:<port>",
            )
            endpoint = None
    if endpoint is None:
        return None
    return TracingSpec(endpoint, None if sampling is None else float(sampling), account, "zipkin" if key == "zipkinEndpoint" else "otlp")


OTLP_EXAMPLE = "otel-collector.observability.svc.cluster.local:4317"
ZIPKIN_EXAMPLE = "otel-collector.observability.svc.cluster.local:9411"


def _collector(s: Section, mesh_name: str, rules: TracingRules) -> tuple[str, str | None]:
    """Which key names the collector on this mesh, and its value: `endpoint` (OTLP/gRPC) or, where the
    mesh's proxies send Zipkin, `zipkinEndpoint`; the other key is refused with the reason."""
    if rules.zipkin is None:
        if s.has("zipkinEndpoint"):
            s.problem("zipkinEndpoint", f"{mesh_name}'s proxies send OTLP/gRPC; name the collector's OTLP receiver with `endpoint` instead")
        return "endpoint", s.string("endpoint", required=f"the OTLP/gRPC collector as host:port, e.g. '{OTLP_EXAMPLE}'")
    if s.has("endpoint"):
        s.problem(
            "endpoint", f"{rules.zipkin}; name the collector's Zipkin receiver with `zipkinEndpoint` instead, e.g. '{ZIPKIN_EXAMPLE}'"
        )
        if not s.has("zipkinEndpoint"):
            return "zipkinEndpoint", None
    return "zipkinEndpoint", s.string(
        "zipkinEndpoint", required=f"on {mesh_name}, the collector's Zipkin receiver (HTTP) as host:port, e.g. '{ZIPKIN_EXAMPLE}'"
    )
