"""The fleet's scraper and trace collector under Linkerd's inbound policy (components/meshes/linkerd/scraping.py),
through a model of the policy controller and proxy (tests/meshes/linkerd/inbound_policy_model.py)."""

from __future__ import annotations

from typing import Any

import pulumi
import pytest

from components.config import ScraperSpec
from components.meshes.linkerd.scraping import ScrapeAccess, ScrapeAccessArgs
from components.simulation import Recorded, Simulation, run_program, simulate
from tests.meshes.linkerd.inbound_policy_model import ADMIN_PROBE_PATHS, Client, Object, Pod, Policy, objects_of
from tests.support import LINKERD, raw_config
from tests.upstream_crds import UPSTREAMS, configured, load, validate

DOMAIN = "linkerd.meshfleet.internal"
CLUSTERS = ("eks-use1", "eks-euc1", "gke-usc1")
SCRAPER = {"serviceAccount": "prometheus", "namespace": "monitoring"}
ENDPOINT = "otel-collector.observability.svc.cluster.local:4317"
PROMETHEUS = Client("10.0.9.9", f"prometheus.monitoring.serviceaccount.identity.linkerd.{DOMAIN}")
UNMESHED_PROMETHEUS = Client("10.0.9.9")
KUBELET = Client("10.0.1.1")
ADMIN = "linkerd-admin"

# What the linkerd-multicluster chart ships for its pods' admin port (templates/service-mirror-policy.yaml at
# edge-26.8.3): a Server on linkerd-admin for every `linkerd.io/extension: multicluster` pod, authorizing only
# linkerd-viz's Prometheus.
CHART_OBJECTS = [
    Object(
        "Server",
        "linkerd-multicluster",
        "linkerd-admin",
        {"podSelector": {"matchLabels": {"linkerd.io/extension": "multicluster"}}, "port": ADMIN, "proxyProtocol": "HTTP/1"},
    ),
    Object(
        "AuthorizationPolicy",
        "linkerd-multicluster",
        "linkerd-admin",
        {
            "targetRef": {"group": "policy.linkerd.io", "kind": "Server", "name": "linkerd-admin"},
            "requiredAuthenticationRefs": [{"kind": "ServiceAccount", "name": "prometheus", "namespace": "linkerd-viz"}],
        },
    ),
]
GATEWAY_POD = Pod("linkerd-multicluster", {"app": "linkerd-gateway", "linkerd.io/extension": "multicluster"}, "all-authenticated")


def fleet(default_access: str = "allow", tracing: bool = False) -> Simulation:
    mesh = raw_config(LINKERD)["mesh"]
    mesh["defaultAccess"] = default_access
    observability: dict[str, Any] = {"metrics": {"enabled": True, "scraper": SCRAPER}}
    if tracing:
        observability["tracing"] = {"endpoint": ENDPOINT, "collectorServiceAccount": "otel-collector"}
    return simulate("linkerd", config_file=LINKERD, config={"meshfleet:mesh": mesh, "meshfleet:observability": observability})


@pytest.fixture(scope="module")
def allowing() -> Simulation:
    return fleet()


@pytest.fixture(scope="module")
def denying() -> Simulation:
    return fleet("deny", tracing=True)


def in_cluster(sim: Simulation, cluster: str) -> list[Recorded]:
    return [r for r in sim.resources if r.provider.endswith(f"::{cluster}-k8s")]


def app_pod(policy: str) -> Pod:
    return Pod("shop", {"app": "shop", "linkerd.io/control-plane-ns": "linkerd"}, policy, {ADMIN: ADMIN_PROBE_PATHS})


def scrape_access(namespace: str = "shop") -> Simulation:
    def program() -> None:
        provider = pulumi.ProviderResource("kubernetes", "eks-use1-k8s", {})
        args = ScrapeAccessArgs(namespace, ScraperSpec("prometheus", "monitoring"))
        ScrapeAccess("shop-scrapes", args, pulumi.ResourceOptions(providers=[provider]))

    return run_program(program)


def test_the_scraper_is_authorized_on_the_multicluster_admin_server_in_every_cluster(allowing: Simulation) -> None:
    for cluster in CLUSTERS:
        made = objects_of(in_cluster(allowing, cluster))
        assert made == [
            Object(
                "AuthorizationPolicy",
                "linkerd-multicluster",
                "meshfleet-scraper",
                {
                    "targetRef": {"group": "policy.linkerd.io", "kind": "Server", "name": "linkerd-admin"},
                    "requiredAuthenticationRefs": [{"kind": "ServiceAccount", "name": "prometheus", "namespace": "monitoring"}],
                },
            )
        ]
        gateway = Policy([*CHART_OBJECTS, *made], DOMAIN)
        assert gateway.allows(GATEWAY_POD, ADMIN, PROMETHEUS, "/metrics")
        # Without it the chart's Server admits only linkerd-viz's Prometheus.
        assert not Policy(CHART_OBJECTS, DOMAIN).allows(GATEWAY_POD, ADMIN, PROMETHEUS, "/metrics")


