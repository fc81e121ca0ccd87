"""App teams' weighted versions on Consul (meshfleet_appteam/consul/routing.py)."""

from __future__ import annotations

from dataclasses import replace

import pulumi
import pytest

from components.config import LocalityFailover
from components.meshes import BlueGreen, HeaderMatch, HeaderRoute, Mirror, Retries, ServiceRoutingArgs, mesh_for
from components.simulation import Simulation, run_program
from tests.meshes.helpers import depends_on, service_routing

API = "kubernetes:consul.hashicorp.com/v1alpha1"


def routed(weights: dict[str, int]) -> Simulation:
    def program() -> None:
        provider = pulumi.ProviderResource("kubernetes", "eks-use1-k8s", {})
        mesh_for("consul").service_routing(
            "eks-use1-shop",
            ServiceRoutingArgs(
                service="shop",
                namespace="shop",
                weights=weights,
                failover=[LocalityFailover("us-east-1", "us-central1")],
                cluster="eks-use1",
                cluster_regions={"eks-use1": "us-east-1", "gke-usc1": "us-central1"},
            ),
            pulumi.ResourceOptions(providers=[provider]),
        )

    return run_program(program)


def test_versions_are_split_by_weight_between_resolver_subsets() -> None:
    sim = routed({"v1": 90, "v2": 10})
    defaults = sim.named("eks-use1-shop-defaults", f"{API}:ServiceDefaults")
    resolver = sim.named("eks-use1-shop", f"{API}:ServiceResolver")
    splitter = sim.named("eks-use1-shop-routes", f"{API}:ServiceSplitter")
    for resource in (defaults, resolver, splitter):
        assert resource.inputs["metadata"] == {"name": "shop", "namespace": "shop"}, resource.name
        assert resource.provider.endswith("eks-use1-k8s"), resource.name
    assert defaults.inputs["spec"] == {"protocol": "http"}  # splitters are L7: Consul refuses them on tcp
    assert resolver.inputs["spec"]["subsets"] == {
        "v1": {"filter": 'Service.Meta.version == "v1"'},
        "v2": {"filter": 'Service.Meta.version == "v2"'},
    }
    assert resolver.inputs["spec"]["failover"] == {"*": {"targets": [{"peer": "gke-usc1"}]}}
    assert splitter.inputs["spec"] == {"splits": [{"weight": 90, "serviceSubset": "v1"}, {"weight": 10, "serviceSubset": "v2"}]}
    # The splitter names the resolver's subsets and needs the http protocol, so it comes last.
    assert depends_on(sim, splitter, resolver) and depends_on(sim, splitter, defaults)


def test_a_finished_canary_keeps_a_zero_weight_split() -> None:
    # The webhook admits a weight of 0 (servicesplitter_types.go ServiceSplit.validate).
    splitter = routed({"v1": 0, "v2": 100}).named("eks-use1-shop-routes", f"{API}:ServiceSplitter")
    assert splitter.inputs["spec"]["splits"] == [{"weight": 0, "serviceSubset": "v1"}, {"weight": 100, "serviceSubset": "v2"}]


def test_pods_tell_versions_apart_by_the_service_meta_annotation() -> None:
    # control-plane/connect-inject/constants: AnnotationMeta, copied into Service.Meta by the endpoints controller.
    assert mesh_for("consul").version_annotations("version", "v2") == {"consul.hashicorp.com/service-meta-version": "v2"}
    assert mesh_for("istio").version_annotations("version", "v2") == {}


# --- header routes, blue-green, timeouts and retries; what Consul refuses -----------------------------

CANARY = ServiceRoutingArgs(service="shop", namespace="shop", weights={"v1": 90, "v2": 10})
ROUTER = f"{API}:ServiceRouter"


def router(args: ServiceRoutingArgs) -> dict[str, object]:
    sim = service_routing("consul", args)
    service_router = sim.named("eks-use1-shop-router", ROUTER)
    assert service_router.inputs["metadata"] == {"name": "shop", "namespace": "shop"}
    assert service_router.provider.endswith("eks-use1-k8s")
    # Routes name the resolver's subsets and fall through to the splitter; all need the http protocol.
    for name, kind in (
        ("eks-use1-shop", "ServiceResolver"),
        ("eks-use1-shop-routes", "ServiceSplitter"),
        ("eks-use1-shop-defaults", "ServiceDefaults"),
    ):
        assert depends_on(sim, service_router, sim.named(name, f"{API}:{kind}")), kind
    spec: dict[str, object] = service_router.inputs["spec"]
    return spec


