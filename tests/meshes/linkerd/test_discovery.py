"""Links without the linkerd CLI (components/meshes/linkerd/discovery.py, components/k8s/reader_credentials.py):
what `linkerd multicluster link-gen` would print for every ordered pair of clusters, made from the target's
real state, and the token rotation with the restarts Linkerd needs."""

from __future__ import annotations

from itertools import permutations
from typing import Any

import pytest
import yaml

from components.simulation import Simulation, simulate
from tests.meshes.helpers import NAMESPACE, SECRET, depends_on, reader_token, release, token_kubeconfig
from tests.support import LINKERD, raw_config, simulated

CLUSTERS = ("eks-use1", "eks-euc1", "gke-usc1")
PAIRS = list(permutations(CLUSTERS, 2))
TRUST_DOMAIN = "linkerd.meshfleet.internal"
LINK = "kubernetes:multicluster.linkerd.io/v1alpha3:Link"
PATCH = "kubernetes:apps/v1:DeploymentPatch"


def test_one_token_per_target_for_the_charts_remote_access_account(linkerd: Simulation) -> None:
    for target in CLUSTERS:
        token = linkerd.named(f"{target}-linkerd-reader", SECRET)
        assert token.inputs["type"] == "kubernetes.io/service-account-token"
        assert token.inputs["metadata"] == {
            "name": "linkerd-service-mirror-remote-access-default-token-g1",
            "namespace": "linkerd-multicluster",
            "annotations": {
                "kubernetes.io/service-account.name": "linkerd-service-mirror-remote-access-default",
                "pulumi.com/waitFor": "jsonpath={.data.token}",
            },
        }
        assert token.provider == linkerd.named(f"{target}-k8s").urn
        # The account and its ClusterRole come with the target's multicluster chart.
        assert depends_on(linkerd, token, release(linkerd, target, "linkerd-multicluster"))
    tokens = [r for r in linkerd.of_type(SECRET) if r.inputs.get("type") == "kubernetes.io/service-account-token"]
    assert len(tokens) == len(CLUSTERS)


@pytest.mark.parametrize(("source", "target"), PAIRS)
def test_credentials_for_the_service_mirror_and_the_destination_controller(linkerd: Simulation, source: str, target: str) -> None:
    mirror = linkerd.named(f"{source}-link-credentials-{target}", SECRET)
    destination = linkerd.named(f"{source}-destination-credentials-{target}", SECRET)
    assert mirror.inputs["metadata"] == {"name": f"cluster-credentials-{target}", "namespace": "linkerd-multicluster"}
    assert destination.inputs["metadata"] == {
        "name": f"cluster-credentials-{target}",
        "namespace": "linkerd",
        "labels": {"multicluster.linkerd.io/cluster-name": target},
        "annotations": {"multicluster.linkerd.io/trust-domain": TRUST_DOMAIN, "multicluster.linkerd.io/cluster-domain": "cluster.local"},
    }
    reader = linkerd.named(f"{target}-linkerd-reader", SECRET)
    for secret in (mirror, destination):
        assert secret.inputs["type"] == "mirror.linkerd.io/remote-kubeconfig"
        assert list(secret.inputs["stringData"]) == ["kubeconfig"]
        assert secret.is_secret("stringData")
        assert secret.provider == linkerd.named(f"{source}-k8s").urn
        # An inline token only: the service mirror takes no exec plugin.
        assert yaml.safe_load(secret.inputs["stringData"]["kubeconfig"]) == token_kubeconfig(linkerd, target, reader)
        assert depends_on(linkerd, secret, reader)


@pytest.mark.parametrize(("source", "target"), PAIRS)
def test_link_points_at_the_targets_real_gateway(linkerd: Simulation, source: str, target: str) -> None:
    link = linkerd.named(f"{source}-link-{target}")
    assert link.type == LINK
    assert link.provider == linkerd.named(f"{source}-k8s").urn
    assert link.inputs["metadata"] == {"name": target, "namespace": "linkerd-multicluster"}
    assert link.inputs["spec"] == {
        "targetClusterName": target,
        "targetClusterDomain": "cluster.local",
        "targetClusterLinkerdNamespace": "linkerd",
        "clusterCredentialsSecret": f"cluster-credentials-{target}",
        "gatewayAddress": linkerd.exports["clusters"][target]["eastWestGatewayAddress"],
        "gatewayPort": "4143",
        "gatewayIdentity": f"linkerd-gateway.linkerd-multicluster.serviceaccount.identity.linkerd.{TRUST_DOMAIN}",
        "probeSpec": {"path": "/ready", "port": "4191", "period": "3s"},
        "selector": {"matchLabels": {"mirror.linkerd.io/exported": "true"}},
        "remoteDiscoverySelector": {"matchLabels": {"mirror.linkerd.io/exported": "remote-discovery"}},
        "federatedServiceSelector": {"matchLabels": {"mirror.linkerd.io/federated": "member"}},
    }
    # The source's controller for this Link exists, named after it.
    assert {"link": {"ref": {"name": target}}} in release(linkerd, source, "linkerd-multicluster").inputs["values"]["controllers"]


