"""Mesh gateways (components/meshes/consul/eastwest.py, values.mesh_gateway_values, components/gateways)."""

from __future__ import annotations

from typing import Any

import pytest
import yaml

from components.simulation import Simulation, simulate
from tests.meshes.helpers import release
from tests.support import CONSUL, raw_config, simulated

NLB = {
    "service.beta.kubernetes.io/aws-load-balancer-type": "nlb",
    "service.beta.kubernetes.io/aws-load-balancer-cross-zone-load-balancing-enabled": "true",
}


def gateway(sim: Simulation, cluster: str) -> dict[str, Any]:
    return release(sim, cluster, "consul").inputs["values"]["meshGateway"]


def peer_egress(sim: Simulation, cluster: str) -> list[str]:
    cidrs = [f"{r.outputs['publicIp']}/32" for r in sim.of_type("aws:ec2/eip:Eip") if not r.name.startswith(f"{cluster}-")]
    cidrs += [f"{r.outputs['address']}/32" for r in sim.of_type("gcp:compute/address:Address") if not r.name.startswith(f"{cluster}-")]
    return sorted(cidrs)


@pytest.mark.parametrize("cluster", ["eks-use1", "gke-usc1", "gke-euw1"])
def test_mesh_gateway_listens_on_one_port_and_admits_only_the_other_clusters(consul: Simulation, cluster: str) -> None:
    values = gateway(consul, cluster)
    assert (values["enabled"], values["replicas"], values["containerPort"]) == (True, 2, 8443)
    assert values["wanAddress"] == {"source": "Service"}  # peers dial the load balancer, at service.port
    service = values["service"]
    assert (service["type"], service["port"]) == ("LoadBalancer", 8443)
    # The chart has no value for source ranges; additionalSpec is YAML appended to the Service spec.
    assert yaml.safe_load(service["additionalSpec"]) == {"loadBalancerSourceRanges": peer_egress(consul, cluster)}
    assert len(peer_egress(consul, cluster)) == (2 if cluster.startswith("eks") else 4)


def test_load_balancer_annotations_are_the_shared_ones_as_a_yaml_string(consul: Simulation) -> None:
    annotations = gateway(consul, "eks-use1")["service"]["annotations"]
    assert isinstance(annotations, str)  # the chart renders it with `tpl`
    assert yaml.safe_load(annotations) == NLB
    assert "annotations" not in gateway(consul, "gke-usc1")["service"]  # GKE's default is an external passthrough NLB


def test_internal_exposure_uses_internal_load_balancers_and_private_ranges() -> None:
    sim = simulate("consul", config_file=CONSUL, config={"meshfleet:gateway": {"exposure": "internal", "sourceRanges": ["192.168.0.0/16"]}})
    assert yaml.safe_load(gateway(sim, "eks-use1")["service"]["annotations"]) == {
        **NLB,
        "service.beta.kubernetes.io/aws-load-balancer-internal": "true",
    }
    assert yaml.safe_load(gateway(sim, "gke-euw1")["service"]["annotations"]) == {
        "networking.gke.io/load-balancer-type": "Internal",
        "networking.gke.io/internal-load-balancer-allow-global-access": "true",
    }
    ranges = yaml.safe_load(gateway(sim, "gke-euw1")["service"]["additionalSpec"])["loadBalancerSourceRanges"]
    assert ranges == ["10.60.0.0/16", "10.70.0.0/20", "10.72.0.0/14", "192.168.0.0/16"]


def test_gateway_address_is_read_from_the_charts_mesh_gateway_service(consul: Simulation) -> None:
    service = consul.named("eks-use1-consul-mesh-gateway")
    assert service.read and service.type == "kubernetes:core/v1:Service"
    assert service.outputs["metadata"] == {"name": "consul-mesh-gateway", "namespace": "consul"}
    ingress = service.outputs["status"]["loadBalancer"]["ingress"][0]
    assert consul.exports["clusters"]["eks-use1"]["eastWestGatewayAddress"] == ingress["hostname"]
    assert release(consul, "eks-use1", "consul").urn in service.dependencies


def test_created_clusters_open_the_gateway_and_the_injector_webhook_and_nothing_else(consul: Simulation) -> None:
    rules = [r for r in consul.of_type("aws:ec2/securityGroupRule:SecurityGroupRule") if "-mesh-" in r.name]
    assert sorted((r.name, r.inputs["fromPort"], r.inputs["toPort"]) for r in rules) == [
        ("eks-use1-mesh-east-west-8443", 8443, 8443),
        ("eks-use1-mesh-webhooks-8080", 8080, 8080),
    ]
    east_west = consul.named("eks-use1-mesh-east-west-8443")
    assert sorted(east_west.inputs["cidrBlocks"]) == peer_egress(consul, "eks-use1")
    firewalls = {r.name: r.inputs for r in consul.of_type("gcp:compute/firewall:Firewall") if "-mesh-" in r.name}
    assert sorted(firewalls) == ["gke-euw1-mesh-east-west", "gke-euw1-mesh-webhooks", "gke-usc1-mesh-east-west", "gke-usc1-mesh-webhooks"]
    assert firewalls["gke-usc1-mesh-webhooks"]["allows"] == [{"protocol": "tcp", "ports": ["8080"]}]
    assert firewalls["gke-usc1-mesh-webhooks"]["sourceRanges"] == ["172.16.3.0/28"]  # the private control plane
    assert firewalls["gke-usc1-mesh-east-west"]["allows"] == [{"protocol": "tcp", "ports": ["8443"]}]


def test_peers_never_read_each_others_api_so_narrowed_api_access_admits_no_peer() -> None:
    clusters = raw_config(CONSUL)["clusters"]
    clusters[0]["create"]["apiAccessCidrs"] = ["198.51.100.0/24"]
    sim = simulate("consul", config_file=CONSUL, config={"meshfleet:clusters": clusters})
    [cluster] = sim.of_type("aws:eks/cluster:Cluster")
    assert cluster.inputs["vpcConfig"]["publicAccessCidrs"] == ["198.51.100.0/24"]


def test_first_preview_of_a_new_stack_lists_everything_up_makes_with_what_is_unknown(consul: Simulation) -> None:
    """Before the clusters exist nothing can be read: the peering tokens' reads wait (their ids unknown), the
    token copies hold an unknown token, and no gateway Service is read (a preview shows the address the last
    deployment published). Every resource `pulumi up` makes is still listed, each peering's acceptor, copy and
    dialer among them, as a create."""
    sim = simulated("consul", config_file=CONSUL, preview=True)
    made = [r for r in consul.resources if not (r.read and r.type == "kubernetes:core/v1:Service")]
    assert sorted((r.type, r.name) for r in sim.resources) == sorted((r.type, r.name) for r in made)
    assert {op for urn, op in sim.steps().items()} <= {"create", "read"}
    unknown = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"
    assert len(sim.of_type("kubernetes:consul.hashicorp.com/v1alpha1:PeeringAcceptor")) == 3
    assert len(sim.of_type("kubernetes:consul.hashicorp.com/v1alpha1:PeeringDialer")) == 3
    assert sim.exports["clusters"]["eks-use1"]["eastWestGatewayAddress"] == unknown
    assert sim.named("eks-use1-peering-token-gke-usc1").id == unknown
    copy = sim.named("gke-usc1-peering-token-copy-eks-use1")
    assert copy.inputs["data"] == unknown and copy.is_secret("data")
