"""Links without the linkerd CLI (components/meshes/linkerd/discovery.py, components/k8s/reader_credentials.py):
what `linkerd multicluster link-gen` would print for every ordered pair of clusters, made from the target's
real state, and nothing more per pair.

The changes of a stack (a token rotation, the move from per-pair controller restarts) are checked the way
they reach Linkerd: the objects of the stack before and after, turned into the writes `pulumi up` makes in
its order, replayed against a model of the service mirrors and the destination controllers
(tests/meshes/linkerd/mirror_model.py)."""

from __future__ import annotations

from dataclasses import replace
from itertools import permutations

import pytest
import yaml

from components.simulation import Recorded, Simulation, simulate
from tests.meshes.helpers import CONFIG_GROUP, NAMESPACE, SECRET, depends_on, reader_token, release, token_kubeconfig
from tests.meshes.linkerd.mirror_model import Fleet, KubeObject, describe, objects, replay, up
from tests.support import LINKERD, raw_config, simulated

CLUSTERS = ("eks-use1", "eks-euc1", "gke-usc1")
PAIRS = list(permutations(CLUSTERS, 2))
TRUST_DOMAIN = "linkerd.meshfleet.internal"
LINK = "kubernetes:multicluster.linkerd.io/v1alpha3:Link"
PATCH = "kubernetes:apps/v1:DeploymentPatch"


def links(sim: Simulation, source: str) -> Recorded:
    """The source's one group of objects for its peers; the provider registers each object in it."""
    return sim.named(f"{source}-links", CONFIG_GROUP)


def mirror_credentials(sim: Simulation, source: str, target: str) -> Recorded:
    return sim.named(f"{source}-links:linkerd-multicluster/cluster-credentials-{target}", SECRET)


def destination_credentials(sim: Simulation, source: str, target: str) -> Recorded:
    return sim.named(f"{source}-links:linkerd/cluster-credentials-{target}", SECRET)


def link(sim: Simulation, source: str, target: str) -> Recorded:
    return sim.named(f"{source}-links:linkerd-multicluster/{target}", LINK)


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
    mirror, destination = mirror_credentials(linkerd, source, target), destination_credentials(linkerd, source, target)
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
    made = link(linkerd, source, target)
    assert made.provider == linkerd.named(f"{source}-k8s").urn
    assert made.inputs["metadata"] == {
        "name": target,
        "namespace": "linkerd-multicluster",
        # Made by the provider after both credentials Secrets of its group.
        "annotations": {
            "config.kubernetes.io/depends-on": f"/namespaces/linkerd-multicluster/Secret/cluster-credentials-{target},"
            f"/namespaces/linkerd/Secret/cluster-credentials-{target}"
        },
    }
    assert made.inputs["spec"] == {
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
        # Excludes an annotation no Service carries; names the token generation (see the rotation tests).
        "excludedAnnotations": ["meshfleet.io/link-credentials-generation-1"],
    }
    # The source's controller for this Link exists, named after it.
    assert {"link": {"ref": {"name": target}}} in release(linkerd, source, "linkerd-multicluster").inputs["values"]["controllers"]


@pytest.mark.parametrize(("source", "target"), PAIRS)
def test_link_waits_for_its_crd_its_credentials_and_the_targets_gateway(linkerd: Simulation, source: str, target: str) -> None:
    made = link(linkerd, source, target)
    assert depends_on(linkerd, made, release(linkerd, source, "linkerd-multicluster"))  # the Link CRD ships with it
    assert depends_on(linkerd, made, mirror_credentials(linkerd, source, target))
    assert depends_on(linkerd, made, destination_credentials(linkerd, source, target))
    assert depends_on(linkerd, made, linkerd.named(f"{target}-linkerd-gateway-service"))
    for credentials in (mirror_credentials(linkerd, source, target), destination_credentials(linkerd, source, target)):
        assert not depends_on(linkerd, credentials, made)
        assert depends_on(linkerd, credentials, linkerd.named(f"{source}-linkerd", NAMESPACE))
        assert depends_on(linkerd, credentials, linkerd.named(f"{source}-linkerd-multicluster", NAMESPACE))


def destination_restart(sim: Simulation, source: str) -> Recorded:
    return sim.named(f"{source}-restart-linkerd-destination", PATCH)


@pytest.mark.parametrize("source", CLUSTERS)
def test_one_destination_restart_per_cluster_after_all_its_credentials(linkerd: Simulation, source: str) -> None:
    """The destination controller reloads no changed Secret, so each cluster restarts it once per rotation, after
    every peer's credentials; the service mirrors need no restart: their Links carry the generation."""
    restart = destination_restart(linkerd, source)
    assert restart.inputs["metadata"] == {"name": "linkerd-destination", "namespace": "linkerd"}
    assert restart.inputs["spec"] == {"template": {"metadata": {"annotations": {"meshfleet.io/link-credentials-generation": "1"}}}}
    assert restart.provider == linkerd.named(f"{source}-k8s").urn
    assert depends_on(linkerd, restart, release(linkerd, source, "linkerd-control-plane"))
    for target in CLUSTERS:
        if target != source:
            assert depends_on(linkerd, restart, destination_credentials(linkerd, source, target))
    assert [r.name for r in linkerd.of_type(PATCH) if r.provider == restart.provider] == [restart.name]


