"""App teams' weighted versions on Linkerd (meshfleet_appteam/linkerd/routing.py), through `mesh_for`."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pulumi
import pytest

from components.config import LocalityFailover
from components.meshes import BlueGreen, HeaderMatch, HeaderRoute, Mirror, Retries, ServiceRoutingArgs, mesh_for
from components.simulation import run_program
from tests.meshes.helpers import depends_on, names, service_routing

HTTP_ROUTE = "kubernetes:policy.linkerd.io/v1beta3:HTTPRoute"


def route(weights: dict[str, int]) -> tuple[list[dict[str, object]], dict[str, object]]:
    def program() -> None:
        provider = pulumi.ProviderResource("kubernetes", "eks-use1-k8s", {})
        mesh_for("linkerd").service_routing(
            "eks-use1-checkout",
            ServiceRoutingArgs(
                service="checkout", namespace="shop", weights=weights, port=80, target_port=8080, selector={"app": "checkout"}
            ),
            pulumi.ResourceOptions(providers=[provider]),
        )

    sim = run_program(program)
    # Registration order is the event loop's; the versions are compared by name.
    services = sorted(sim.of_type("kubernetes:core/v1:Service"), key=lambda r: r.name)
    [http_route] = sim.of_type(HTTP_ROUTE)
    for resource in (*services, http_route):
        assert resource.provider.endswith("eks-use1-k8s"), resource.urn
    for service in services:
        assert service.urn in http_route.dependencies  # backends exist before the route sends traffic to them
    return [{"metadata": s.inputs["metadata"], "spec": s.inputs["spec"]} for s in services], http_route.inputs


def test_weighted_versions_are_per_version_services_and_one_http_route() -> None:
    services, http_route = route({"v1": 90, "v2": 10})
    assert services == [
        {
            "metadata": {"name": f"checkout-{v}", "namespace": "shop"},
            "spec": {"selector": {"app": "checkout", "version": v}, "ports": [{"name": "http", "port": 80, "targetPort": 8080}]},
        }
        for v in ("v1", "v2")
    ]
    assert http_route["metadata"] == {"name": "checkout", "namespace": "shop"}
    assert http_route["spec"] == {
        "parentRefs": [{"group": "core", "kind": "Service", "name": "checkout", "port": 80}],
        "rules": [
            {
                "backendRefs": [
                    {"name": "checkout-v1", "port": 80, "weight": 90},
                    {"name": "checkout-v2", "port": 80, "weight": 10},
                ]
            }
        ],
    }


def test_promoting_the_canary_changes_only_the_weights() -> None:
    _, before = route({"v1": 90, "v2": 10})
    _, after = route({"v1": 0, "v2": 100})
    weights = [b["weight"] for b in after["spec"]["rules"][0]["backendRefs"]]  # type: ignore[index]
    assert weights == [0, 100]
    assert before["spec"]["parentRefs"] == after["spec"]["parentRefs"]  # type: ignore[index]


def test_fails_locality_failover_on_linkerd() -> None:
    args = ServiceRoutingArgs(
        service="checkout", namespace="shop", weights={"v1": 100}, failover=[LocalityFailover("us-east-1", "us-central1")]
    )
    with pytest.raises(ValueError) as caught:
        mesh_for("linkerd").service_routing("checkout", args, pulumi.ResourceOptions())
    assert str(caught.value) == (
        "routing for checkout: Linkerd cannot fail over between regions, it has no automatic cross-cluster locality failover; "
        "pass no failover (a Linkerd fleet's contract lists none). What Linkerd offers instead: topology-aware routing within "
        "a cluster, weighted HTTPRoute backends that send a share of a service's traffic to its mirrored '<service>-<cluster>' "
        "Services, and federated services (label 'mirror.linkerd.io/federated: member') that balance across every cluster "
        '(docs/linkerd.md, "Locality")'
    )


# --- header routes, blue-green, timeouts and retries; what Linkerd refuses ----------------------------

CANARY = ServiceRoutingArgs(service="shop", namespace="shop", weights={"v1": 90, "v2": 10})


def shop_route(args: ServiceRoutingArgs) -> dict[str, Any]:
    sim = service_routing("linkerd", args)
    http_route = sim.named("eks-use1-shop-routes", HTTP_ROUTE)
    for service in sim.of_type("kubernetes:core/v1:Service"):
        assert depends_on(sim, http_route, service), f"{service.urn} is a backend, so it comes before the route"
    return {"metadata": http_route.inputs["metadata"], "spec": http_route.inputs["spec"]}


def test_header_routes_timeouts_and_retries_are_http_route_rules_and_annotations() -> None:
    route = shop_route(
        replace(
            CANARY,
            header_routes=[
                HeaderRoute("v2", [HeaderMatch("x-canary", "true")]),
                HeaderRoute("v1", [HeaderMatch("x-team", "^pay", kind="regex"), HeaderMatch("x-tier", "gold")]),
            ],
            timeout="10s",
            retries=Retries(attempts=3, on=("5xx", 429), per_try_timeout="2s"),
        )
    )
    # http.rs parse_http_retry reads these from the route; limit = retries after the first try.
    assert route["metadata"] == {
        "name": "shop",
        "namespace": "shop",
        "annotations": {"retry.linkerd.io/limit": "3", "retry.linkerd.io/http": "5xx,429", "retry.linkerd.io/timeout": "2s"},
    }
    timeouts = {"timeouts": {"request": "10s"}}
    assert route["spec"] == {
        "parentRefs": [{"group": "core", "kind": "Service", "name": "shop", "port": 80}],
        "rules": [
            {
                "matches": [{"headers": [{"name": "x-canary", "type": "Exact", "value": "true"}]}],
                "backendRefs": [{"name": "shop-v2", "port": 80}],
                **timeouts,
            },
            {
                "matches": [
                    {
                        "headers": [
                            {"name": "x-team", "type": "RegularExpression", "value": "^pay"},
                            {"name": "x-tier", "type": "Exact", "value": "gold"},
                        ]
                    }
                ],
                "backendRefs": [{"name": "shop-v1", "port": 80}],
                **timeouts,
            },
            {"backendRefs": [{"name": "shop-v1", "port": 80, "weight": 90}, {"name": "shop-v2", "port": 80, "weight": 10}], **timeouts},
        ],
    }


def test_attempts_zero_writes_no_retry_annotation_as_linkerd_never_retries_by_default() -> None:
    assert shop_route(replace(CANARY, retries=Retries(attempts=0)))["metadata"] == {"name": "shop", "namespace": "shop"}


def test_blue_green_keeps_a_service_per_version_and_switches_by_one_value() -> None:
    blue = ServiceRoutingArgs(service="shop", namespace="shop", blue_green=BlueGreen(versions=("blue", "green"), active="blue"))
    sim = service_routing("linkerd", blue)
    assert names(sim.of_type("kubernetes:core/v1:Service")) == ["eks-use1-shop-blue", "eks-use1-shop-green"]
    before = shop_route(blue)["spec"]
    after = shop_route(replace(blue, blue_green=BlueGreen(versions=("blue", "green"), active="green")))["spec"]
    assert before["rules"] == [{"backendRefs": [{"name": "shop-blue", "port": 80, "weight": 100}]}]
    assert after["rules"] == [{"backendRefs": [{"name": "shop-green", "port": 80, "weight": 100}]}]
    assert before["parentRefs"] == after["parentRefs"]


def refused(args: ServiceRoutingArgs) -> str:
    with pytest.raises(ValueError) as caught:
        mesh_for("linkerd").service_routing("shop", args, pulumi.ResourceOptions())
    return str(caught.value)


def test_fails_mirroring_on_linkerd() -> None:
    assert refused(replace(CANARY, mirror=Mirror("v2", 10.0))) == (
        "routing for shop: Linkerd cannot mirror requests: it has no request mirroring (its HTTPRoute has no RequestMirror "
        "filter and the policy controller refuses the Gateway API one); pass no mirror, or shift a small weight to the "
        "version instead"
    )


def test_fails_a_prefix_header_match_on_linkerd() -> None:
    args = replace(CANARY, header_routes=[HeaderRoute("v2", [HeaderMatch("x-canary", "tr", kind="prefix")])])
    assert refused(args) == (
        "routing for shop: Linkerd cannot match a header by prefix (header_routes[0].headers[0]): its HTTPRoute matches "
        "headers Exact or RegularExpression only; use kind 'regex' with a '^<prefix>' pattern"
    )


def test_fails_retry_conditions_linkerd_does_not_read() -> None:
    assert refused(replace(CANARY, retries=Retries(attempts=2, on=("5xx", "connect-failure", "reset")))) == (
        "routing for shop: Linkerd cannot retry on connect-failure, reset: it retries on response status only "
        "(5xx, gateway-error or status codes)"
    )


def test_fails_more_header_routes_than_an_http_route_holds() -> None:
    many = [HeaderRoute("v2", [HeaderMatch("x-user", str(i))]) for i in range(16)]
    assert refused(replace(CANARY, header_routes=many)) == (
        "routing for shop: Linkerd cannot take 16 header routes: an HTTPRoute holds 16 rules, one of which is the split; pass at most 15"
    )
