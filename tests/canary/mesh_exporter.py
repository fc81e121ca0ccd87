"""A local stand-in for meshed pods: serves each mesh's proxy metrics for a stable and a canary version.

Path `/<mesh>/<app>/<version>` is one pod. Counters grow with wall time at a fixed request rate, as a
proxy's would, so Prometheus' rate() and increase() see real slopes. The app `shop-healthy` has a canary
as good as its stable version; `shop-failing` has a canary with 20% server errors and 20x the latency.
Each pod also serves series the gate must NOT read (Istio's source-side reports, Linkerd's outbound side,
Envoy's other upstream clusters), all of them failing, so a query that ignores the mesh's scope fails.
"""

from __future__ import annotations

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
APPS = ("shop-healthy", "shop-failing")
VERSIONS = ("v1", "v2")


@dataclass(frozen=True)
class Behaviour:
    error_fraction: float
    latency_ms: int
    """Every request falls in the bucket of this bound."""


def behaviour(app: str, version: str) -> Behaviour:
    if app == "shop-failing" and version == "v2":
        return Behaviour(error_fraction=0.2, latency_ms=1000)
    return Behaviour(error_fraction=0.005, latency_ms=50)


BROKEN = Behaviour(error_fraction=0.9, latency_ms=2500)


def _histogram(name: str, labels: str, total: int, latency_ms: int) -> list[str]:
    lines = [f'{name}_bucket{{{labels},le="{bound}"}} {total if bound >= latency_ms else 0}' for bound in BUCKETS_MS]
    lines.append(f'{name}_bucket{{{labels},le="+Inf"}} {total}')
    base = name.removesuffix("_bucket")
    lines += [f"{base}_sum{{{labels}}} {total * latency_ms}", f"{base}_count{{{labels}}} {total}"]
    return lines


def _series(mesh: str, app: str, scope: str, seen: Behaviour, total: int) -> list[str]:
    errors = int(total * seen.error_fraction)
    ok = total - errors
    if mesh == "istio":
        labels = f'reporter="{scope}",destination_service_name="{app}",destination_service_namespace="shop"'
        return [
            "# TYPE istio_requests_total counter",
            f'istio_requests_total{{{labels},response_code="200"}} {ok}',
            f'istio_requests_total{{{labels},response_code="503"}} {errors}',
            "# TYPE istio_request_duration_milliseconds histogram",
            *_histogram("istio_request_duration_milliseconds", labels, total, seen.latency_ms),
        ]
    if mesh == "linkerd":
        labels = f'direction="{scope}",authority="{app}.shop.svc.cluster.local:80",tls="true"'
        return [
            "# TYPE response_total counter",
            f'response_total{{{labels},classification="success",status_code="200"}} {ok}',
            f'response_total{{{labels},classification="failure",status_code="500"}} {errors}',
            "# TYPE response_latency_ms histogram",
            *_histogram("response_latency_ms", labels, total, seen.latency_ms),
        ]
    labels = f'envoy_cluster_name="{scope}"'
    return [
        "# TYPE envoy_cluster_upstream_rq_xx counter",
        f'envoy_cluster_upstream_rq_xx{{{labels},envoy_response_code_class="2"}} {ok}',
        f'envoy_cluster_upstream_rq_xx{{{labels},envoy_response_code_class="5"}} {errors}',
        "# TYPE envoy_cluster_upstream_rq_time histogram",
        *_histogram("envoy_cluster_upstream_rq_time", labels, total, seen.latency_ms),
    ]


INBOUND = {"istio": ("destination", "source"), "linkerd": ("inbound", "outbound"), "consul": ("local_app", "payments")}
"""Per mesh: the scope the gate reads, and one it must ignore."""


def exposition(mesh: str, app: str, version: str, elapsed: float) -> str:
    total = int(REQUESTS_PER_SECOND * elapsed)
    inbound, other = INBOUND[mesh]
    lines = _series(mesh, app, inbound, behaviour(app, version), total)
    # Declared types must come once per metric family, so the ignored scope goes without them.
    lines += [line for line in _series(mesh, app, other, BROKEN, total) if not line.startswith("#")]
    return "\n".join(lines) + "\n"


class _Server(ThreadingHTTPServer):
    def handle_error(self, request: Any, client_address: Any) -> None:
        if isinstance(sys.exc_info()[1], ConnectionError):
            return  # Prometheus went away mid-scrape: it is being stopped
        super().handle_error(request, client_address)


@contextmanager
def serving() -> Iterator[str]:
    """Serve every mesh's pods on 127.0.0.1; yields `host:port`."""
    started = time.monotonic()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            parts = self.path.strip("/").split("/")
            if len(parts) != 3 or parts[0] not in MESHES or parts[1] not in APPS or parts[2] not in VERSIONS:
                self.send_error(404)
                return
            mesh, app, version = parts
            body = exposition(mesh, app, version, time.monotonic() - started).encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/plain; version=0.0.4")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = _Server(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