# --- changes, as Linkerd's readers see them (tests/meshes/linkerd/mirror_model.py) --------------------


def rotated_stack() -> Simulation:
    mesh = raw_config(LINKERD)["mesh"]
    mesh["linkerd"] = {"readerTokenGeneration": 2}
    return simulate("linkerd", config_file=LINKERD, config={"meshfleet:mesh": mesh})


@pytest.fixture(scope="module")
def rotated() -> Simulation:
    return rotated_stack()


def tokens(sim: Simulation) -> dict[str, str]:
    return {c: reader_token(sim.named(f"{c}-linkerd-reader", SECRET)) for c in CLUSTERS}


def holds(fleet: Fleet, current: dict[str, str]) -> None:
    """Every service mirror and destination controller reads every peer with that peer's current token."""
    for source in CLUSTERS:
        peers = {target: token for target, token in current.items() if target != source}
        assert fleet.clusters[source].mirrors == peers, source
        assert fleet.clusters[source].destination == peers, source


def test_a_fresh_stack_mirrors_and_discovers_every_peer(linkerd: Simulation) -> None:
    fleet = replay(up([], linkerd))
    holds(fleet, tokens(linkerd))
    for source in CLUSTERS:
        cluster = fleet.clusters[source]
        # Each Link is created after its credentials, so each controller starts with them.
        assert sorted(cluster.reloads) == sorted(f"link {t}" for t in CLUSTERS if t != source)
        assert cluster.restarts == ["linkerd-destination"]


def test_rotating_the_tokens_is_one_up_the_links_reload_the_mirrors_and_the_old_tokens_go_last(
    linkerd: Simulation, rotated: Simulation
) -> None:
    steps = up(linkerd, rotated)
    writes = [describe(s) for s in steps]
    pairs = [(s, t) for s, t in PAIRS]
    token = "linkerd-service-mirror-remote-access-default-token"
    assert sorted(writes) == sorted(
        [
            *[f"create {c}/Secret/linkerd-multicluster/{token}-g2" for c in CLUSTERS],
            *[f"update {s}/Secret/linkerd-multicluster/cluster-credentials-{t}" for s, t in pairs],
            *[f"update {s}/Secret/linkerd/cluster-credentials-{t}" for s, t in pairs],
            *[f"update {s}/Link/linkerd-multicluster/{t}" for s, t in pairs],
            *[f"update {c}/DeploymentPatch/linkerd/linkerd-destination" for c in CLUSTERS],
            *[f"delete {c}/Secret/linkerd-multicluster/{token}-g1" for c in CLUSTERS],
        ]
    )
    # In order: the target's new token, then the source's credentials, then the Link that makes the mirror
    # reload them, and the destination restart after all of the source's credentials; the old tokens last.
    at = {w: i for i, w in enumerate(writes)}
    for s, t in pairs:
        credentials = [at[f"update {s}/Secret/{ns}/cluster-credentials-{t}"] for ns in ("linkerd-multicluster", "linkerd")]
        assert at[f"create {t}/Secret/linkerd-multicluster/{token}-g2"] < min(credentials)
        assert max(credentials) < at[f"update {s}/Link/linkerd-multicluster/{t}"]
        assert max(credentials) < at[f"update {s}/DeploymentPatch/linkerd/linkerd-destination"]
    assert [kind for kind, _ in steps][-len(CLUSTERS) :] == ["delete"] * len(CLUSTERS)
    # A Link changes only in the generation it names: the spec change the service mirror reloads on.
    for s, t in pairs:
        before, after = link(linkerd, s, t).inputs["spec"], link(rotated, s, t).inputs["spec"]
        assert {k: v for k, v in before.items() if before[k] != after[k]} == {
            "excludedAnnotations": ["meshfleet.io/link-credentials-generation-1"]
        }
        assert after["excludedAnnotations"] == ["meshfleet.io/link-credentials-generation-2"]

    fleet = replay(up([], linkerd))
    fleet.forget_history()
    fleet.apply(steps)
    holds(fleet, tokens(rotated))
    assert fleet.broken == []  # no reader held a token when it was revoked
    for source in CLUSTERS:
        cluster = fleet.clusters[source]
        assert sorted(cluster.reloads) == sorted(f"link {t}" for t in CLUSTERS if t != source), source
        assert cluster.restarts == ["linkerd-destination"], source  # no controller restarted
        assert cluster.dropped == [], source  # no peer left the destination controller's store


