"""Clusters (components/clusters): created on EKS or GKE, or adopted; one explicit Kubernetes provider each."""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

import pytest
import yaml

from components.clusters.subnets import plan_zone_subnets
from components.meshes.istio import Istio
from components.simulation import PROJECT_DIR, Simulation, simulate
from tests.support import kind_kubeconfig, raw_config

PROD_CLUSTERS = {"eks-use1": "us-east-1", "eks-usw2": "us-west-2", "gke-euw1": "europe-west1"}


def provider(sim: Simulation, cluster: str) -> Any:
    return sim.named(f"{cluster}-k8s")


def kubeconfig(sim: Simulation, cluster: str) -> dict[str, Any]:
    return yaml.safe_load(provider(sim, cluster).inputs["kubeconfig"])


def test_plan_zone_subnets_splits_the_vpc_per_zone() -> None:
    plans = plan_zone_subnets("10.10.0.0/16", ["us-east-1a", "us-east-1b", "us-east-1c"])
    assert [(p.zone, p.public, p.private) for p in plans] == [
        ("us-east-1a", "10.10.0.0/22", "10.10.32.0/19"),
        ("us-east-1b", "10.10.4.0/22", "10.10.64.0/19"),
        ("us-east-1c", "10.10.8.0/22", "10.10.96.0/19"),
    ]


# --- EKS --------------------------------------------------------------------------------------------


def test_eks_network_spans_every_zone(prod: Simulation) -> None:
    subnets = [r for r in prod.of_type("aws:ec2/subnet:Subnet") if r.name.startswith("eks-use1-")]
    assert sorted((r.inputs["availabilityZone"], r.inputs["cidrBlock"], r.name.split("-")[2]) for r in subnets) == [
        ("us-east-1a", "10.10.0.0/22", "public"),
        ("us-east-1a", "10.10.32.0/19", "private"),
        ("us-east-1b", "10.10.4.0/22", "public"),
        ("us-east-1b", "10.10.64.0/19", "private"),
        ("us-east-1c", "10.10.8.0/22", "public"),
        ("us-east-1c", "10.10.96.0/19", "private"),
    ]
    for subnet in subnets:
        role = "kubernetes.io/role/elb" if "-public-" in subnet.name else "kubernetes.io/role/internal-elb"
        assert subnet.inputs["tags"][role] == "1", subnet.name
        assert subnet.inputs["tags"]["kubernetes.io/cluster/eks-use1"] == "shared"
    nats = [r for r in prod.of_type("aws:ec2/natGateway:NatGateway") if r.name.startswith("eks-use1-")]
    assert len(nats) == 3
    private_routes = [r for r in prod.of_type("aws:ec2/routeTable:RouteTable") if r.name.startswith("eks-use1-private-")]
    assert all(r.inputs["routes"][0]["natGatewayId"] for r in private_routes) and len(private_routes) == 3


def test_eks_cluster_uses_access_entries_and_private_nodes(prod: Simulation) -> None:
    cluster = prod.named("eks-use1-eks")
    assert cluster.inputs["name"] == "eks-use1"
    assert cluster.inputs["version"] == "1.34"
    assert cluster.inputs["accessConfig"] == {"authenticationMode": "API", "bootstrapClusterCreatorAdminPermissions": True}
    assert cluster.inputs["vpcConfig"]["endpointPrivateAccess"] is True
    assert len(cluster.inputs["vpcConfig"]["subnetIds"]) == 6
    nodes = prod.named("eks-use1-nodes")
    private = [r for r in prod.of_type("aws:ec2/subnet:Subnet") if r.name.startswith("eks-use1-private-")]
    assert {d for d in nodes.property_dependencies["subnetIds"]} == {r.urn for r in private}
    assert nodes.inputs["scalingConfig"] == {"desiredSize": 3, "maxSize": 6, "minSize": 3}
    assert nodes.inputs["instanceTypes"] == ["m6i.large"]
    role_policies = sorted(
        r.inputs["policyArn"].rsplit("/", 1)[-1]
        for r in prod.of_type("aws:iam/rolePolicyAttachment:RolePolicyAttachment")
        if r.name.startswith("eks-use1-")
    )
    assert role_policies == [
        "AmazonEC2ContainerRegistryReadOnly",
        "AmazonEKSClusterPolicy",
        "AmazonEKSWorkerNodePolicy",
        "AmazonEKS_CNI_Policy",
    ]


