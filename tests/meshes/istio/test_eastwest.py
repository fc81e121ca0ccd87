"""East-west gateways (components/meshes/istio/eastwest.py and components/gateways)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from components.simulation import PROJECT_DIR, ProgramFailed, Simulation, simulate
from components.simulation.mocks import simulated_kubeconfig
from tests.meshes.helpers import NLB, peer_egress
from tests.meshes.istio.helpers import custom_resources, depends_on, release
from tests.support import PRIMARY_REMOTE, raw_config, simulated


def gateway_values(sim: Simulation, cluster: str) -> dict[str, Any]:
    return release(sim, cluster, "istio-eastwestgateway").inputs["values"]


@pytest.mark.parametrize("cluster", ["eks-use1", "eks-usw2", "gke-euw1"])
def test_gateway_is_a_network_gateway_whose_labels_match_the_gateway_selectors(prod: Simulation, cluster: str) -> None:
    values = gateway_values(prod, cluster)
    assert values["name"] == "istio-eastwestgateway"
    assert values["networkGateway"] == f"net-{cluster}"
    assert values["labels"] == {"istio": "eastwestgateway"}
    assert values["revision"] == "1-30-5"
    [gateway] = custom_resources(prod, cluster, "Gateway")
    assert gateway.inputs["spec"]["selector"] == values["labels"]


def test_cross_network_gateway_passes_mtls_through_on_15443(prod: Simulation) -> None:
    [gateway] = custom_resources(prod, "gke-euw1", "Gateway")
    assert gateway.type == "kubernetes:networking.istio.io/v1:Gateway"
    assert gateway.inputs["metadata"] == {"name": "cross-network-gateway", "namespace": "istio-system"}
    assert gateway.inputs["spec"] == {
        "selector": {"istio": "eastwestgateway"},
        "servers": [
            {"port": {"number": 15443, "name": "tls", "protocol": "TLS"}, "tls": {"mode": "AUTO_PASSTHROUGH"}, "hosts": ["*.local"]}
        ],
    }


@pytest.mark.parametrize("cluster", ["eks-use1", "eks-usw2", "gke-euw1"])
def test_public_gateways_admit_only_the_other_clusters(prod: Simulation, cluster: str) -> None:
    service = gateway_values(prod, cluster)["service"]
    assert service["type"] == "LoadBalancer"
    assert service["loadBalancerSourceRanges"] == peer_egress(prod, cluster)
    assert len(service["loadBalancerSourceRanges"]) == (4 if cluster.startswith("eks") else 6)


def test_load_balancer_annotations_follow_the_cloud(prod: Simulation) -> None:
    assert gateway_values(prod, "eks-use1")["service"]["annotations"] == NLB
    assert "annotations" not in gateway_values(prod, "gke-euw1")["service"]  # GKE's default is an external passthrough NLB


def test_internal_exposure_uses_internal_load_balancers_and_private_ranges() -> None:
    sim = simulate("prod", config={"meshfleet:gateway": {"exposure": "internal", "sourceRanges": ["192.168.0.0/16"]}})
    assert gateway_values(sim, "eks-use1")["service"]["annotations"] == {
        **NLB,
        "service.beta.kubernetes.io/aws-load-balancer-internal": "true",
    }
    assert gateway_values(sim, "gke-euw1")["service"]["annotations"] == {
        "networking.gke.io/load-balancer-type": "Internal",
        "networking.gke.io/internal-load-balancer-allow-global-access": "true",
    }
    # Over private links peers come from their node and pod ranges, not their NAT addresses.
    assert gateway_values(sim, "gke-euw1")["service"]["loadBalancerSourceRanges"] == ["10.10.0.0/16", "10.11.0.0/16", "192.168.0.0/16"]


def test_per_cluster_exposure_overrides_the_fleet_default() -> None:
    clusters = raw_config(PROJECT_DIR / "Pulumi.prod.yaml")["clusters"]
    clusters[2]["gateway"] = {"exposure": "internal"}
    sim = simulate("prod", config={"meshfleet:clusters": clusters})
    assert gateway_values(sim, "gke-euw1")["service"]["annotations"]["networking.gke.io/load-balancer-type"] == "Internal"
    assert gateway_values(sim, "eks-use1")["service"]["annotations"] == NLB


def test_gateway_address_is_read_from_the_charts_service(prod: Simulation) -> None:
    service = prod.named("eks-use1-istio-eastwestgateway-service")
    assert service.read and service.type == "kubernetes:core/v1:Service"
    ingress = service.outputs["status"]["loadBalancer"]["ingress"][0]
    assert prod.exports["clusters"]["eks-use1"]["eastWestGatewayAddress"] == ingress["hostname"]
    assert release(prod, "eks-use1", "istio-eastwestgateway").urn in service.dependencies


def test_first_preview_of_a_new_stack_works_with_everything_unknown(prod: Simulation) -> None:
    """A preview reads no gateway Service: it shows the address the last deployment published, unknown on a first
    deployment. Everything else `pulumi up` makes is listed."""
    sim = simulated("prod", preview=True)
    made = [r for r in prod.resources if not (r.read and r.type == "kubernetes:core/v1:Service")]
    assert sorted((r.type, r.name) for r in sim.resources) == sorted((r.type, r.name) for r in made)
    assert sim.exports["clusters"]["eks-use1"]["eastWestGatewayAddress"] == "04da6b54-80e4-46f7-96ec-b56ff0331ba9"


def test_primary_exposes_istiod_for_its_remotes_per_revision(primary_remote: Simulation) -> None:
    gateways = {g.inputs["metadata"]["name"]: g.inputs["spec"] for g in custom_resources(primary_remote, "gke-usc1", "Gateway")}
    assert gateways["istiod-gateway"] == {
        "selector": {"istio": "eastwestgateway"},
        "servers": [
            {"port": {"name": "tls-istiod", "number": 15012, "protocol": "TLS"}, "tls": {"mode": "PASSTHROUGH"}, "hosts": ["*"]},
            {"port": {"name": "tls-istiodwebhook", "number": 15017, "protocol": "TLS"}, "tls": {"mode": "PASSTHROUGH"}, "hosts": ["*"]},
        ],
    }
    [service] = custom_resources(primary_remote, "gke-usc1", "VirtualService")
    sni = ["istiod-1-30-5.istio-system.svc", "istiod-1-30-5.istio-system.svc.cluster.local"]
    host = "istiod-1-30-5.istio-system.svc.cluster.local"
    assert service.inputs["metadata"] == {"name": "istiod-vs-1-30-5", "namespace": "istio-system"}
    assert service.inputs["spec"] == {
        "hosts": ["*"],
        "gateways": ["istiod-gateway"],
        "tls": [
            {"match": [{"port": 15012, "sniHosts": sni}], "route": [{"destination": {"host": host, "port": {"number": 15012}}}]},
            {"match": [{"port": 15017, "sniHosts": sni}], "route": [{"destination": {"host": host, "port": {"number": 443}}}]},
        ],
    }
    assert custom_resources(primary_remote, "eks-use1", "VirtualService") == []


def test_multi_primary_does_not_expose_istiod(prod: Simulation) -> None:
    for cluster in ("eks-use1", "gke-euw1"):
        assert custom_resources(prod, cluster, "VirtualService") == []
        assert [g.inputs["metadata"]["name"] for g in custom_resources(prod, cluster, "Gateway")] == ["cross-network-gateway"]


HOSTNAME_PRIMARY = (
    "the east-west gateway of primary 'gke-usc1' published the hostname '{address}', but it serves the remote clusters "
    "'eks-use1', 'gke-euw4': Istio turns a hostname into an ExternalName istiod Service in each remote, which cannot carry "
    "the sidecar-injection webhook (port 443 to the gateway's 15017); give the primary a load balancer that publishes an "
    "IP (an AWS NLB never does), or use topology 'multi-primary'"
)


def adopted_primary(server: str) -> tuple[dict[str, Any], dict[str, str]]:
    """The primary-remote example with its primary adopted through a secret kubeconfig for `server`."""
    clusters = raw_config(PRIMARY_REMOTE)["clusters"]
    clusters[0] = {**clusters[0], "cloud": "existing", "existing": {"kubeconfigSecret": "usc1-kubeconfig"}}
    del clusters[0]["create"]
    kubeconfig = simulated_kubeconfig(["usc1"])
    kubeconfig["clusters"][0]["cluster"]["server"] = server
    return {"meshfleet:clusters": clusters}, {"meshfleet:usc1-kubeconfig": json.dumps(kubeconfig)}


def test_fails_adopted_primary_whose_gateway_publishes_a_hostname() -> None:
    """An adopted EKS cluster is not `cloud: aws`; the resolved address decides."""
    config, secrets = adopted_primary("https://0123ABCD.gr7.us-central-1.eks.amazonaws.com")
    with pytest.raises(ProgramFailed) as caught:
        simulate("primary-remote", config_file=PRIMARY_REMOTE, config=config, secrets=secrets)
    address = next(r for r in caught.value.resources if r.name == "gke-usc1-istio-eastwestgateway-service").outputs
    hostname = address["status"]["loadBalancer"]["ingress"][0]["hostname"]
    assert str(caught.value.error) == HOSTNAME_PRIMARY.format(address=hostname)


def test_adopted_primary_whose_gateway_publishes_an_ip_serves_remotes() -> None:
    config, secrets = adopted_primary("https://203.0.113.10:6443")
    sim = simulate("primary-remote", config_file=PRIMARY_REMOTE, config=config, secrets=secrets)
    address = sim.exports["clusters"]["gke-usc1"]["eastWestGatewayAddress"]
    assert release(sim, "eks-use1", "istiod-1-30-5").inputs["values"]["global"]["remotePilotAddress"] == address


def test_preview_of_a_new_stack_does_not_judge_the_unknown_address() -> None:
    config, secrets = adopted_primary("https://0123ABCD.gr7.us-central-1.eks.amazonaws.com")
    simulate("primary-remote", config_file=PRIMARY_REMOTE, config=config, secrets=secrets, preview=True)


@pytest.mark.parametrize("remote", ["eks-use1", "gke-euw4"])
def test_remote_gateway_waits_for_its_remote_secret_in_the_primary(primary_remote: Simulation, remote: str) -> None:
    """The remote's injector gets its CA bundle (and the gateway pod its root-cert ConfigMap) only once the
    primary manages the remote through that secret; before it, the gateway's pods cannot start."""
    holding = [
        r
        for r in primary_remote.of_type("kubernetes:core/v1:Secret")
        if r.name.startswith("gke-usc1-")
        and r.inputs["metadata"].get("labels", {}).get("istio/multiCluster") == "true"
        and remote in r.inputs.get("stringData", {})
    ]
    assert holding, f"no remote secret for {remote} in gke-usc1"
    gateway = release(primary_remote, remote, "istio-eastwestgateway")
    assert all(depends_on(primary_remote, gateway, secret) for secret in holding), gateway.urn
