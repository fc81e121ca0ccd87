"""The golden signals in each mesh's own metric names: one vocabulary for the dashboards and the canary gate.

Every series is read as meshfleet's scrape objects label it (scrape.py): the proxy's own labels, plus
`cluster`, `namespace`, `app` and `version` taken from the cluster name and the scraped pod. The names are
the upstream proxies' at the pinned versions:

- Istio 1.30: `istio_requests_total` and `istio_request_duration_milliseconds_bucket`, counted where the
  request is received (`reporter="destination"`), with the proxy's `response_code`.
- Linkerd edge-26.8.3: `response_total` (with `classification` success/failure) and
  `response_latency_ms_bucket`, `direction="inbound"` (the names linkerd2's grafana/dashboards use).
- Consul 2.0.3 (Envoy): `envoy_cluster_upstream_rq_xx` (with `envoy_response_code_class`) and
  `envoy_cluster_upstream_rq_time_bucket` of the `local_app` cluster: the sidecar's requests to its own app.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass


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

    def selector(self, labels: Mapping[str, str], *, errors: bool = False) -> str:
        """`labels` values that start with `~` are regular expressions (dashboards: `~$cluster`)."""
        given = [f'{k}=~"{v[1:]}"' if v.startswith("~") else f'{k}="{v}"' for k, v in labels.items()]
        matchers = [*(f'{k}="{v}"' for k, v in self.scope.items()), *given]
        if errors:
            matchers.append(f'{self.error[0]}=~"{self.error[1]}"')
        return "{" + ", ".join(matchers) + "}"

    def request_rate(self, labels: Mapping[str, str], window: str, by: str = "") -> str:
        return f"sum{_by(by)}(rate({self.requests}{self.selector(labels)}[{window}]))"

    def request_count(self, labels: Mapping[str, str], window: str) -> str:
        return f"sum(increase({self.requests}{self.selector(labels)}[{window}]))"

    def error_ratio(self, labels: Mapping[str, str], window: str, by: str = "") -> str:
        errors = f"sum{_by(by)}(rate({self.requests}{self.selector(labels, errors=True)}[{window}]))"
        # `or 0`-less on purpose: no traffic at all is "no data", never an error rate of zero.
        return f"({errors} or {self.request_rate(labels, window, by)} * 0) / {self.request_rate(labels, window, by)}"

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
    ),
    "linkerd": MeshSignals(
        requests="response_total",
        latency_bucket="response_latency_ms_bucket",
        scope={"direction": "inbound"},
        error=("classification", "failure"),
    ),
    "consul": MeshSignals(
        requests="envoy_cluster_upstream_rq_xx",
        latency_bucket="envoy_cluster_upstream_rq_time_bucket",
        scope={"envoy_cluster_name": "local_app"},
        error=("envoy_response_code_class", "5"),
    ),
}
"""Keyed by `mesh.type`."""

SERVICE_LABEL = "app"
VERSION_LABEL = "version"
CLUSTER_LABEL = "cluster"