def test_eks_admins_get_access_entries() -> None:
    clusters = raw_config(PROJECT_DIR / "Pulumi.prod.yaml")["clusters"]
    clusters[0]["create"]["adminPrincipalArns"] = ["arn:aws:iam::123456789012:role/platform-admins"]
    sim = simulate("prod", config={"meshfleet:clusters": clusters})
    entry = sim.named("eks-use1-admin-0", "aws:eks/accessEntry:AccessEntry")
    assert entry.inputs["principalArn"] == "arn:aws:iam::123456789012:role/platform-admins"
    [association] = sim.of_type("aws:eks/accessPolicyAssociation:AccessPolicyAssociation")
    assert association.inputs["policyArn"] == "arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy"
    assert association.inputs["accessScope"] == {"type": "cluster"}


def test_eks_kubeconfig_authenticates_with_aws_eks_get_token(prod: Simulation) -> None:
    config = kubeconfig(prod, "eks-usw2")
    [user] = config["users"]
    assert user["user"] == {
        "exec": {
            "apiVersion": "client.authentication.k8s.io/v1beta1",
            "command": "aws",
            "args": ["eks", "get-token", "--cluster-name", "eks-usw2", "--region", "us-west-2", "--output", "json"],
        }
    }
    assert config["clusters"][0]["cluster"]["server"].startswith("https://")


def test_each_eks_cluster_has_its_own_aws_provider(prod: Simulation) -> None:
    for cluster in ("eks-use1", "eks-usw2"):
        aws = prod.named(f"{cluster}-aws")
        assert aws.inputs["region"] == PROD_CLUSTERS[cluster]
        for resource in prod.resources:
            if resource.type.startswith("aws:") and resource.name.startswith(f"{cluster}-"):
                assert resource.provider == aws.urn, resource.urn


def test_narrowed_api_access_still_admits_the_other_clusters() -> None:
    clusters = raw_config(PROJECT_DIR / "Pulumi.prod.yaml")["clusters"]
    clusters[0]["create"]["apiAccessCidrs"] = ["198.51.100.0/24"]
    clusters[2]["create"]["apiAccessCidrs"] = ["198.51.100.0/24"]
    del clusters[1]["create"]["apiAccessCidrs"]
    sim = simulate("prod", config={"meshfleet:clusters": clusters})
    peers_of_use1 = [f"{r.outputs['publicIp']}/32" for r in sim.of_type("aws:ec2/eip:Eip") if r.name.startswith("eks-usw2-")]
    peers_of_use1.append(f"{sim.named('gke-euw1-nat-ip').outputs['address']}/32")
    cidrs = sim.named("eks-use1-eks").inputs["vpcConfig"]["publicAccessCidrs"]
    assert cidrs == sorted({"198.51.100.0/24", *peers_of_use1})
    gke = sim.named("gke-euw1-gke").inputs["masterAuthorizedNetworksConfig"]["cidrBlocks"]
    assert {b["cidrBlock"] for b in gke} == {"198.51.100.0/24", *(f"{r.outputs['publicIp']}/32" for r in sim.of_type("aws:ec2/eip:Eip"))}
    # Left open, the endpoint is only guarded by authentication (the default).
    assert sim.named("eks-usw2-eks").inputs["vpcConfig"]["publicAccessCidrs"] == ["0.0.0.0/0"]


