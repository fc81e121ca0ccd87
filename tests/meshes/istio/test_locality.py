"""Locality-aware routing: the mesh-wide failover order and the per-service ServiceFailover component."""

from __future__ import annotations

import pulumi
import pytest

from components.config import LocalityFailover
from components.simulation import Simulation, run_program
from meshfleet_appteam.istio.locality import OutlierDetection, ServiceFailover, ServiceFailoverArgs, destination_rule_spec
from tests.meshes.istio.helpers import release


def test_mesh_wide_failover_order_comes_from_config(prod: Simulation) -> None:
    for cluster in ("eks-use1", "gke-euw1"):
        locality = release(prod, cluster, "istiod-1-30-5").inputs["values"]["meshConfig"]["localityLbSetting"]
        assert locality == {
            "enabled": True,
            "failover": [
                {"from": "us-east-1", "to": "us-west-2"},
                {"from": "us-west-2", "to": "us-east-1"},
                {"from": "europe-west1", "to": "us-east-1"},
            ],
        }
    assert prod.exports["mesh"]["locality"]["crossClusterFailover"] is True


def test_service_failover_pairs_failover_with_outlier_detection() -> None:
    def program() -> None:
        provider = pulumi.ProviderResource("kubernetes", "eks-use1-k8s", {})
        ServiceFailover(
            "eks-use1-checkout",
            ServiceFailoverArgs(
                service="checkout",
                namespace="shop",
                failover=[LocalityFailover("us-east-1", "us-west-2")],
                subsets={"v1": {"version": "v1"}},
            ),
            pulumi.ResourceOptions(providers=[provider]),
        )

    sim = run_program(program)
    rule = sim.named("eks-use1-checkout", "kubernetes:networking.istio.io/v1:DestinationRule")
    assert rule.provider.endswith("eks-use1-k8s")
    assert rule.inputs["metadata"] == {"name": "checkout", "namespace": "shop"}
    assert rule.inputs["spec"] == {
        "host": "checkout.shop.svc.cluster.local",
        "trafficPolicy": {
            "loadBalancer": {"localityLbSetting": {"enabled": True, "failover": [{"from": "us-east-1", "to": "us-west-2"}]}},
            "outlierDetection": {"consecutive5xxErrors": 5, "interval": "10s", "baseEjectionTime": "30s", "maxEjectionPercent": 100},
        },
        "subsets": [{"name": "v1", "labels": {"version": "v1"}}],
    }


def test_fails_failover_without_effective_outlier_detection() -> None:
    with pytest.raises(ValueError, match="checkout: outlier detection needs consecutive_5xx_errors >= 1, or failover never happens"):
        destination_rule_spec(ServiceFailoverArgs("checkout", "shop", outlier_detection=OutlierDetection(consecutive_5xx_errors=0)))