@pytest.mark.parametrize(("source", "target"), PAIRS)
def test_link_waits_for_its_crd_its_credentials_and_the_targets_gateway(linkerd: Simulation, source: str, target: str) -> None:
    link = linkerd.named(f"{source}-link-{target}")
    assert depends_on(linkerd, link, release(linkerd, source, "linkerd-multicluster"))  # the Link CRD ships with it
    assert depends_on(linkerd, link, linkerd.named(f"{source}-link-credentials-{target}", SECRET))
    assert depends_on(linkerd, link, linkerd.named(f"{source}-destination-credentials-{target}", SECRET))
    assert depends_on(linkerd, link, linkerd.named(f"{target}-linkerd-gateway-service"))
    for secret in ("link-credentials", "destination-credentials"):
        credentials = linkerd.named(f"{source}-{secret}-{target}", SECRET)
        assert depends_on(linkerd, credentials, linkerd.named(f"{source}-linkerd", NAMESPACE))
        assert depends_on(linkerd, credentials, linkerd.named(f"{source}-linkerd-multicluster", NAMESPACE))


def restart(sim: Simulation, source: str, deployment: str) -> Any:
    return sim.named(f"{source}-restart-{deployment}", PATCH)


@pytest.mark.parametrize("source", CLUSTERS)
def test_rotation_restarts_every_reader_of_the_credentials_after_they_are_written(linkerd: Simulation, source: str) -> None:
    peers = [c for c in CLUSTERS if c != source]
    destination = restart(linkerd, source, "linkerd-destination")
    assert destination.inputs["metadata"] == {"name": "linkerd-destination", "namespace": "linkerd"}
    assert destination.inputs["spec"] == {"template": {"metadata": {"annotations": {"meshfleet.io/link-credentials-generation": "1"}}}}
    assert depends_on(linkerd, destination, release(linkerd, source, "linkerd-control-plane"))
    for target in peers:
        assert depends_on(linkerd, destination, linkerd.named(f"{source}-destination-credentials-{target}", SECRET))
        controller = restart(linkerd, source, f"controller-{target}")
        assert controller.inputs["metadata"] == {"name": f"controller-{target}", "namespace": "linkerd-multicluster"}
        assert controller.inputs["spec"] == destination.inputs["spec"]
        assert depends_on(linkerd, controller, linkerd.named(f"{source}-link-credentials-{target}", SECRET))
        assert depends_on(linkerd, controller, release(linkerd, source, "linkerd-multicluster"))  # the Deployment exists
    patches = [r.name for r in linkerd.of_type(PATCH) if r.name.startswith(f"{source}-")]
    assert len(patches) == len(peers) + 1


def test_rotating_the_tokens_is_one_config_change() -> None:
    mesh = raw_config(LINKERD)["mesh"]
    mesh["linkerd"] = {"readerTokenGeneration": 2}
    sim = simulate("linkerd", config_file=LINKERD, config={"meshfleet:mesh": mesh})
    token = sim.named("eks-euc1-linkerd-reader", SECRET)
    assert token.inputs["metadata"]["name"] == "linkerd-service-mirror-remote-access-default-token-g2"
    for source in ("eks-use1", "gke-usc1"):
        for secret in ("link-credentials", "destination-credentials"):
            kubeconfig = yaml.safe_load(sim.named(f"{source}-{secret}-eks-euc1", SECRET).inputs["stringData"]["kubeconfig"])
            assert kubeconfig["users"][0]["user"]["token"] == reader_token(token)
        for deployment in ("linkerd-destination", "controller-eks-euc1"):
            annotations = restart(sim, source, deployment).inputs["spec"]["template"]["metadata"]["annotations"]
            assert annotations == {"meshfleet.io/link-credentials-generation": "2"}


def test_a_single_cluster_fleet_has_no_links() -> None:
    clusters = raw_config(LINKERD)["clusters"][2:]
    sim = simulate("linkerd", config_file=LINKERD, config={"meshfleet:clusters": clusters})
    assert [r for r in sim.resources if r.type in (LINK, PATCH) or r.name.endswith("-linkerd-reader")] == []
    assert release(sim, "gke-usc1", "linkerd-multicluster").inputs["values"]["controllers"] == []


def test_first_preview_of_a_new_stack_works_with_everything_unknown(linkerd: Simulation) -> None:
    """Before the clusters exist, gateway addresses, tokens and certificates are unknown; every resource is
    still registered, so the preview shows the whole plan."""
    sim = simulated("linkerd", config_file=LINKERD, preview=True)
    assert sorted((r.type, r.name) for r in sim.resources) == sorted((r.type, r.name) for r in linkerd.resources)
    unknown = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"
    assert sim.exports["clusters"]["eks-use1"]["eastWestGatewayAddress"] == unknown
    assert sim.named("gke-usc1-link-eks-use1").inputs["spec"]["gatewayAddress"] == unknown
    assert sim.named("gke-usc1-link-eks-use1").inputs["spec"]["gatewayPort"] == "4143"


def test_adopted_clusters_are_linked_at_their_configured_api_server() -> None:
    """The kind fleet of Pulumi.dev.yaml on Linkerd: one control-plane replica, and links that reach each
    cluster's API at its `apiServer` (the address the other clusters reach, not the operator's)."""
    mesh = {"type": "linkerd", "version": "2026.8.3", "meshId": "mesh-dev", "controlPlane": {"replicas": 1}}
    sim = simulate("dev", config={"meshfleet:mesh": mesh})
    kubeconfig = yaml.safe_load(sim.named("kind-west-link-credentials-kind-east", SECRET).inputs["stringData"]["kubeconfig"])
    assert kubeconfig["clusters"][0]["cluster"]["server"] == "https://mesh-east-control-plane:6443"
    chart = release(sim, "kind-west", "linkerd-control-plane").inputs["values"]
    assert "controllerReplicas" not in chart and "enablePodDisruptionBudget" not in chart
    assert chart["identityTrustDomain"] == "cluster.local"
    assert (
        sim.named("kind-east-link-kind-west").inputs["spec"]["gatewayAddress"]
        == sim.exports["clusters"]["kind-west"]["eastWestGatewayAddress"]
    )