def test_narrowed_api_access_stays_narrow_when_the_mesh_never_reads_peer_apis(monkeypatch: pytest.MonkeyPatch) -> None:
    """A mesh whose control planes do not read the other clusters' API servers (Consul's peering runs
    through the mesh gateways) gets no peer addresses on a narrowed API endpoint."""
    monkeypatch.setattr(Istio, "ports", replace(Istio.ports, peers_read_api=False))
    clusters = raw_config(PROJECT_DIR / "Pulumi.prod.yaml")["clusters"]
    clusters[0]["create"]["apiAccessCidrs"] = ["198.51.100.0/24"]
    clusters[2]["create"]["apiAccessCidrs"] = ["198.51.100.0/24"]
    sim = simulate("prod", config={"meshfleet:clusters": clusters})
    assert sim.named("eks-use1-eks").inputs["vpcConfig"]["publicAccessCidrs"] == ["198.51.100.0/24"]
    gke = sim.named("gke-euw1-gke").inputs["masterAuthorizedNetworksConfig"]["cidrBlocks"]
    assert [b["cidrBlock"] for b in gke] == ["198.51.100.0/24"]


# --- GKE --------------------------------------------------------------------------------------------


def test_gke_cluster_is_vpc_native_private_with_workload_identity(prod: Simulation) -> None:
    cluster = prod.named("gke-euw1-gke")
    assert cluster.inputs["networkingMode"] == "VPC_NATIVE"
    assert cluster.inputs["ipAllocationPolicy"] == {"clusterSecondaryRangeName": "pods", "servicesSecondaryRangeName": "services"}
    assert cluster.inputs["workloadIdentityConfig"] == {"workloadPool": "example-mesh-prod.svc.id.goog"}
    assert cluster.inputs["privateClusterConfig"] == {
        "enablePrivateEndpoint": False,
        "enablePrivateNodes": True,
        "masterIpv4CidrBlock": "172.16.0.0/28",
    }
    assert cluster.inputs["nodeLocations"] == ["europe-west1-b", "europe-west1-c", "europe-west1-d"]
    assert cluster.inputs["removeDefaultNodePool"] is True
    pool = prod.named("gke-euw1-nodes")
    assert pool.inputs["nodeConfig"]["workloadMetadataConfig"] == {"mode": "GKE_METADATA"}
    assert pool.inputs["nodeConfig"]["machineType"] == "e2-standard-4"
    assert pool.inputs["autoscaling"] == {"totalMaxNodeCount": 6, "totalMinNodeCount": 3}
    subnet = prod.named("gke-euw1-subnet")
    assert subnet.inputs["secondaryIpRanges"] == [
        {"ipCidrRange": "10.24.0.0/14", "rangeName": "pods"},
        {"ipCidrRange": "10.28.0.0/20", "rangeName": "services"},
    ]
    nat = prod.named("gke-euw1-nat")
    address = prod.named("gke-euw1-nat-ip")
    assert nat.inputs["natIpAllocateOption"] == "MANUAL_ONLY"
    assert nat.inputs["natIps"] == [address.outputs["selfLink"]]


def test_gke_nodes_run_as_their_own_service_account_with_gkes_minimum_roles(prod: Simulation) -> None:
    account = prod.named("gke-euw1-nodes-sa")
    pool = prod.named("gke-euw1-nodes")
    assert pool.inputs["nodeConfig"]["serviceAccount"] == account.outputs["email"]
    grants = {r.inputs["role"]: r for r in prod.of_type("gcp:projects/iAMMember:IAMMember") if r.name.startswith("gke-euw1-")}
    # One binding for logs, metrics and autoscaling metrics (GKE's documented minimum), one for image pulls.
    assert sorted(grants) == ["roles/artifactregistry.reader", "roles/container.defaultNodeServiceAccount"]
    assert {g.inputs["member"] for g in grants.values()} == {account.outputs["member"]}
    assert {g.inputs["project"] for g in grants.values()} == {"example-mesh-prod"}


def test_gke_kubeconfig_authenticates_with_gke_gcloud_auth_plugin(prod: Simulation) -> None:
    config = kubeconfig(prod, "gke-euw1")
    exec_ = config["users"][0]["user"]["exec"]
    assert exec_["command"] == "gke-gcloud-auth-plugin"
    assert exec_["provideClusterInfo"] is True
    assert config["clusters"][0]["cluster"]["server"] == prod.exports["clusters"]["gke-euw1"]["apiEndpoint"]