def test_without_the_new_options_there_is_no_service_router() -> None:
    assert service_routing("consul", CANARY).of_type(ROUTER) == []


def test_header_routes_go_to_subsets_and_a_catch_all_route_carries_the_timeout_and_retries() -> None:
    spec = router(
        replace(
            CANARY,
            header_routes=[
                HeaderRoute("v2", [HeaderMatch("x-canary", "true")]),
                HeaderRoute("v1", [HeaderMatch("x-team", "pay", kind="prefix"), HeaderMatch("user-agent", ".*Mobile.*", kind="regex")]),
            ],
            timeout="10s",
            retries=Retries(attempts=3, on=("5xx", "connect-failure", 503)),
        )
    )
    policy = {"requestTimeout": "10s", "numRetries": 3, "retryOn": ["5xx", "connect-failure"], "retryOnStatusCodes": [503]}
    assert spec == {
        "routes": [
            {"match": {"http": {"header": [{"name": "x-canary", "exact": "true"}]}}, "destination": {"serviceSubset": "v2", **policy}},
            {
                "match": {"http": {"header": [{"name": "x-team", "prefix": "pay"}, {"name": "user-agent", "regex": ".*Mobile.*"}]}},
                "destination": {"serviceSubset": "v1", **policy},
            },
            # No match, no subset: every other request, on to the splitter (discoverychain compile.go).
            {"destination": policy},
        ]
    }


def test_header_routes_alone_need_no_catch_all_route() -> None:
    spec = router(replace(CANARY, header_routes=[HeaderRoute("v2", [HeaderMatch("x-canary", "true")])]))
    assert spec == {
        "routes": [{"match": {"http": {"header": [{"name": "x-canary", "exact": "true"}]}}, "destination": {"serviceSubset": "v2"}}]
    }


def test_blue_green_splits_everything_to_the_active_subset_and_switches_by_one_value() -> None:
    blue = ServiceRoutingArgs(service="shop", namespace="shop", blue_green=BlueGreen(versions=("blue", "green"), active="blue"))
    before = service_routing("consul", blue)
    after = service_routing("consul", replace(blue, blue_green=BlueGreen(versions=("blue", "green"), active="green")))
    for sim in (before, after):
        assert list(sim.named("eks-use1-shop", f"{API}:ServiceResolver").inputs["spec"]["subsets"]) == ["blue", "green"]
    assert before.named("eks-use1-shop-routes", f"{API}:ServiceSplitter").inputs["spec"] == {
        "splits": [{"weight": 100, "serviceSubset": "blue"}]
    }
    assert after.named("eks-use1-shop-routes", f"{API}:ServiceSplitter").inputs["spec"] == {
        "splits": [{"weight": 100, "serviceSubset": "green"}]
    }


def refused(args: ServiceRoutingArgs) -> str:
    with pytest.raises(ValueError) as caught:
        mesh_for("consul").service_routing("shop", args, pulumi.ResourceOptions())
    return str(caught.value)


def test_fails_mirroring_on_consul() -> None:
    assert refused(replace(CANARY, mirror=Mirror("v2", 10.0))) == (
        "routing for shop: Consul cannot mirror requests: none of its routing config entries (ServiceRouter, ServiceSplitter, "
        "ServiceResolver) has request mirroring; pass no mirror, or shift a small weight to the version instead"
    )


def test_fails_a_per_try_timeout_on_consul() -> None:
    assert refused(replace(CANARY, retries=Retries(attempts=2, on=("5xx",), per_try_timeout="2s"))) == (
        "routing for shop: Consul cannot time out each retry: a ServiceRouter destination has requestTimeout (the whole "
        "request, retries included) but no per-try timeout; pass no retries.per_try_timeout and set timeout instead"
    )


def test_no_retries_is_consuls_default_so_attempts_zero_writes_no_router() -> None:
    assert service_routing("consul", replace(CANARY, retries=Retries(attempts=0))).of_type(ROUTER) == []
