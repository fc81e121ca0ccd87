"""App teams' weighted versions on Consul (components/meshes/consul/routing.py)."""

from __future__ import annotations

import pulumi

from components.config import LocalityFailover
from components.meshes import ServiceRoutingArgs, mesh_for
from components.simulation import Simulation, run_program
from tests.meshes.helpers import depends_on

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
