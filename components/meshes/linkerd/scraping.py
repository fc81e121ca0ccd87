"""Who may scrape Linkerd's proxies and receive their spans, once the inbound policy refuses strangers.

Every proxy serves its metrics on its admin port (`linkerd-admin`, 4191), and the admin port enforces the
inbound policy like any other: with no Server on it, the policy controller gives it the default policy's
authorization plus the probe paths on the probe networks (policy-controller/k8s/index/src/defaults.rs:83-131,
inbound/index.rs:1753-1782 and 2241-2280 at edge-26.8.3), so under `all-authenticated` only meshed clients get
`/metrics`, and under `deny` nobody does. What meshfleet writes, all fields from linkerd-crds at edge-26.8.3:

- in `linkerd-multicluster`, an AuthorizationPolicy on the chart's own `linkerd-admin` Server (which admits
  only linkerd-viz's Prometheus: templates/service-mirror-policy.yaml), admitting the fleet's scraper;
- for a namespace of meshed workloads under `deny`, `ScrapeAccess`: what `linkerd viz allow-scrapes` prints
  (viz/cmd/allow-scrapes.go), with the fleet's scraper instead of linkerd-viz's and a NetworkAuthentication of
  its own for the kubelets (allow-scrapes refers to linkerd-viz's `kubelet`);
- under `deny` with tracing, a Server on the collector's port in its namespace that admits every meshed proxy:
  the proxies send spans from their own identities to the collector's meshed pod.
The control plane's own pods pin `all-unauthenticated` (destination.yaml and friends), so they need nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_kubernetes as k8s

from ...config import ScraperSpec, TracingSpec
from .values import MULTICLUSTER_NAMESPACE

SERVER_API_VERSION = "policy.linkerd.io/v1beta3"
ROUTE_API_VERSION = "policy.linkerd.io/v1beta3"
AUTH_API_VERSION = "policy.linkerd.io/v1alpha1"
GROUP = "policy.linkerd.io"
ADMIN_PORT = "linkerd-admin"
MULTICLUSTER_ADMIN_SERVER = "linkerd-admin"  # multicluster templates/service-mirror-policy.yaml
SCRAPER = "meshfleet-scraper"
KUBELET = "meshfleet-kubelet"
COLLECTOR = "meshfleet-trace-collector"
EVERY_NETWORK = [{"cidr": "0.0.0.0/0"}, {"cidr": "::/0"}]
"""policyController.probeNetworks' default: where the kubelets' probes are admitted from."""


def scraper_ref(scraper: ScraperSpec) -> dict[str, str]:
    """The scraper as an AuthorizationPolicy names a meshed client (allow-scrapes' `kind: ServiceAccount` ref)."""
    return {"kind": "ServiceAccount", "name": scraper.service_account, "namespace": scraper.namespace}


def authorization_spec(kind: str, target: str, refs: list[dict[str, str]]) -> dict[str, Any]:
    return {"targetRef": {"group": GROUP, "kind": kind, "name": target}, "requiredAuthenticationRefs": refs}


def admin_server_spec() -> dict[str, Any]:
    """allow-scrapes' `proxy-admin`: the admin port of every meshed pod of the namespace."""
    return {
        "podSelector": {"matchExpressions": [{"key": "linkerd.io/control-plane-ns", "operator": "Exists"}]},
        "port": ADMIN_PORT,
        "proxyProtocol": "HTTP/1",
    }


def route_spec(server: str, paths: list[str]) -> dict[str, Any]:
    # allow-scrapes writes the path value alone, which the CRD defaults to PathPrefix.
    matches = [{"path": {"type": "PathPrefix", "value": path}} for path in paths]
    return {"parentRefs": [{"group": GROUP, "kind": "Server", "name": server}], "rules": [{"matches": matches}]}


def collector_server_spec(tracing: TracingSpec) -> dict[str, Any]:
    # Every pod of the collector's namespace, on the collector's port: Linkerd selects pods by label only, and
    # meshfleet knows the collector by its service account and endpoint.
    return {"podSelector": {}, "port": tracing.port}


@dataclass(frozen=True)
class ScrapeAccessArgs:
    namespace: str
    """A namespace of meshed workloads whose proxies the fleet's scraper reads."""
    scraper: ScraperSpec
    """The fleet's scraper, as its `meshfleet:observability.metrics.scraper` names it."""


class _Objects(pulumi.ComponentResource):
    def _custom(
        self, name: str, api_version: str, kind: str, metadata: dict[str, str], spec: dict[str, Any], after: list[pulumi.Resource]
    ) -> k8s.apiextensions.CustomResource:
        return k8s.apiextensions.CustomResource(
            name,
            api_version=api_version,
            kind=kind,
            metadata=k8s.meta.v1.ObjectMetaArgs(name=metadata["name"], namespace=metadata["namespace"]),
            spec=spec,
            opts=pulumi.ResourceOptions(parent=self, depends_on=after),
        )


class ScrapeAccess(_Objects):
    """`linkerd viz allow-scrapes --namespace <ns>` for the fleet's scraper: under `deny`, without it the
    namespace's proxies refuse every scrape. The Server comes last, so the proxies' own probes (which a Server
    with routes no longer admits by default) are authorized before it takes over the admin port."""

    def __init__(self, name: str, args: ScrapeAccessArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("meshfleet:linkerd:ScrapeAccess", name, None, opts)
        ns = {"namespace": args.namespace}
        kubelet = self._custom(
            f"{name}-kubelet", AUTH_API_VERSION, "NetworkAuthentication", {"name": KUBELET, **ns}, {"networks": EVERY_NETWORK}, []
        )
        metrics = self._custom(
            f"{name}-metrics", ROUTE_API_VERSION, "HTTPRoute", {"name": "proxy-metrics", **ns}, route_spec("proxy-admin", ["/metrics"]), []
        )
        probes = self._custom(
            f"{name}-probes",
            ROUTE_API_VERSION,
            "HTTPRoute",
            {"name": "proxy-probes", **ns},
            route_spec("proxy-admin", ["/live", "/ready"]),
            [],
        )
        scrape = self._custom(
            f"{name}-scrape",
            AUTH_API_VERSION,
            "AuthorizationPolicy",
            {"name": SCRAPER, **ns},
            authorization_spec("HTTPRoute", "proxy-metrics", [scraper_ref(args.scraper)]),
            [metrics],
        )
        probed = self._custom(
            f"{name}-probes-authorization",
            AUTH_API_VERSION,
            "AuthorizationPolicy",
            {"name": "proxy-probes", **ns},
            authorization_spec("HTTPRoute", "proxy-probes", [{"group": GROUP, "kind": "NetworkAuthentication", "name": KUBELET}]),
            [probes, kubelet],
        )
        self.server = self._custom(
            f"{name}-server", SERVER_API_VERSION, "Server", {"name": "proxy-admin", **ns}, admin_server_spec(), [scrape, probed]
        )
        self.register_outputs({"namespace": args.namespace})


class FleetScraping(_Objects):
    """What one cluster needs for the fleet's scraper and, under `deny`, for the trace collector."""

    def __init__(
        self,
        name: str,
        scraper: ScraperSpec | None,
        collector: TracingSpec | None,
        after: list[pulumi.Resource],
        opts: pulumi.ResourceOptions,
    ) -> None:
        super().__init__("meshfleet:linkerd:Scraping", name, None, opts)
        if scraper is not None:
            self._custom(
                f"{name}-multicluster-admin-scraper",
                AUTH_API_VERSION,
                "AuthorizationPolicy",
                {"name": SCRAPER, "namespace": MULTICLUSTER_NAMESPACE},
                authorization_spec("Server", MULTICLUSTER_ADMIN_SERVER, [scraper_ref(scraper)]),
                after,
            )
        if collector is not None and collector.namespace is not None:
            ns = {"namespace": collector.namespace}
            proxies = self._custom(
                f"{name}-collector-callers",
                AUTH_API_VERSION,
                "MeshTLSAuthentication",
                {"name": COLLECTOR, **ns},
                {"identities": ["*"]},
                after,
            )
            policy = self._custom(
                f"{name}-collector-authorization",
                AUTH_API_VERSION,
                "AuthorizationPolicy",
                {"name": COLLECTOR, **ns},
                authorization_spec("Server", COLLECTOR, [{"group": GROUP, "kind": "MeshTLSAuthentication", "name": COLLECTOR}]),
                [proxies],
            )
            self._custom(
                f"{name}-collector-server",
                SERVER_API_VERSION,
                "Server",
                {"name": COLLECTOR, **ns},
                collector_server_spec(collector),
                [policy],
            )
        self.register_outputs({})