def test_under_all_authenticated_a_meshed_scraper_is_admitted_and_an_unmeshed_one_refused() -> None:
    nothing = Policy([], DOMAIN)
    pod = app_pod("all-authenticated")
    assert nothing.allows(pod, ADMIN, PROMETHEUS, "/metrics")
    assert not nothing.allows(pod, ADMIN, UNMESHED_PROMETHEUS, "/metrics")
    assert nothing.allows(pod, ADMIN, KUBELET, "/ready"), "the probe route admits the kubelet unauthenticated"


def test_under_deny_scrape_access_admits_the_scraper_and_keeps_the_proxys_probes() -> None:
    pod = app_pod("deny")
    assert not Policy([], DOMAIN).allows(pod, ADMIN, PROMETHEUS, "/metrics")
    policy = Policy(objects_of(scrape_access().resources), DOMAIN)
    assert policy.allows(pod, ADMIN, PROMETHEUS, "/metrics")
    assert not policy.allows(pod, ADMIN, UNMESHED_PROMETHEUS, "/metrics")
    assert not policy.allows(pod, ADMIN, Client("10.0.9.8", f"web.shop.serviceaccount.identity.linkerd.{DOMAIN}"), "/metrics")
    for path in ADMIN_PROBE_PATHS:
        assert policy.allows(pod, ADMIN, KUBELET, path)
    assert not policy.allows(pod, ADMIN, PROMETHEUS, "/shutdown"), "only /metrics and the probes are routed"


def test_scrape_access_is_what_allow_scrapes_prints_with_the_fleets_scraper() -> None:
    by_name = {(o.kind, o.name): o.spec for o in objects_of(scrape_access().resources)}
    parent = [{"group": "policy.linkerd.io", "kind": "Server", "name": "proxy-admin"}]
    assert by_name == {
        ("NetworkAuthentication", "meshfleet-kubelet"): {"networks": [{"cidr": "0.0.0.0/0"}, {"cidr": "::/0"}]},
        ("HTTPRoute", "proxy-metrics"): {
            "parentRefs": parent,
            "rules": [{"matches": [{"path": {"type": "PathPrefix", "value": "/metrics"}}]}],
        },
        ("HTTPRoute", "proxy-probes"): {
            "parentRefs": parent,
            "rules": [
                {"matches": [{"path": {"type": "PathPrefix", "value": "/live"}}, {"path": {"type": "PathPrefix", "value": "/ready"}}]}
            ],
        },
        ("AuthorizationPolicy", "meshfleet-scraper"): {
            "targetRef": {"group": "policy.linkerd.io", "kind": "HTTPRoute", "name": "proxy-metrics"},
            "requiredAuthenticationRefs": [{"kind": "ServiceAccount", "name": "prometheus", "namespace": "monitoring"}],
        },
        ("AuthorizationPolicy", "proxy-probes"): {
            "targetRef": {"group": "policy.linkerd.io", "kind": "HTTPRoute", "name": "proxy-probes"},
            "requiredAuthenticationRefs": [{"group": "policy.linkerd.io", "kind": "NetworkAuthentication", "name": "meshfleet-kubelet"}],
        },
        ("Server", "proxy-admin"): {
            "podSelector": {"matchExpressions": [{"key": "linkerd.io/control-plane-ns", "operator": "Exists"}]},
            "port": "linkerd-admin",
            "proxyProtocol": "HTTP/1",
        },
    }


def test_under_deny_the_trace_collector_admits_every_meshed_proxy(denying: Simulation) -> None:
    collector = Pod("observability", {"app": "otel-collector"}, "deny")
    for cluster in CLUSTERS:
        policy = Policy([*CHART_OBJECTS, *objects_of(in_cluster(denying, cluster))], DOMAIN)
        proxy = Client("10.0.3.3", f"web.shop.serviceaccount.identity.linkerd.{DOMAIN}")
        assert policy.allows(collector, 4317, proxy, "/opentelemetry.proto.collector.trace.v1.TraceService/Export", "POST")
        assert not Policy([], DOMAIN).allows(collector, 4317, proxy, "/opentelemetry.proto.collector.trace.v1.TraceService/Export", "POST")


def test_no_collector_objects_while_the_fleet_allows(allowing: Simulation) -> None:
    assert not [r for r in allowing.resources if r.inputs.get("metadata", {}).get("namespace") == "observability"]


def test_every_object_validates_against_the_pinned_crds(denying: Simulation) -> None:
    upstream = next(u for u in UPSTREAMS if u.mesh == "linkerd")
    location = configured(upstream)
    if location is None:
        pytest.skip(upstream.how_to_set())
    crds = load(upstream, *location)
    made = [r for r in [*denying.resources, *scrape_access().resources] if r.type.startswith("kubernetes:policy.linkerd.io/")]
    assert {r.inputs["kind"] for r in made} == {
        "Server",
        "HTTPRoute",
        "AuthorizationPolicy",
        "MeshTLSAuthentication",
        "NetworkAuthentication",
    }
    for r in made:
        group, version = r.inputs["apiVersion"].split("/")
        assert validate(r.inputs, crds, (group, version, r.inputs["kind"])) == [], r.urn
