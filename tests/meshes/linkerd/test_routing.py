"""App teams' weighted versions on Linkerd (components/meshes/linkerd/routing.py), through `mesh_for`."""

from __future__ import annotations

import pulumi
import pytest

from components.config import LocalityFailover
from components.meshes import ServiceRoutingArgs, mesh_for
from components.simulation import run_program

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