# --- providers ----------------------------------------------------------------------------------


def test_providers_have_stable_cluster_identifiers(prod: Simulation, dev: Simulation) -> None:
    assert provider(prod, "eks-use1").inputs["clusterIdentifier"] == "arn:aws:eks:us-east-1:123456789012:cluster/eks-use1"
    assert provider(prod, "gke-euw1").inputs["clusterIdentifier"].endswith("/clusters/gke-euw1")
    assert provider(dev, "kind-west").inputs["clusterIdentifier"] == "meshfleet/kind-west"


def test_created_clusters_providers_wait_for_nodes(prod: Simulation) -> None:
    for cluster, nodes in (("eks-use1", "eks-use1-nodes"), ("gke-euw1", "gke-euw1-nodes")):
        assert prod.named(nodes).urn in provider(prod, cluster).dependencies


@pytest.mark.parametrize("stack", ["prod", "dev", "primary_remote", "linkerd"])
def test_every_kubernetes_resource_uses_its_own_clusters_provider(stack: str, request: pytest.FixtureRequest) -> None:
    sim: Simulation = request.getfixturevalue(stack)
    providers = {r.urn: r.name.removesuffix("-k8s") for r in sim.of_type("pulumi:providers:kubernetes")}
    kubernetes = [r for r in sim.kubernetes() if r.custom]
    assert len(kubernetes) > 10
    for resource in kubernetes:
        assert resource.provider in providers, f"{resource.urn} has no explicit provider"
        cluster = providers[resource.provider]
        assert resource.name.startswith(f"{cluster}-"), f"{resource.urn} uses the provider of {cluster}"


@pytest.mark.parametrize("stack", ["prod", "dev"])
def test_default_providers_are_disabled(stack: str) -> None:
    config = yaml.safe_load((PROJECT_DIR / f"Pulumi.{stack}.yaml").read_text())["config"]
    assert set(config["pulumi:disable-default-providers"]) >= {"kubernetes", "aws", "gcp"}


# --- firewall: the mesh's ports, nothing wider ---------------------------------------------------------


def test_eks_security_group_rules_open_only_mesh_ports(prod: Simulation) -> None:
    rules = {r.name: r.inputs for r in prod.of_type("aws:ec2/securityGroupRule:SecurityGroupRule") if r.name.startswith("eks-use1-")}
    assert set(rules) == {"eks-use1-mesh-webhooks-15017", "eks-use1-mesh-east-west-15443"}
    webhook = rules["eks-use1-mesh-webhooks-15017"]
    assert (webhook["fromPort"], webhook["toPort"], webhook["protocol"]) == (15017, 15017, "tcp")
    assert webhook["sourceSecurityGroupId"] == webhook["securityGroupId"]  # the cluster's own control plane
    east_west = rules["eks-use1-mesh-east-west-15443"]
    peers = [f"{r.outputs['publicIp']}/32" for r in prod.of_type("aws:ec2/eip:Eip") if r.name.startswith("eks-usw2-")]
    peers.append(f"{prod.named('gke-euw1-nat-ip').outputs['address']}/32")
    assert sorted(east_west["cidrBlocks"]) == sorted(peers)
    assert (east_west["fromPort"], east_west["toPort"]) == (15443, 15443)


def test_gke_firewall_opens_webhook_to_control_plane_and_east_west_to_peers(prod: Simulation) -> None:
    rules = {r.name: r.inputs for r in prod.of_type("gcp:compute/firewall:Firewall")}
    assert rules["gke-euw1-mesh-webhooks"]["sourceRanges"] == ["172.16.0.0/28"]
    assert rules["gke-euw1-mesh-webhooks"]["allows"] == [{"ports": ["15017"], "protocol": "tcp"}]
    assert rules["gke-euw1-mesh-webhooks"]["targetTags"] == ["gke-euw1-nodes"]
    east_west = rules["gke-euw1-mesh-east-west"]
    assert east_west["allows"] == [{"ports": ["15443"], "protocol": "tcp"}]
    assert len(east_west["sourceRanges"]) == 6 and all(c.endswith("/32") for c in east_west["sourceRanges"])


