"""App teams' routing on Istio (meshfleet_appteam/istio/routing.py): one DestinationRule with a subset per
version, one VirtualService with header routes, the split, its mirror, timeout and retries."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pulumi
import pytest

from components.meshes import BlueGreen, HeaderMatch, HeaderRoute, Ingress, Mirror, Retries, ServiceRoutingArgs, mesh_for
from components.simulation import Simulation
from tests.meshes.helpers import depends_on, service_routing

VIRTUAL_SERVICE = "kubernetes:networking.istio.io/v1:VirtualService"
DESTINATION_RULE = "kubernetes:networking.istio.io/v1:DestinationRule"
HOST = "shop.shop.svc.cluster.local"
CANARY = ServiceRoutingArgs(service="shop", namespace="shop", weights={"v1": 90, "v2": 10})


def to(version: str) -> dict[str, Any]:
    return {"host": HOST, "subset": version, "port": {"number": 80}}


def routes(args: ServiceRoutingArgs) -> tuple[Simulation, dict[str, Any]]:
    sim = service_routing("istio", args)
    virtual_service = sim.named("eks-use1-shop-routes", VIRTUAL_SERVICE)
    rule = sim.named("eks-use1-shop", DESTINATION_RULE)
    assert virtual_service.provider.endswith("eks-use1-k8s"), virtual_service.urn
    assert virtual_service.inputs["metadata"] == {"name": "shop", "namespace": "shop"}
    assert depends_on(sim, virtual_service, rule), "routes name subsets, which the DestinationRule defines first"
    return sim, virtual_service.inputs["spec"]


def test_without_the_new_options_the_virtual_service_is_the_plain_split() -> None:
    _, spec = routes(CANARY)
    assert spec == {
        "hosts": [HOST],
        "http": [{"route": [{"destination": to("v1"), "weight": 90}, {"destination": to("v2"), "weight": 10}]}],
    }


def test_an_ingress_binding_applies_the_weights_and_header_routes_at_the_gateway_and_in_the_mesh() -> None:
    args = replace(
        CANARY,
        header_routes=[HeaderRoute("v2", [HeaderMatch("x-canary", "true")])],
        ingress=Ingress("istio-ingress/public", ["shop.example.com"]),
    )
    _, spec = routes(args)
    # One VirtualService for both: `mesh` keeps the sidecars' routing when gateways are named.
    assert spec["gateways"] == ["istio-ingress/public", "mesh"]
    assert spec["hosts"] == [HOST, "shop.example.com"]
    assert spec["http"] == [
        {"match": [{"headers": {"x-canary": {"exact": "true"}}}], "route": [{"destination": to("v2")}]},
        {"route": [{"destination": to("v1"), "weight": 90}, {"destination": to("v2"), "weight": 10}]},
    ]


def test_header_routes_come_first_and_every_route_gets_the_timeout_and_retries() -> None:
    _, spec = routes(
        replace(
            CANARY,
            header_routes=[
                HeaderRoute("v2", [HeaderMatch("x-canary", "true")]),
                HeaderRoute("v1", [HeaderMatch("x-team", "pay", kind="prefix"), HeaderMatch("user-agent", ".*Mobile.*", kind="regex")]),
            ],
            mirror=Mirror("v2", percent=25.0),
            timeout="10s",
            retries=Retries(attempts=3, on=("5xx", "connect-failure", 503), per_try_timeout="2s"),
        )
    )
    policy = {"timeout": "10s", "retries": {"attempts": 3, "retryOn": "5xx,connect-failure,503", "perTryTimeout": "2s"}}
    assert spec == {
        "hosts": [HOST],
        "http": [
            {"match": [{"headers": {"x-canary": {"exact": "true"}}}], "route": [{"destination": to("v2")}], **policy},
            {
                "match": [{"headers": {"x-team": {"prefix": "pay"}, "user-agent": {"regex": ".*Mobile.*"}}}],
                "route": [{"destination": to("v1")}],
                **policy,
            },
            {
                "route": [{"destination": to("v1"), "weight": 90}, {"destination": to("v2"), "weight": 10}],
                "mirror": to("v2"),
                "mirrorPercentage": {"value": 25.0},
                **policy,
            },
        ],
    }


def test_attempts_zero_turns_off_istios_default_retries() -> None:
    _, spec = routes(replace(CANARY, retries=Retries(attempts=0)))
    assert spec["http"][0]["retries"] == {"attempts": 0}


def test_blue_green_keeps_both_subsets_and_sends_everything_to_the_active_one() -> None:
    sim, spec = routes(
        ServiceRoutingArgs(service="shop", namespace="shop", blue_green=BlueGreen(versions=("blue", "green"), active="blue"))
    )
    subsets = sim.named("eks-use1-shop", DESTINATION_RULE).inputs["spec"]["subsets"]
    assert subsets == [{"name": "blue", "labels": {"version": "blue"}}, {"name": "green", "labels": {"version": "green"}}]
    assert spec["http"] == [{"route": [{"destination": to("blue"), "weight": 100}]}]


def test_switching_blue_green_is_one_value() -> None:
    blue = ServiceRoutingArgs(
        service="shop",
        namespace="shop",
        blue_green=BlueGreen(versions=("blue", "green"), active="blue"),
        header_routes=[HeaderRoute("green", [HeaderMatch("x-canary", "true")])],
    )
    _, before = routes(blue)
    _, after = routes(replace(blue, blue_green=BlueGreen(versions=("blue", "green"), active="green")))
    assert before["http"][:-1] == after["http"][:-1]  # the header route to the idle version stays
    assert before["http"][-1] == {"route": [{"destination": to("blue"), "weight": 100}]}
    assert after["http"][-1] == {"route": [{"destination": to("green"), "weight": 100}]}


def test_fails_retrying_on_a_status_http_does_not_define() -> None:
    with pytest.raises(ValueError) as caught:
        mesh_for("istio").service_routing("shop", replace(CANARY, retries=Retries(attempts=2, on=(503, 599))), pulumi.ResourceOptions())
    assert str(caught.value) == (
        "routing for shop: Istio cannot retry on status 599: istiod reads a number in retryOn as a status code only when "
        "HTTP defines it (Go's http.StatusText) and refuses the route otherwise"
    )
