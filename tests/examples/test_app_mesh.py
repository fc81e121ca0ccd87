"""docs/coming-from-app-mesh.md: the worked example, run for real. The fleet's stack file
(examples/stacks/Pulumi.app-mesh-eks.yaml) goes through the program, and the orders program
(examples/app-mesh) through the simulation against the fleet's outputs; its mesh objects must say what the
App Mesh objects in the guide said, so neither the guide nor the example can drift from the other."""

from __future__ import annotations

import re
from typing import Any

import pytest
import yaml

from components.simulation import PROJECT_DIR, ProgramFailed, Simulation
from tests.examples import run_app_program
from tests.support import STACKS, simulated

APP = PROJECT_DIR / "examples" / "app-mesh"
GUIDE = PROJECT_DIR / "docs" / "coming-from-app-mesh.md"
FLEET = "acme/meshfleet/app-mesh-eks"
CLUSTERS = ("eks-use1", "eks-usw2")
HOST = "orders.shop.svc.cluster.local"


def run_orders(fleet_outputs: dict[str, Any], **config: Any) -> Simulation:
    return run_app_program(APP, FLEET, fleet_outputs, **config)


def app_mesh_objects() -> dict[str, dict[str, Any]]:
    """The guide's App Mesh objects (appmesh.k8s.aws/v1beta2), by kind and name."""
    [block] = [b for b in re.findall(r"```yaml\n(.*?)```", GUIDE.read_text(), re.S) if b.startswith("# Before: App Mesh")]
    return {f"{o['kind']}/{o['metadata']['name']}": o for o in yaml.safe_load_all(block)}


def seconds(duration: dict[str, Any]) -> str:
    assert duration["unit"] == "s"
    return f"{duration['value']}s"


@pytest.fixture(scope="module")
def fleet() -> Simulation:
    return simulated("app-mesh-eks", config_file=STACKS / "Pulumi.app-mesh-eks.yaml")


@pytest.fixture(scope="module")
def orders(fleet: Simulation) -> Simulation:
    return run_orders(fleet.exports)


def test_the_fleet_is_istio_on_two_eks_clusters_denying_undeclared_callers(fleet: Simulation) -> None:
    assert sorted(r.name for r in fleet.of_type("aws:eks/cluster:Cluster")) == [f"{c}-eks" for c in CLUSTERS]
    assert not [r for r in fleet.resources if r.type.startswith("gcp:")]
    assert fleet.exports["mesh"]["type"] == "istio" and fleet.exports["mesh"]["mtls"] == "STRICT"
    # App Mesh's egressFilter DROP_ALL with explicit backends: nobody undeclared gets through.
    for cluster in CLUSTERS:
        deny = fleet.named(f"{cluster}-allow-nothing", "kubernetes:security.istio.io/v1:AuthorizationPolicy")
        assert deny.inputs["spec"] == {}


def test_the_virtual_routers_routes_become_one_virtual_service_in_every_cluster(orders: Simulation) -> None:
    router = app_mesh_objects()["VirtualRouter/orders-router"]["spec"]
    header, default = (route["httpRoute"] for route in sorted(router["routes"], key=lambda r: r["priority"]))
    [canary_target] = header["action"]["weightedTargets"]
    retry = default["retryPolicy"]
    expected_policy = {
        "timeout": seconds(default["timeout"]["perRequest"]),
        "retries": {
            "attempts": retry["maxRetries"],
            # server-error is Envoy's 5xx, gateway-error keeps its name, TCP's connection-error is connect-failure
            "retryOn": ",".join({"server-error": "5xx", "gateway-error": "gateway-error"}[e] for e in retry["httpRetryEvents"])
            + ("," + "connect-failure" if retry["tcpRetryEvents"] == ["connection-error"] else ""),
            "perTryTimeout": seconds(retry["perRetryTimeout"]),
        },
    }
    port = router["listeners"][0]["portMapping"]["port"]
    version = {
        t["virtualNodeRef"]["name"]: t["virtualNodeRef"]["name"].removeprefix("orders-") for t in default["action"]["weightedTargets"]
    }
    for cluster in CLUSTERS:
        service = orders.named(f"{cluster}-routing-routes", "kubernetes:networking.istio.io/v1:VirtualService")
        assert service.inputs["spec"]["hosts"] == [HOST] == [app_mesh_objects()["VirtualService/orders"]["spec"]["awsName"]]
        header_route, split = service.inputs["spec"]["http"]
        [match] = header["match"]["headers"]
        assert header_route == {
            "match": [{"headers": {match["name"]: {"exact": match["match"]["exact"]}}}],
            "route": [
                {"destination": {"host": HOST, "subset": version[canary_target["virtualNodeRef"]["name"]], "port": {"number": port}}}
            ],
            **expected_policy,
        }
        assert split == {
            "route": [
                {
                    "destination": {"host": HOST, "subset": version[t["virtualNodeRef"]["name"]], "port": {"number": port}},
                    "weight": t["weight"],
                }
                for t in default["action"]["weightedTargets"]
            ],
            **expected_policy,
        }