def without_generation(objects: list[KubeObject]) -> list[KubeObject]:
    """The stack's objects with Links that name no token generation."""
    return [
        replace(o, spec={k: v for k, v in o.spec.items() if k != "excludedAnnotations"}, content="") if o.kind == "Link" else o
        for o in objects
    ]


def test_without_the_generation_in_the_link_a_rotation_would_strand_the_mirrors(linkerd: Simulation, rotated: Simulation) -> None:
    """The model's check: Links whose spec stays the same leave every service mirror on a revoked token."""
    old, new = without_generation(objects(linkerd)), without_generation(objects(rotated))
    fleet = replay(up([], old), up(old, new))
    assert sorted(fleet.broken) == sorted(f"{s}: controller -> {t}" for s, t in PAIRS)


def test_a_single_cluster_fleet_has_no_links() -> None:
    clusters = raw_config(LINKERD)["clusters"][2:]
    sim = simulate("linkerd", config_file=LINKERD, config={"meshfleet:clusters": clusters})
    assert [r for r in sim.resources if r.type in (LINK, PATCH, CONFIG_GROUP) or r.name.endswith("-linkerd-reader")] == []
    assert release(sim, "gke-usc1", "linkerd-multicluster").inputs["values"]["controllers"] == []


def test_first_preview_of_a_new_stack_works_with_everything_unknown(linkerd: Simulation) -> None:
    """Before the clusters exist, gateway addresses, tokens and certificates are unknown. The program registers
    every resource of its own, each group of links with unknown objects; the provider registers a group's
    objects only once all of them are known (it warns that the preview is incomplete), so `pulumi up` makes them."""
    sim = simulated("linkerd", config_file=LINKERD, preview=True)
    groups = {links(linkerd, source).urn for source in CLUSTERS}
    made_by_program = sorted((r.type, r.name) for r in linkerd.resources if r.parent not in groups)
    assert sorted((r.type, r.name) for r in sim.resources) == made_by_program
    unknown = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"
    assert sim.exports["clusters"]["eks-use1"]["eastWestGatewayAddress"] == unknown
    objs = links(sim, "gke-usc1").inputs["objs"]
    assert [o["kind"] for o in objs] == ["Secret", "Secret", "Link"] * 2
    assert objs[2]["spec"]["gatewayAddress"] == unknown
    assert objs[2]["spec"]["gatewayPort"] == "4143"
    assert objs[0]["stringData"]["kubeconfig"] == unknown


@pytest.mark.parametrize("source", CLUSTERS)
def test_one_group_per_cluster_holds_its_three_objects_per_peer(linkerd: Simulation, source: str) -> None:
    """What link-gen prints for each peer, in one group the provider registers: one program resource per
    cluster instead of three per pair, each object still a resource of the stack."""
    group = links(linkerd, source)
    assert group.provider == linkerd.named(f"{source}-k8s").urn  # the provider that registers the objects
    assert group.parent == linkerd.named(source, "meshfleet:linkerd:Cluster").urn
    peers = [t for t in CLUSTERS if t != source]
    assert sorted(r.name for r in linkerd.resources if r.parent == group.urn) == sorted(
        name
        for t in peers
        for name in (
            f"{source}-links:linkerd-multicluster/cluster-credentials-{t}",
            f"{source}-links:linkerd/cluster-credentials-{t}",
            f"{source}-links:linkerd-multicluster/{t}",
        )
    )
    assert depends_on(linkerd, group, release(linkerd, source, "linkerd-multicluster"))
    # Only the token's kubeconfig is a secret in the group's inputs; the Links stay readable in a diff.
    assert group.secret_inputs == {
        ("objs", i, "stringData", "kubeconfig") for i, o in enumerate(group.inputs["objs"]) if o["kind"] == "Secret"
    }


def test_adopted_clusters_are_linked_at_their_configured_api_server() -> None:
    """The kind fleet of Pulumi.dev.yaml on Linkerd: one control-plane replica, and links that reach each
    cluster's API at its `apiServer` (the address the other clusters reach, not the operator's)."""
    mesh = {"type": "linkerd", "version": "2026.8.3", "meshId": "mesh-dev", "controlPlane": {"replicas": 1}}
    sim = simulate("dev", config={"meshfleet:mesh": mesh})
    kubeconfig = yaml.safe_load(mirror_credentials(sim, "kind-west", "kind-east").inputs["stringData"]["kubeconfig"])
    assert kubeconfig["clusters"][0]["cluster"]["server"] == "https://mesh-east-control-plane:6443"
    chart = release(sim, "kind-west", "linkerd-control-plane").inputs["values"]
    assert "controllerReplicas" not in chart and "enablePodDisruptionBudget" not in chart
    assert chart["identityTrustDomain"] == "cluster.local"
    assert (
        link(sim, "kind-east", "kind-west").inputs["spec"]["gatewayAddress"]
        == sim.exports["clusters"]["kind-west"]["eastWestGatewayAddress"]
    )
