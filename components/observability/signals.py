"""The golden signals in each mesh's own metric names: one vocabulary for the dashboards and the canary gate.

Every series is read as meshfleet's scrape objects label it (scrape.py): the proxy's own labels, plus
`cluster`, `namespace`, `app` and `version` taken from the cluster name and the scraped pod. The names are
the upstream proxies' at the pinned versions:

- Istio 1.30: `istio_requests_total` and `istio_request_duration_milliseconds_bucket`, counted where the
  request is received (`reporter="destination"`), with the proxy's `response_code`.
- Linkerd edge-26.8.3: `response_total` (with `classification` success/failure) and
  `response_latency_ms_bucket`, `direction="inbound"` (the names linkerd2's grafana/dashboards use), less
  the proxy's admin port 4191 (`target_port`, a label of the inbound series: linkerd2 edge-26.8.3
  viz/cmd/stat-inbound.go:152), whose probes and scrapes are inbound successes whatever the app does.
- Consul 2.0.3 (Envoy): `envoy_cluster_upstream_rq_xx` (with `envoy_response_code_class`) and
  `envoy_cluster_upstream_rq_time_bucket` of the `local_app` cluster: the sidecar's requests to its own app.

What callers saw of one version (`CallerSide`) is read on the callers' proxies: Istio's
`reporter="source"` reports by `destination_version` (`unknown` when no upstream answered at all, as
for a canary without a Ready pod), Linkerd's `direction="outbound"` ones by `dst_deployment` (the
dashboards' label, grafana/dashboards/deployment.json), Consul's by the upstream cluster's tags
`consul.destination.service` and `consul.destination.service_subset` (consul's envoy bootstrap stats tags).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field


@dataclass(frozen=True)
class CallerSide:
    """How the callers' proxies label what they saw of one version of a service: each `*_label` names the
    label holding that fact, or is empty when the mesh's callers do not record it."""

    scope: Mapping[str, str]
    service_label: str = ""
    namespace_label: str = ""
    version_label: str = ""
    deployment_label: str = ""
    unattributed: str = ""
    """The version value of requests no pod answered (Istio: `unknown`), counted against the canary."""

    def selector(self, service: str, namespace: str, version: str, deployment: str, error: tuple[str, str] | None = None) -> str:
        matchers = [f'{k}="{v}"' for k, v in self.scope.items()]
        for label, value in ((self.service_label, service), (self.namespace_label, namespace), (self.deployment_label, deployment)):
            if label:
                matchers.append(f'{label}="{value}"')
        if self.version_label:
            matchers.append(
                f'{self.version_label}=~"{version}|{self.unattributed}"' if self.unattributed else f'{self.version_label}="{version}"'
            )
        if error is not None:
            matchers.append(f'{error[0]}=~"{error[1]}"')
        return "{" + ", ".join(matchers) + "}"


@dataclass(frozen=True)
class MeshSignals:
    """How one mesh's proxies count requests, failures and latency (milliseconds histogram)."""

    requests: str
    """Counter of responses, one increment per request."""
    latency_bucket: str
    """Histogram buckets of the response latency in milliseconds."""
    scope: Mapping[str, str]
    """Labels that select the inbound side (what the service's own pods answered)."""
    error: tuple[str, str]
    """(label, regular expression) of a failed response on `requests`."""
    callers: CallerSide
    excluded: Mapping[str, str] = field(default_factory=dict)
    """Labels whose value rules a series out of the inbound side (Linkerd's admin port)."""

    def selector(self, labels: Mapping[str, str], *, errors: bool = False) -> str:
        """`labels` values that start with `~` are regular expressions (dashboards: `~$cluster`)."""
        given = [f'{k}=~"{v[1:]}"' if v.startswith("~") else f'{k}="{v}"' for k, v in labels.items()]
        matchers = [*(f'{k}="{v}"' for k, v in self.scope.items()), *(f'{k}!="{v}"' for k, v in self.excluded.items()), *given]
        if errors:
            matchers.append(f'{self.error[0]}=~"{self.error[1]}"')
        return "{" + ", ".join(matchers) + "}"

    def request_rate(self, labels: Mapping[str, str], window: str, by: str = "") -> str:
        return f"sum{_by(by)}(rate({self.requests}{self.selector(labels)}[{window}]))"

    def request_count(self, labels: Mapping[str, str], window: str, by: str = "") -> str:
        return f"sum{_by(by)}(increase({self.requests}{self.selector(labels)}[{window}]))"

    def error_ratio(self, labels: Mapping[str, str], window: str, by: str = "") -> str:
        errors = f"sum{_by(by)}(rate({self.requests}{self.selector(labels, errors=True)}[{window}]))"
        # `or 0`-less on purpose: no traffic at all is "no data", never an error rate of zero.
        return f"({errors} or {self.request_rate(labels, window, by)} * 0) / {self.request_rate(labels, window, by)}"

    def caller_error_ratio(self, service: str, namespace: str, version: str, deployment: str, window: str, by: str = "") -> str:
        """Failed fraction of the requests callers sent to one version (no callers: no data)."""
        callers = self.callers
        total = f"sum{_by(by)}(rate({self.requests}{callers.selector(service, namespace, version, deployment)}[{window}]))"
        errors = f"sum{_by(by)}(rate({self.requests}{callers.selector(service, namespace, version, deployment, self.error)}[{window}]))"
        return f"({errors} or {total} * 0) / {total}"

    def latency_quantile(self, quantile: float, labels: Mapping[str, str], window: str, by: str = "") -> str:
        group = ", ".join(["le", *([by] if by else [])])
        return f"histogram_quantile({quantile}, sum by ({group}) (rate({self.latency_bucket}{self.selector(labels)}[{window}])))"


def _by(labels: str) -> str:
    return f" by ({labels})" if labels else ""


SIGNALS: Mapping[str, MeshSignals] = {
    "istio": MeshSignals(
        requests="istio_requests_total",
        latency_bucket="istio_request_duration_milliseconds_bucket",
        scope={"reporter": "destination"},
        error=("response_code", "5.."),
        callers=CallerSide(
            {"reporter": "source"},
            service_label="destination_service_name",
            namespace_label="destination_service_namespace",
            version_label="destination_version",
            unattributed="unknown",
        ),
    ),
    "linkerd": MeshSignals(
        requests="response_total",
        latency_bucket="response_latency_ms_bucket",
        scope={"direction": "inbound"},
        error=("classification", "failure"),
        callers=CallerSide({"direction": "outbound"}, namespace_label="dst_namespace", deployment_label="dst_deployment"),
        excluded={"target_port": "4191"},  # the proxy's admin port (proxy.ports.admin)
    ),
    "consul": MeshSignals(
        requests="envoy_cluster_upstream_rq_xx",
        latency_bucket="envoy_cluster_upstream_rq_time_bucket",
        scope={"envoy_cluster_name": "local_app"},
        error=("envoy_response_code_class", "5"),
        # Consul's free edition has one namespace (`default`): the service name alone names the service.
        callers=CallerSide({}, service_label="consul_destination_service", version_label="consul_destination_service_subset"),
    ),
}
"""Keyed by `mesh.type`."""

SERVICE_LABEL = "app"
VERSION_LABEL = "version"
CLUSTER_LABEL = "cluster"
