"""Regional failover in the free edition: ordered peer targets on a ServiceResolver (meshfleet_appteam/consul/locality.py)."""

from __future__ import annotations

import pulumi
import pytest

from components.config import LocalityFailover
from components.meshes import mesh_for
from components.simulation import Simulation, run_program
from meshfleet_appteam.consul.locality import ServiceFailover, ServiceFailoverArgs, failover_peers, service_resolver_spec

REGIONS = {"eks-use1": "us-east-1", "eks-use1b": "us-east-1", "gke-usc1": "us-central1", "gke-euw1": "europe-west1"}
ORDER = [
    LocalityFailover("us-east-1", "us-central1"),
    LocalityFailover("us-central1", "us-east-1"),
    LocalityFailover("europe-west1", "us-central1"),
    LocalityFailover("europe-west1", "us-east-1"),
]


def test_each_cluster_fails_over_to_the_peers_of_its_regions_targets_in_order() -> None:
    assert failover_peers("gke-euw1", REGIONS, ORDER) == ["gke-usc1", "eks-use1", "eks-use1b"]
    assert failover_peers("gke-usc1", REGIONS, ORDER) == ["eks-use1", "eks-use1b"]
    # A peer in its own region is not a failover target unless a rule names that region.
    assert failover_peers("eks-use1", REGIONS, ORDER) == ["gke-usc1"]
    assert failover_peers("eks-use1", REGIONS, ()) == []


def test_the_contract_describes_exactly_that(consul: Simulation) -> None:
    locality = consul.exports["mesh"]["locality"]
    assert locality["crossClusterFailover"] is True
    assert "peers in the regions mesh.locality.failover names, in order" in locality["summary"]
    assert "prioritize-by-locality is Consul Enterprise" in locality["summary"]
    assert mesh_for("consul").locality.summary == locality["summary"]


def test_service_failover_writes_one_resolver_with_subsets_and_peer_targets() -> None:
    def program() -> None:
        provider = pulumi.ProviderResource("kubernetes", "gke-euw1-k8s", {})
        ServiceFailover(
            "gke-euw1-checkout",
            ServiceFailoverArgs("checkout", "shop", "gke-euw1", REGIONS, ORDER, subsets={"v1": "v1", "v2": "v2"}),
            pulumi.ResourceOptions(providers=[provider]),
        )

    sim = run_program(program)
    resolver = sim.named("gke-euw1-checkout", "kubernetes:consul.hashicorp.com/v1alpha1:ServiceResolver")
    assert resolver.provider.endswith("gke-euw1-k8s")
    assert resolver.inputs["metadata"] == {"name": "checkout", "namespace": "shop"}
    assert resolver.inputs["spec"] == {
        "subsets": {"v1": {"filter": 'Service.Meta.version == "v1"'}, "v2": {"filter": 'Service.Meta.version == "v2"'}},
        # No policy, sameness group or prioritizeByLocality: Enterprise-only, refused by the free edition.
        "failover": {"*": {"targets": [{"peer": "gke-usc1"}, {"peer": "eks-use1"}, {"peer": "eks-use1b"}]}},
    }


def test_no_failover_rule_from_the_clusters_region_means_no_failover_block() -> None:
    spec = service_resolver_spec(
        ServiceFailoverArgs("checkout", "shop", "gke-usc1", REGIONS, [LocalityFailover("europe-west1", "us-central1")])
    )
    assert spec == {}


def test_fails_failover_without_knowing_where_the_routing_runs() -> None:
    with pytest.raises(ValueError) as caught:
        service_resolver_spec(ServiceFailoverArgs("checkout", "shop", failover=ORDER))
    assert str(caught.value) == (
        "routing for checkout: Consul fails over to named peers, so routing needs the cluster it is written into and every "
        "cluster's region; got cluster '' and regions for [] (pass ServiceRoutingArgs.cluster and cluster_regions from the fleet's contract)"
    )


def test_fails_a_version_that_cannot_name_a_subset() -> None:
    with pytest.raises(ValueError) as caught:
        service_resolver_spec(ServiceFailoverArgs("checkout", "shop", subsets={"V1.0": "V1.0", "v2": "v2"}))
    assert str(caught.value) == "checkout: 'V1.0' cannot name a Consul subset; use lowercase letters, digits and '-'"