def test_virtual_nodes_become_versions_and_cloud_map_becomes_the_service(orders: Simulation) -> None:
    objects = app_mesh_objects()
    for cluster in CLUSTERS:
        for name, node in objects.items():
            if not name.startswith("VirtualNode/orders-"):
                continue
            labels = node["spec"]["podSelector"]["matchLabels"]
            deployment = orders.named(f"{cluster}-{labels['version']}", "kubernetes:apps/v1:Deployment")
            assert deployment.inputs["spec"]["template"]["metadata"]["labels"] == labels
            [cloud_map_version] = [
                a["value"] for a in node["spec"]["serviceDiscovery"]["awsCloudMap"]["attributes"] if a["key"] == "version"
            ]
            assert cloud_map_version == labels["version"]
        service = orders.named(f"{cluster}-service", "kubernetes:core/v1:Service")
        assert (
            service.inputs["metadata"]["name"] == objects["VirtualNode/orders-v1"]["spec"]["serviceDiscovery"]["awsCloudMap"]["serviceName"]
        )
        rule = orders.named(f"{cluster}-routing", "kubernetes:networking.istio.io/v1:DestinationRule").inputs["spec"]
        # App Mesh's outlier detection on the virtual nodes' listeners; here the routing's, which failover needs.
        assert rule["trafficPolicy"]["outlierDetection"]
        assert rule["trafficPolicy"]["loadBalancer"]["localityLbSetting"]["failover"] == [
            {"from": "us-east-1", "to": "us-west-2"},
            {"from": "us-west-2", "to": "us-east-1"},
        ]


def test_the_callers_backend_becomes_the_called_services_access_rule(orders: Simulation) -> None:
    objects = app_mesh_objects()
    backends = [b["virtualService"]["virtualServiceRef"]["name"] for b in objects["VirtualNode/storefront"]["spec"]["backends"]]
    assert backends == ["orders"]
    for cluster in CLUSTERS:
        policy = orders.named(f"{cluster}-access-callers", "kubernetes:security.istio.io/v1:AuthorizationPolicy")
        assert policy.inputs["spec"] == {
            "selector": {"matchLabels": {"app": "orders"}},
            "action": "ALLOW",
            "rules": [{"from": [{"source": {"principals": ["orders.meshfleet.internal/ns/shop/sa/storefront"]}}]}],
        }


def test_the_same_program_on_a_linkerd_fleet_is_refused_for_what_linkerd_cannot_retry_on(linkerd: Simulation) -> None:
    """The guide's Linkerd note: Linkerd retries on status classes and codes only, so App Mesh's
    connection-error retry has no equivalent there, and the program says so before registering anything."""
    with pytest.raises(ProgramFailed) as caught:
        run_orders(linkerd.exports)
    assert str(caught.value.error) in GUIDE.read_text()
    assert not [r for r in caught.value.resources if r.type.startswith("kubernetes:policy.linkerd.io")]