@pytest.mark.parametrize("stack", ["prod", "primary_remote", "linkerd"])
def test_no_rule_is_open_to_the_internet(stack: str, request: pytest.FixtureRequest) -> None:
    sim: Simulation = request.getfixturevalue(stack)
    for rule in sim.of_type("aws:ec2/securityGroupRule:SecurityGroupRule") + sim.of_type("gcp:compute/firewall:Firewall"):
        sources = rule.inputs.get("cidrBlocks") or rule.inputs.get("sourceRanges") or []
        assert "0.0.0.0/0" not in sources, rule.urn


def test_primary_serving_remotes_opens_istiod_ports_to_them(primary_remote: Simulation) -> None:
    rules = {r.name: r.inputs for r in primary_remote.of_type("gcp:compute/firewall:Firewall")}
    assert rules["gke-usc1-mesh-east-west"]["allows"] == [{"ports": ["15443", "15012", "15017"], "protocol": "tcp"}]
    assert rules["gke-euw4-mesh-east-west"]["allows"] == [{"ports": ["15443"], "protocol": "tcp"}]


# --- adopted clusters ------------------------------------------------------------------------------------


def test_context_cluster_uses_the_operators_kubeconfig_without_storing_it(dev: Simulation) -> None:
    west = provider(dev, "kind-west")
    assert west.inputs["context"] == "kind-mesh-west"
    # The SDK records where the kubeconfig is (KUBECONFIG), never its credentials.
    assert west.inputs["kubeconfig"].endswith("/config")
    assert "client-key-data" not in str(west.inputs)
    cluster = dev.exports["clusters"]["kind-west"]
    assert cluster["apiEndpoint"] == "https://mesh-west-control-plane:6443"  # apiServer override
    assert cluster["caCertificate"].startswith("-----BEGIN CERTIFICATE-----")


def existing_clusters(source_west: dict[str, Any], source_east: dict[str, Any]) -> list[dict[str, Any]]:
    private: dict[str, Any] = {"internalLoadBalancerAnnotations": {}}  # kind's load balancers are on its Docker network
    return [
        {"name": "kind-west", "cloud": "existing", "region": "local-west", "network": "net-west", "existing": {**source_west, **private}},
        {"name": "kind-east", "cloud": "existing", "region": "local-east", "network": "net-east", "existing": {**source_east, **private}},
    ]


def test_kubeconfig_secret_and_stack_reference_clusters() -> None:
    west_config = json.dumps(kind_kubeconfig(("kind-mesh-west",)))
    east_config = json.dumps(kind_kubeconfig(("kind-mesh-east",)))
    sim = simulate(
        "dev",
        config={
            "meshfleet:clusters": existing_clusters(
                {"kubeconfigSecret": "west-kubeconfig"},
                {"stackReference": "acme/clusters/east", "stackOutput": "kubeconfig"},
            )
        },
        secrets={"meshfleet:west-kubeconfig": west_config},
        stack_outputs={"acme/clusters/east": {"kubeconfig": east_config}},
    )
    west = provider(sim, "kind-west")
    assert west.inputs["kubeconfig"] == west_config
    assert west.is_secret("kubeconfig")
    east = provider(sim, "kind-east")
    assert east.inputs["kubeconfig"] == east_config
    assert east.is_secret("kubeconfig")
    [reference] = [r for r in sim.of_type("pulumi:pulumi:StackReference") if r.name != "meshfleet-deployed"]
    assert reference.inputs["name"] == "acme/clusters/east"
    assert sim.exports["clusters"]["kind-west"]["apiEndpoint"] == "https://127.0.0.1:6443"
    assert "secret" not in str(sim.secret_exports)  # endpoints and CAs are not credentials
    assert sim.secret_exports == set()
