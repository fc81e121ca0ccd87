"""A local stand-in for three clusters of meshed pods: serves, per mesh and cluster, the series the pinned
proxies emit for a stable and a canary version of several apps (one per scenario), their callers' view,
and kube-state-metrics' Deployment series. Path `/<mesh>/<cluster>` is every meshed pod of one cluster,
`/ksm/<cluster>` its kube-state-metrics; each series carries the pod labels meshfleet's PodMonitor adds
(`namespace`, `app`, `version`; `cluster` comes from the scrape job, as from the PodMonitor).

Counters grow with wall time at a fixed rate, as a proxy's would, so rate() and increase() see real slopes.
Label sets are the upstream ones:
- Istio 1.30 standard metrics: `reporter` destination (on the called pod) and source (on the caller), with
  `destination_service_name`, `destination_service_namespace`, `destination_version` (`unknown` when no
  upstream host answered: `response_flags="UH"`), `response_code`.
- Linkerd edge-26.8.3: `direction="inbound"` with `target_port`, `tls`, `srv_kind`, `srv_name`,
  `classification`, `status_code` (viz/cmd/stat-inbound.go groups by these), the admin port 4191's probes
  and scrapes among them; `direction="outbound"` on callers with `dst_namespace`, `dst_deployment`
  (grafana/dashboards/deployment.json), and without `dst_*` when the proxy fails fast (no endpoint).
- Consul 2.0.3's Envoy: `envoy_cluster_name="local_app"` on the called pod; on callers the upstream
  cluster's tags `consul_destination_service`, `consul_destination_service_subset`,
  `consul_destination_namespace`, `consul_destination_datacenter`, `consul_destination_routing_type`
  (consul's bootstrap stats tags), for a local and a peered (`external`) upstream.
Each pod also serves series the gate must NOT read, all failing: the shop's own calls to `payments`
(Istio source side, Linkerd outbound, Envoy's `payments` upstream) and Linkerd's admin-port successes.
"""

from __future__ import annotations

import ssl
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

REQUESTS_PER_SECOND = 200
BUCKETS_MS = (5, 10, 25, 50, 100, 250, 500, 1000, 2500)
MESHES = ("istio", "linkerd", "consul")
CLUSTERS = ("west", "east", "south")
SCENARIOS = ("healthy", "failing", "slow", "idle", "onebad", "dead")
APPS = tuple(f"shop-{scenario}" for scenario in SCENARIOS)
VERSIONS = ("v1", "v2")
NAMESPACE = "shop"
CONTAINER_PORT = 9898
ADMIN_PORT = 4191


@dataclass(frozen=True)
class Behaviour:
    rate: float
    """Requests per second."""
    error_fraction: float
    latency_ms: int
    """Every request falls in the bucket of this bound."""
    ready: bool = True
    """False: no Ready pod, so the pods receive nothing and callers get 503s (no healthy upstream)."""


GOOD = Behaviour(REQUESTS_PER_SECOND, 0.005, 50)


def behaviour(app: str, version: str, cluster: str) -> Behaviour:
    scenario = app.removeprefix("shop-")
    if scenario == "slow" and cluster == "east":
        return Behaviour(REQUESTS_PER_SECOND, 0.005, 1000)  # a naturally slow cluster, canary and stable alike
    if version == "v1":
        return GOOD
    if scenario == "failing":
        return Behaviour(REQUESTS_PER_SECOND, 0.10, 50)
    if scenario == "slow" and cluster == "west":
        return Behaviour(REQUESTS_PER_SECOND, 0.005, 250)  # 5x the stable's latency, in one cluster
    if scenario == "idle":
        return Behaviour(0, 0, 50)
    if scenario == "onebad" and cluster == "south":
        return Behaviour(REQUESTS_PER_SECOND / 10, 0.10, 50)  # a tenth of the traffic, 10% 5xx
    if scenario == "dead":
        return Behaviour(REQUESTS_PER_SECOND, 1.0, 50, ready=False)
    return GOOD


def _labels(**labels: str) -> str:
    return ",".join(f'{k}="{v}"' for k, v in labels.items())


def _histogram(name: str, labels: str, total: int, latency_ms: int) -> list[str]:
    lines = [f'{name}_bucket{{{labels},le="{bound}"}} {total if bound >= latency_ms else 0}' for bound in BUCKETS_MS]
    lines.append(f'{name}_bucket{{{labels},le="+Inf"}} {total}')
    lines += [f"{name}_sum{{{labels}}} {total * latency_ms}", f"{name}_count{{{labels}}} {total}"]
    return lines


