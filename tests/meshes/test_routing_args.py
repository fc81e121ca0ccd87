"""The mesh-neutral routing args (components/meshes/base.py ServiceRoutingArgs): every problem of one
service's routing in one message, before any mesh writes anything."""

from __future__ import annotations

from dataclasses import replace

import pytest

from components.meshes import BlueGreen, HeaderMatch, HeaderRoute, Ingress, Mirror, Retries, ServiceRoutingArgs
from tests.meshes.helpers import service_routing


def problem(**kwargs: object) -> str:
    with pytest.raises(ValueError) as caught:
        ServiceRoutingArgs(service="shop", namespace="shop", **kwargs)  # type: ignore[arg-type]
    return str(caught.value)


def test_blue_green_routes_everything_to_the_active_version_and_keeps_every_version() -> None:
    args = ServiceRoutingArgs(service="shop", namespace="shop", blue_green=BlueGreen(versions=("blue", "green"), active="green"))
    assert args.traffic == {"green": 100}
    assert args.versions == ["blue", "green"]


def test_a_weighted_split_routes_by_its_weights() -> None:
    args = ServiceRoutingArgs(service="shop", namespace="shop", weights={"v1": 90, "v2": 10})
    assert args.traffic == {"v1": 90, "v2": 10}
    assert args.versions == ["v1", "v2"]


def test_fails_without_weights_or_blue_green() -> None:
    assert problem() == "routing for shop: give weights (percent of traffic per version) or blue_green (one active version)"


def test_fails_blue_green_beside_weights_and_with_an_unknown_active_version() -> None:
    assert problem(weights={"v1": 100}, blue_green=BlueGreen(versions=("blue",), active="green")) == (
        "routing for shop: give either weights (a weighted split) or blue_green (one active version), not both; "
        "blue_green.versions ['blue'] needs two or more distinct versions; "
        "blue_green.active 'green' is not one of blue_green.versions ['blue']"
    )


def test_fails_bad_header_routes_naming_each_key() -> None:
    routes = [
        HeaderRoute("v3", [HeaderMatch("X-Canary", "true")]),
        HeaderRoute("v2", []),
        HeaderRoute("v2", [HeaderMatch("x-a", "", kind="exact"), HeaderMatch("x-a", "(", kind="regex")]),
        HeaderRoute("v2", [HeaderMatch("x-b", "y", kind="suffix")]),  # type: ignore[arg-type]
    ]
    assert problem(weights={"v1": 90, "v2": 10}, header_routes=routes) == (
        "routing for shop: header_routes[0].version 'v3' is not one of the versions ['v1', 'v2']; "
        "header_routes[0].headers[0].name 'X-Canary' is not a lowercase header name (letters, digits and '-'); "
        "header_routes[1].headers is empty; a header route needs at least one header to match; "
        "header_routes[2].headers names a header twice (['x-a', 'x-a']); a request has one value to match; "
        "header_routes[2].headers[0].value is empty; "
        "header_routes[2].headers[1].value '(' is not a regular expression (missing ), unterminated subpattern at position 0); "
        "header_routes[3].headers[0].kind 'suffix' is not one of exact, prefix, regex"
    )


def test_fails_a_mirror_to_an_unknown_version_or_share() -> None:
    assert problem(weights={"v1": 100}, mirror=Mirror("v2", percent=0)) == (
        "routing for shop: mirror.version 'v2' is not one of the versions ['v1']; mirror.percent 0 is not above 0 and at most 100"
    )


def test_fails_durations_the_meshes_do_not_all_read() -> None:
    assert problem(weights={"v1": 100}, timeout="1.5s", retries=Retries(attempts=2, on=("5xx",), per_try_timeout="0s")) == (
        "routing for shop: timeout '1.5s' is not a duration such as '500ms', '10s', '1m' or '1h'; "
        "retries.per_try_timeout '0s' is not a duration such as '500ms', '2s' or '1m'"
    )


def test_fails_retries_without_conditions_or_with_unknown_ones() -> None:
    assert problem(weights={"v1": 100}, retries=Retries(attempts=-1, on=("5xx", "timeout", 200))) == (
        "routing for shop: retries.attempts -1 is negative; "
        "retries.on 'timeout' is not one of 5xx, gateway-error, reset, connect-failure, envoy-ratelimited, retriable-4xx, "
        "refused-stream, cancelled, deadline-exceeded, internal, resource-exhausted, unavailable or a status code; "
        "retries.on status 200 is not an HTTP error status (400-599)"
    )
    assert problem(weights={"v1": 100}, retries=Retries(attempts=2)) == (
        "routing for shop: retries.on is empty; name what triggers a retry: 5xx, gateway-error, reset, connect-failure, "
        "envoy-ratelimited, retriable-4xx, refused-stream, cancelled, deadline-exceeded, internal, resource-exhausted, "
        "unavailable or status codes"
    )
    assert problem(weights={"v1": 100}, retries=Retries(attempts=0, on=("5xx",))) == (
        "routing for shop: retries.attempts is 0 (no retries), so retries.on and retries.per_try_timeout must be unset"
    )


def test_fails_regular_expressions_the_meshes_engines_do_not_have() -> None:
    routes = [HeaderRoute("v1", [HeaderMatch("x-a", "^(?!bot).*", kind="regex"), HeaderMatch("x-b", r"(a)\1", kind="regex")])]
    assert problem(weights={"v1": 100}, header_routes=routes) == (
        "routing for shop: header_routes[0].headers[0].value '^(?!bot).*' uses look-around or a back-reference, which RE2 "
        "(Istio, Consul) and Rust's regex (Linkerd) do not have; header_routes[0].headers[1].value '(a)\\\\1' uses look-around "
        "or a back-reference, which RE2 (Istio, Consul) and Rust's regex (Linkerd) do not have"
    )


def test_fails_an_ingress_binding_without_a_gateway_reference_or_hosts() -> None:
    bad = Ingress(gateway="ingress", hosts=["Shop.Example.com", "shop..example.com"])
    assert problem(weights={"v1": 100}, ingress=bad) == (
        "routing for shop: ingress.gateway 'ingress' is not '<namespace>/<name>'; "
        "ingress.hosts 'Shop.Example.com' is not a DNS name (a leading '*.' allowed); "
        "ingress.hosts 'shop..example.com' is not a DNS name (a leading '*.' allowed)"
    )
    assert problem(weights={"v1": 100}, ingress=Ingress("istio-system/ingress", [])) == (
        "routing for shop: ingress.hosts is empty; name the host names the gateway serves for the service"
    )


@pytest.mark.parametrize("mesh", ["linkerd", "consul"])
def test_on_linkerd_and_consul_an_ingress_binding_changes_no_object(mesh: str) -> None:
    """Their routing applies to every caller of the service, gateways included (docs/app-teams.md)."""
    args = ServiceRoutingArgs(service="shop", namespace="shop", weights={"v1": 90, "v2": 10})
    bound = replace(args, ingress=Ingress("ingress/public", ["shop.example.com"]))
    assert [(r.type, r.inputs) for r in service_routing(mesh, bound).resources] == [
        (r.type, r.inputs) for r in service_routing(mesh, args).resources
    ]
