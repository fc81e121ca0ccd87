"""Linkerd's multicluster gateway (components/meshes/linkerd/eastwest.py, components/gateways) and the ports
created clusters open for Linkerd."""

from __future__ import annotations

from typing import Any

import pytest

from components.simulation import Simulation, simulate
from tests.meshes.helpers import NLB, peer_egress, release
from tests.support import LINKERD

CLUSTERS = ("eks-use1", "eks-euc1", "gke-usc1")


def multicluster_values(sim: Simulation, cluster: str) -> dict[str, Any]:
    return release(sim, cluster, "linkerd-multicluster").inputs["values"]


@pytest.mark.parametrize("cluster", CLUSTERS)
def test_multicluster_chart_runs_the_gateway_and_a_controller_per_linked_cluster(linkerd: Simulation, cluster: str) -> None:
    chart = multicluster_values(linkerd, cluster)
    annotations = {"serviceAnnotations": NLB} if cluster.startswith("eks") else {}
    assert chart == {
        "identityTrustDomain": "linkerd.meshfleet.internal",
        "gateway": {
            "enabled": True,
            "replicas": 2,
            **annotations,
            "loadBalancerSourceRanges": peer_egress(linkerd, cluster),
        },
        "controllers": [{"link": {"ref": {"name": peer}}} for peer in CLUSTERS if peer != cluster],
        "enablePodAntiAffinity": True,  # multicluster values-ha.yaml, as the gateway runs two replicas
    }


def test_public_gateways_admit_only_the_other_clusters(linkerd: Simulation) -> None:
    for cluster in CLUSTERS:
        ranges = multicluster_values(linkerd, cluster)["gateway"]["loadBalancerSourceRanges"]
        assert len(ranges) == (4 if cluster.startswith("eks") else 6), cluster
        assert "0.0.0.0/0" not in ranges


def test_internal_exposure_and_a_single_gateway_replica() -> None:
    sim = simulate("linkerd", config_file=LINKERD, config={"meshfleet:gateway": {"exposure": "internal", "replicas": 1}})
    gateway = multicluster_values(sim, "gke-usc1")["gateway"]
    assert gateway["serviceAnnotations"] == {
        "networking.gke.io/load-balancer-type": "Internal",
        "networking.gke.io/internal-load-balancer-allow-global-access": "true",
    }
    assert gateway["replicas"] == 1
    assert gateway["loadBalancerSourceRanges"] == ["10.40.0.0/16", "10.41.0.0/16"]
    assert "enablePodAntiAffinity" not in multicluster_values(sim, "gke-usc1")
    assert multicluster_values(sim, "eks-use1")["gateway"]["serviceAnnotations"] == {
        **NLB,
        "service.beta.kubernetes.io/aws-load-balancer-internal": "true",
    }


def test_gateway_address_is_read_from_the_charts_service(linkerd: Simulation) -> None:
    service = linkerd.named("eks-use1-linkerd-gateway-service")
    assert service.read and service.type == "kubernetes:core/v1:Service"
    ingress = service.outputs["status"]["loadBalancer"]["ingress"][0]
    assert linkerd.exports["clusters"]["eks-use1"]["eastWestGatewayAddress"] == ingress["hostname"]
    assert release(linkerd, "eks-use1", "linkerd-multicluster").urn in service.dependencies
    gke = linkerd.named("gke-usc1-linkerd-gateway-service").outputs["status"]["loadBalancer"]["ingress"][0]
    assert linkerd.exports["clusters"]["gke-usc1"]["eastWestGatewayAddress"] == gke["ip"]


# --- ports on created clusters ------------------------------------------------------------------


def test_eks_security_groups_open_linkerds_webhooks_and_gateway_ports_only(linkerd: Simulation) -> None:
    rules = {r.name: r.inputs for r in linkerd.of_type("aws:ec2/securityGroupRule:SecurityGroupRule") if r.name.startswith("eks-use1-")}
    assert set(rules) == {
        "eks-use1-mesh-webhooks-8443",
        "eks-use1-mesh-webhooks-9443",
        "eks-use1-mesh-east-west-4143",
        "eks-use1-mesh-east-west-4191",
    }
    for port in (8443, 9443):
        webhook = rules[f"eks-use1-mesh-webhooks-{port}"]
        assert (webhook["fromPort"], webhook["toPort"], webhook["protocol"]) == (port, port, "tcp")
        assert webhook["sourceSecurityGroupId"] == webhook["securityGroupId"]
    for port in (4143, 4191):
        east_west = rules[f"eks-use1-mesh-east-west-{port}"]
        assert (east_west["fromPort"], east_west["toPort"]) == (port, port)
        assert sorted(east_west["cidrBlocks"]) == peer_egress(linkerd, "eks-use1")


def test_gke_firewall_opens_linkerds_ports(linkerd: Simulation) -> None:
    rules = {r.name: r.inputs for r in linkerd.of_type("gcp:compute/firewall:Firewall")}
    assert rules["gke-usc1-mesh-webhooks"]["allows"] == [{"ports": ["8443", "9443"], "protocol": "tcp"}]
    assert rules["gke-usc1-mesh-webhooks"]["sourceRanges"] == ["172.16.2.0/28"]
    assert rules["gke-usc1-mesh-east-west"]["allows"] == [{"ports": ["4143", "4191"], "protocol": "tcp"}]
    assert sorted(rules["gke-usc1-mesh-east-west"]["sourceRanges"]) == peer_egress(linkerd, "gke-usc1")


def test_narrowed_api_access_admits_the_clusters_that_link_to_it() -> None:
    """Every other cluster's service mirror reads this cluster's API through its Link credentials."""
    from tests.support import raw_config

    clusters = raw_config(LINKERD)["clusters"]
    clusters[2]["create"]["apiAccessCidrs"] = ["198.51.100.0/24"]
    sim = simulate("linkerd", config_file=LINKERD, config={"meshfleet:clusters": clusters})
    blocks = sim.named("gke-usc1-gke").inputs["masterAuthorizedNetworksConfig"]["cidrBlocks"]
    assert {b["cidrBlock"] for b in blocks} == {"198.51.100.0/24", *peer_egress(sim, "gke-usc1")}