def _pod(app: str, version: str) -> dict[str, str]:
    return {"namespace": NAMESPACE, "app": app, "version": version, "pod": f"{app}-{version}-0"}


CALLER = _pod("storefront", "v1")
BROKEN = Behaviour(REQUESTS_PER_SECOND, 0.9, 2500)


class Families:
    """Samples grouped by metric family, so each family's TYPE line comes once."""

    def __init__(self) -> None:
        self.samples: dict[str, list[str]] = {}
        self.types: dict[str, str] = {}

    def counter(self, family: str, labels: str, value: int) -> None:
        self.types[family] = "counter"
        self.samples.setdefault(family, []).append(f"{family}{{{labels}}} {value}")

    def histogram(self, family: str, labels: str, total: int, latency_ms: int) -> None:
        self.types[family] = "histogram"
        self.samples.setdefault(family, []).extend(_histogram(family, labels, total, latency_ms))

    def gauge(self, family: str, labels: str, value: float) -> None:
        self.types[family] = "gauge"
        self.samples.setdefault(family, []).append(f"{family}{{{labels}}} {value:g}")

    def text(self) -> str:
        lines = []
        for family, samples in self.samples.items():
            lines.append(f"# TYPE {family} {self.types[family]}")
            lines += samples
        return "\n".join(lines) + "\n"


def _split(total: int, fraction: float) -> tuple[int, int]:
    errors = int(total * fraction)
    return total - errors, errors


def _istio(f: Families, app: str, version: str, seen: Behaviour, total: int) -> None:
    ok, errors = _split(total, seen.error_fraction)
    service = {"destination_service_name": app, "destination_service_namespace": NAMESPACE}
    if seen.ready:
        received = _labels(**_pod(app, version), reporter="destination", **service, destination_version=version, response_flags="-")
        f.counter("istio_requests_total", f'{received},response_code="200"', ok)
        f.counter("istio_requests_total", f'{received},response_code="503"', errors)
        f.histogram("istio_request_duration_milliseconds", received, total, seen.latency_ms)
        called = _labels(**CALLER, reporter="source", **service, destination_version=version, response_flags="-")
        f.counter("istio_requests_total", f'{called},response_code="200"', ok)
        f.counter("istio_requests_total", f'{called},response_code="503"', errors)
    else:  # no upstream host: the caller's proxy answers 503 UH, naming no version
        called = _labels(**CALLER, reporter="source", **service, destination_version="unknown", response_flags="UH")
        f.counter("istio_requests_total", f'{called},response_code="503"', total)
    # The app's own calls to payments, reported on its pods: not what its callers saw of it.
    own = _labels(**_pod(app, version), reporter="source", destination_service_name="payments", destination_service_namespace=NAMESPACE)
    f.counter("istio_requests_total", f'{own},destination_version="v1",response_flags="-",response_code="503"', total)


def _linkerd(f: Families, app: str, version: str, seen: Behaviour, total: int, elapsed: float) -> None:
    ok, errors = _split(total, seen.error_fraction)
    pod = _pod(app, version)
    # Probes and scrapes on the admin port: inbound successes whatever the app does, even when it is not Ready.
    admin = _labels(
        **pod, direction="inbound", target_port=str(ADMIN_PORT), tls="no_identity", srv_kind="default", srv_name="all-unauthenticated"
    )
    probes = int(5 * elapsed)
    f.counter("response_total", f'{admin},classification="success",status_code="200"', probes)
    f.histogram("response_latency_ms", admin, probes, 5)
    if seen.ready:
        inbound = _labels(
            **pod, direction="inbound", target_port=str(CONTAINER_PORT), tls="true", srv_kind="default", srv_name="all-authenticated"
        )
        f.counter("response_total", f'{inbound},classification="success",status_code="200"', ok)
        f.counter("response_total", f'{inbound},classification="failure",status_code="500"', errors)
        f.histogram("response_latency_ms", inbound, total, seen.latency_ms)
        called = _labels(
            **CALLER,
            direction="outbound",
            authority=f"{app}.{NAMESPACE}.svc.cluster.local:80",
            dst_namespace=NAMESPACE,
            dst_deployment=f"{app}-{version}",
            tls="true",
        )
        f.counter("response_total", f'{called},classification="success",status_code="200"', ok)
        f.counter("response_total", f'{called},classification="failure",status_code="500"', errors)
    else:  # fail-fast without an endpoint: the outbound series names no destination workload
        called = _labels(**CALLER, direction="outbound", authority=f"{app}-{version}.{NAMESPACE}.svc.cluster.local:80", tls="true")
        f.counter("response_total", f'{called},classification="failure",status_code="503"', total)
    own = _labels(
        **pod,
        direction="outbound",
        authority="payments.shop.svc.cluster.local:80",
        dst_namespace=NAMESPACE,
        dst_deployment="payments-v1",
        tls="true",
    )
    f.counter("response_total", f'{own},classification="failure",status_code="500"', total)


def _consul(f: Families, app: str, version: str, seen: Behaviour, total: int, cluster: str) -> None:
    ok, errors = _split(total, seen.error_fraction)
    if seen.ready:
        local = _labels(**_pod(app, version), envoy_cluster_name="local_app")
        f.counter("envoy_cluster_upstream_rq_xx", f'{local},envoy_response_code_class="2"', ok)
        f.counter("envoy_cluster_upstream_rq_xx", f'{local},envoy_response_code_class="5"', errors)
        f.histogram("envoy_cluster_upstream_rq_time", local, total, seen.latency_ms)
    else:
        ok, errors = 0, total  # no healthy upstream host: the callers' Envoy answers 503
    # Callers reach the subset locally and, for a share, through a peer (an `external` target).
    for routing, share in (("internal", 0.8), ("external", 0.2)):
        upstream = _labels(
            **CALLER,
            consul_destination_service=app,
            consul_destination_service_subset=version,
            consul_destination_namespace="default",
            consul_destination_datacenter=cluster,
            consul_destination_routing_type=routing,
        )
        f.counter("envoy_cluster_upstream_rq_xx", f'{upstream},envoy_response_code_class="2"', int(ok * share))
        f.counter("envoy_cluster_upstream_rq_xx", f'{upstream},envoy_response_code_class="5"', int(errors * share))
    own = _labels(
        **_pod(app, version),
        consul_destination_service="payments",
        consul_destination_service_subset="",
        consul_destination_routing_type="internal",
    )
    f.counter("envoy_cluster_upstream_rq_xx", f'{own},envoy_response_code_class="5"', total)


def exposition(mesh: str, cluster: str, elapsed: float) -> str:
    f = Families()
    for app in APPS:
        for version in VERSIONS:
            seen = behaviour(app, version, cluster)
            total = int(seen.rate * elapsed)
            if mesh == "istio":
                _istio(f, app, version, seen, total)
            elif mesh == "linkerd":
                _linkerd(f, app, version, seen, total, elapsed)
            else:
                _consul(f, app, version, seen, total, cluster)
    return f.text()


def kube_state_metrics(cluster: str) -> str:
    f = Families()
    for app in APPS:
        for version in VERSIONS:
            ready = behaviour(app, version, cluster).ready
            labels = _labels(namespace=NAMESPACE, deployment=f"{app}-{version}")
            f.gauge("kube_deployment_status_replicas_available", labels, 2 if ready else 0)
    return f.text()


class _Server(ThreadingHTTPServer):
    def handle_error(self, request: Any, client_address: Any) -> None:
        if isinstance(sys.exc_info()[1], ConnectionError):
            return  # Prometheus went away mid-scrape: it is being stopped
        super().handle_error(request, client_address)


class Handler(BaseHTTPRequestHandler):
    def answer(self, status: int, body: bytes, content_type: str = "application/json") -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


@contextmanager
def on_loopback(handler: type[BaseHTTPRequestHandler], tls: ssl.SSLContext | None = None) -> Iterator[str]:
    """Serve `handler` on 127.0.0.1 (over TLS with `tls`) until the block ends; yields `host:port`."""
    server = _Server(("127.0.0.1", 0), handler)
    if tls is not None:
        server.socket = tls.wrap_socket(server.socket, server_side=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@contextmanager
def serving() -> Iterator[str]:
    """Serve every mesh's clusters on 127.0.0.1; yields `host:port`."""
    started = time.monotonic()

    class Pods(Handler):
        def do_GET(self) -> None:
            parts = self.path.strip("/").split("/")
            if len(parts) != 2 or parts[0] not in (*MESHES, "ksm") or parts[1] not in CLUSTERS:
                self.send_error(404)
                return
            source, cluster = parts
            text = kube_state_metrics(cluster) if source == "ksm" else exposition(source, cluster, time.monotonic() - started)
            self.answer(200, text.encode(), "text/plain; version=0.0.4")

    with on_loopback(Pods) as address:
        yield address
