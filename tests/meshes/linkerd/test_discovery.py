"""Links without the linkerd CLI (components/meshes/linkerd/discovery.py, components/k8s/reader_credentials.py):
what `linkerd multicluster link-gen` would print for every ordered pair of clusters, made from the target's
real state, and nothing more per pair.

The changes of a stack (a token rotation, turning remote discovery off) are checked the way
they reach Linkerd: the objects of the stack before and after, turned into the writes `pulumi up` makes in
its order, replayed against a model of the service mirrors and the destination controllers
(tests/meshes/linkerd/mirror_model.py)."""

from __future__ import annotations

from dataclasses import replace
from itertools import permutations
from typing import Any

import pytest
import yaml

from components.simulation import Recorded, Simulation, simulate
from tests.meshes.helpers import CONFIG_GROUP, NAMESPACE, SECRET, depends_on, reader_token, release, token_kubeconfig
from tests.meshes.linkerd.mirror_model import Fleet, KubeObject, describe, engine_up, gateway_endpoints, objects, replay, up
from tests.support import LINKERD, raw_config, simulated

CLUSTERS = ("eks-use1", "eks-euc1", "gke-usc1")
PAIRS = list(permutations(CLUSTERS, 2))
TRUST_DOMAIN = "linkerd.meshfleet.internal"
LINK = "kubernetes:multicluster.linkerd.io/v1alpha3:Link"
PATCH = "kubernetes:apps/v1:DeploymentPatch"


def mirror_credentials(sim: Simulation, source: str, target: str) -> Recorded:
    return sim.named(f"{source}-link-credentials-{target}", SECRET)


def destination_credentials(sim: Simulation, source: str, target: str) -> Recorded:
    return sim.named(f"{source}-destination-credentials-{target}", SECRET)


def link(sim: Simulation, source: str, target: str) -> Recorded:
    return sim.named(f"{source}-link-{target}", LINK)


def remote_discovery_stack(**inputs: Any) -> Simulation:
    """The example fleet with `mesh.linkerd.remoteDiscovery: true` (and any other `mesh.linkerd` settings)."""
    mesh = raw_config(LINKERD)["mesh"]
    mesh["linkerd"] = {"remoteDiscovery": True, **inputs.pop("settings", {})}
    return simulate("linkerd", config_file=LINKERD, config={"meshfleet:mesh": mesh}, **inputs)


@pytest.fixture(scope="module")
def remote() -> Simulation:
    return remote_discovery_stack()


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
def test_credentials_for_the_service_mirror(linkerd: Simulation, source: str, target: str) -> None:
    mirror = mirror_credentials(linkerd, source, target)
    assert mirror.inputs["metadata"] == {"name": f"cluster-credentials-{target}", "namespace": "linkerd-multicluster"}
    assert_credentials(linkerd, mirror, source, target)


def assert_credentials(sim: Simulation, secret: Recorded, source: str, target: str) -> None:
    """A credentials Secret in `source` holds a kubeconfig for `target` with the target's reader token."""
    reader = sim.named(f"{target}-linkerd-reader", SECRET)
    assert secret.inputs["type"] == "mirror.linkerd.io/remote-kubeconfig"
    assert list(secret.inputs["stringData"]) == ["kubeconfig"]
    assert secret.is_secret("stringData")
    assert secret.provider == sim.named(f"{source}-k8s").urn
    assert secret.parent == sim.named(source, "meshfleet:linkerd:Cluster").urn
    # An inline token only: the service mirror takes no exec plugin.
    assert yaml.safe_load(secret.inputs["stringData"]["kubeconfig"]) == token_kubeconfig(sim, target, reader)
    assert depends_on(sim, secret, reader)


def test_gateway_mode_gives_the_destination_controllers_no_credentials_and_never_restarts_them(linkerd: Simulation) -> None:
    """Without remote discovery the destination controller reads no peer: link-gen's copy of the credentials
    in `linkerd` would only be one more Secret holding a token, and its rotation one more restart."""
    in_linkerd = [r for r in linkerd.of_type(SECRET) if r.inputs["metadata"].get("namespace") == "linkerd"]
    assert [r.inputs["metadata"]["name"] for r in in_linkerd] == ["linkerd-identity-issuer"] * len(CLUSTERS)
    assert [r.name for r in linkerd.resources if "destination" in r.name] == []
    assert linkerd.of_type(PATCH) == []


@pytest.mark.parametrize(("source", "target"), PAIRS)
def test_remote_discovery_gives_the_destination_controller_the_same_credentials(remote: Simulation, source: str, target: str) -> None:
    destination = destination_credentials(remote, source, target)
    assert destination.inputs["metadata"] == {
        "name": f"cluster-credentials-{target}",
        "namespace": "linkerd",
        "labels": {"multicluster.linkerd.io/cluster-name": target},
        "annotations": {"multicluster.linkerd.io/trust-domain": TRUST_DOMAIN, "multicluster.linkerd.io/cluster-domain": "cluster.local"},
    }
    assert_credentials(remote, destination, source, target)
    mirror = mirror_credentials(remote, source, target)
    assert destination.inputs["stringData"] == mirror.inputs["stringData"]
    assert mirror.inputs["metadata"] == {"name": f"cluster-credentials-{target}", "namespace": "linkerd-multicluster"}


@pytest.mark.parametrize(("source", "target"), PAIRS)
def test_link_points_at_the_targets_real_gateway(linkerd: Simulation, source: str, target: str) -> None:
    made = link(linkerd, source, target)
    assert made.provider == linkerd.named(f"{source}-k8s").urn
    assert made.parent == linkerd.named(source, "meshfleet:linkerd:Cluster").urn
    assert made.inputs["metadata"] == {
        "name": target,
        "namespace": "linkerd-multicluster",
        "annotations": {"linkerd.io/created-by": "linkerd/cli edge-26.8.3"},
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
    # Only the token's kubeconfig is a secret; the Link stays readable in a diff.
    assert made.secret_inputs == frozenset()


@pytest.mark.parametrize(("source", "target"), PAIRS)
def test_link_waits_for_its_crd_its_credentials_and_the_targets_gateway(remote: Simulation, source: str, target: str) -> None:
    made = link(remote, source, target)
    credentials = [mirror_credentials(remote, source, target), destination_credentials(remote, source, target)]
    assert depends_on(remote, made, release(remote, source, "linkerd-multicluster"))  # the Link CRD ships with it
    assert all(depends_on(remote, made, secret) for secret in credentials)
    assert depends_on(remote, made, remote.named(f"{target}-linkerd-gateway-service"))
    for secret in credentials:
        assert not depends_on(remote, secret, made)
        assert depends_on(remote, secret, remote.named(f"{source}-linkerd", NAMESPACE))
        assert depends_on(remote, secret, remote.named(f"{source}-linkerd-multicluster", NAMESPACE))


@pytest.mark.parametrize("source", CLUSTERS)
def test_per_pair_the_link_and_its_credentials_are_resources_of_their_own(linkerd: Simulation, remote: Simulation, source: str) -> None:
    """What link-gen prints for each peer, each object a resource the program registers under the source's
    component (a preview lists each one, and the policy pack checks each as itself)."""
    peers = [t for t in CLUSTERS if t != source]
    for sim, roles in [(linkerd, ["link-credentials", "link"]), (remote, ["link-credentials", "destination-credentials", "link"])]:
        node = sim.named(source, "meshfleet:linkerd:Cluster")
        per_pair = [r for r in sim.resources if r.parent == node.urn and r.type in (SECRET, LINK)]
        assert sorted(r.name for r in per_pair) == sorted(f"{source}-{role}-{t}" for t in peers for role in roles)
        assert {r.provider for r in per_pair} == {sim.named(f"{source}-k8s").urn}
        assert CONFIG_GROUP not in {r.type for r in sim.resources}


def destination_restart(sim: Simulation, source: str) -> Recorded:
    return sim.named(f"{source}-restart-linkerd-destination", PATCH)


@pytest.mark.parametrize("source", CLUSTERS)
def test_one_destination_restart_per_cluster_after_all_its_credentials(remote: Simulation, source: str) -> None:
    """With remote discovery: the destination controller reloads no changed Secret, so each cluster restarts it
    once per rotation, after every peer's credentials; the service mirrors need no restart: their Links carry
    the generation."""
    restart = destination_restart(remote, source)
    assert restart.inputs["metadata"] == {"name": "linkerd-destination", "namespace": "linkerd"}
    assert restart.inputs["spec"] == {"template": {"metadata": {"annotations": {"meshfleet.io/link-credentials-generation": "1"}}}}
    assert restart.provider == remote.named(f"{source}-k8s").urn
    assert depends_on(remote, restart, release(remote, source, "linkerd-control-plane"))
    for target in CLUSTERS:
        if target != source:
            assert depends_on(remote, restart, destination_credentials(remote, source, target))
    assert [r.name for r in remote.of_type(PATCH) if r.provider == restart.provider] == [restart.name]


# --- changes, as Linkerd's readers see them (tests/meshes/linkerd/mirror_model.py) --------------------


def rotated_stack(base: Simulation, remote_discovery: bool) -> Simulation:
    """The stack after bumping `readerTokenGeneration`, run against `base`'s deployment."""
    settings = {"readerTokenGeneration": 2}
    if remote_discovery:
        return remote_discovery_stack(settings=settings, previous=base.deployment())
    mesh = raw_config(LINKERD)["mesh"]
    mesh["linkerd"] = settings
    return simulate("linkerd", config_file=LINKERD, config={"meshfleet:mesh": mesh}, previous=base.deployment())


@pytest.fixture(scope="module")
def rotated(linkerd: Simulation) -> Simulation:
    return rotated_stack(linkerd, remote_discovery=False)


@pytest.fixture(scope="module")
def rotated_remote(remote: Simulation) -> Simulation:
    return rotated_stack(remote, remote_discovery=True)


def tokens(sim: Simulation) -> dict[str, str]:
    return {c: reader_token(sim.named(f"{c}-linkerd-reader", SECRET)) for c in CLUSTERS}


def holds(fleet: Fleet, current: dict[str, str], remote_discovery: bool) -> None:
    """Every service mirror reads every peer with that peer's current token, and so does every destination
    controller with remote discovery; without it, the destination controllers read no peer."""
    for source in CLUSTERS:
        peers = {target: token for target, token in current.items() if target != source}
        assert fleet.clusters[source].mirrors == peers, source
        assert fleet.clusters[source].destination == (peers if remote_discovery else {}), source


@pytest.mark.parametrize("remote_discovery", [False, True], ids=["gateway", "remote-discovery"])
def test_a_fresh_stack_mirrors_every_peer(linkerd: Simulation, remote: Simulation, remote_discovery: bool) -> None:
    sim = remote if remote_discovery else linkerd
    fleet = replay(up([], sim))
    holds(fleet, tokens(sim), remote_discovery)
    for source in CLUSTERS:
        cluster = fleet.clusters[source]
        # Each Link is created after its credentials, so each controller starts with them.
        assert sorted(cluster.reloads) == sorted(f"link {t}" for t in CLUSTERS if t != source)
        assert cluster.restarts == (["linkerd-destination"] if remote_discovery else [])


TOKEN = "linkerd-service-mirror-remote-access-default-token"


def rotation_writes(remote_discovery: bool) -> list[str]:
    """What a token rotation writes: the new tokens, every credentials Secret and Link, with remote discovery
    the destination credentials and restarts, and the old tokens' deletion."""
    writes = [
        *[f"create {c}/Secret/linkerd-multicluster/{TOKEN}-g2" for c in CLUSTERS],
        *[f"update {s}/Secret/linkerd-multicluster/cluster-credentials-{t}" for s, t in PAIRS],
        *[f"update {s}/Link/linkerd-multicluster/{t}" for s, t in PAIRS],
        *[f"delete {c}/Secret/linkerd-multicluster/{TOKEN}-g1" for c in CLUSTERS],
    ]
    if remote_discovery:
        writes += [f"update {s}/Secret/linkerd/cluster-credentials-{t}" for s, t in PAIRS]
        writes += [f"update {c}/DeploymentPatch/linkerd/linkerd-destination" for c in CLUSTERS]
    return sorted(writes)


@pytest.mark.parametrize("remote_discovery", [False, True], ids=["gateway", "remote-discovery"])
def test_rotating_the_tokens_is_one_up_the_links_reload_the_mirrors_and_the_old_tokens_go_last(
    request: pytest.FixtureRequest, remote_discovery: bool
) -> None:
    before: Simulation = request.getfixturevalue("remote" if remote_discovery else "linkerd")
    after: Simulation = request.getfixturevalue("rotated_remote" if remote_discovery else "rotated")
    steps = up(before, after)
    # The model's writes are the steps the engine plans against the last deployment (a preview lists them).
    assert [describe(s) for s in engine_up(before, after)] == [describe(s) for s in steps]
    writes = [describe(s) for s in steps]
    assert sorted(writes) == rotation_writes(remote_discovery)
    # In order: the target's new token, then the source's credentials, then the Link that makes the mirror
    # reload them, and the destination restart after all of the source's credentials; the old tokens last.
    at = {w: i for i, w in enumerate(writes)}
    namespaces = ("linkerd-multicluster", "linkerd") if remote_discovery else ("linkerd-multicluster",)
    for s, t in PAIRS:
        credentials = [at[f"update {s}/Secret/{ns}/cluster-credentials-{t}"] for ns in namespaces]
        assert at[f"create {t}/Secret/linkerd-multicluster/{TOKEN}-g2"] < min(credentials)
        assert max(credentials) < at[f"update {s}/Link/linkerd-multicluster/{t}"]
        if remote_discovery:
            assert max(credentials) < at[f"update {s}/DeploymentPatch/linkerd/linkerd-destination"]
    assert [kind for kind, _ in steps][-len(CLUSTERS) :] == ["delete"] * len(CLUSTERS)
    # A Link changes only in the generation it names: the spec change the service mirror reloads on.
    for s, t in PAIRS:
        old, new = link(before, s, t).inputs["spec"], link(after, s, t).inputs["spec"]
        assert {k: v for k, v in old.items() if old[k] != new[k]} == {"excludedAnnotations": ["meshfleet.io/link-credentials-generation-1"]}
        assert new["excludedAnnotations"] == ["meshfleet.io/link-credentials-generation-2"]

    fleet = replay(up([], before))
    fleet.forget_history()
    fleet.apply(steps)
    holds(fleet, tokens(after), remote_discovery)
    assert fleet.broken == []  # no reader held a token when it was revoked
    for source in CLUSTERS:
        cluster = fleet.clusters[source]
        assert sorted(cluster.reloads) == sorted(f"link {t}" for t in CLUSTERS if t != source), source
        assert cluster.restarts == (["linkerd-destination"] if remote_discovery else []), source
        assert cluster.dropped == [], source  # no peer left the destination controller's store


def test_a_preview_of_the_rotation_lists_every_write_of_the_up(linkerd: Simulation, rotated: Simulation) -> None:
    """Against the last deployment, a preview plans the steps `pulumi up` takes: none of the per-pair objects is
    missing from it (the group layout left them all out while a new token was unknown)."""
    mesh = raw_config(LINKERD)["mesh"]
    mesh["linkerd"] = {"readerTokenGeneration": 2}
    preview = simulate("linkerd", config_file=LINKERD, config={"meshfleet:mesh": mesh}, preview=True, previous=linkerd.deployment())
    per_pair = [r for r in linkerd.resources if r.type in (SECRET, LINK) and not r.read]
    assert {r.urn: preview.steps()[r.urn] for r in per_pair} == {r.urn: rotated.steps()[r.urn] for r in per_pair}
    assert preview.deletes == rotated.deletes == []


def test_a_preview_that_adds_a_cluster_lists_its_links_and_keeps_the_others() -> None:
    """gke-usc1 is new: its gateway address and token are unknown, yet the preview lists every Link and
    credentials Secret to and from it as a create, keeps the Links and credentials linked before, and deletes nothing."""
    mesh = {**raw_config(LINKERD)["mesh"], "linkerd": {"remoteDiscovery": True}}
    two = raw_config(LINKERD)["clusters"][:2]
    before = simulate("linkerd", config_file=LINKERD, config={"meshfleet:clusters": two, "meshfleet:mesh": mesh})
    sim = simulate("linkerd", config_file=LINKERD, config={"meshfleet:mesh": mesh}, preview=True, previous=before.deployment())
    steps = sim.steps()
    for source, target in PAIRS:
        credentials = [mirror_credentials(sim, source, target), destination_credentials(sim, source, target)]
        made = link(sim, source, target)
        if "gke-usc1" in (source, target):
            assert [steps[r.urn] for r in [*credentials, made]] == ["create"] * 3, (source, target)
            continue
        # The target's gateway release changes (its source ranges gain gke-usc1), but the preview takes its
        # address from the last deployment's outputs, as `pulumi up` reads it: the Link is kept.
        assert [steps[r.urn] for r in [*credentials, made]] == ["same", "same", "same"], (source, target)
    assert link(sim, "eks-use1", "gke-usc1").inputs["spec"]["gatewayAddress"] == "04da6b54-80e4-46f7-96ec-b56ff0331ba9"
    assert [steps[destination_restart(sim, c).urn] for c in CLUSTERS] == ["same", "same", "create"]
    assert sim.deletes == []


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


def test_turning_remote_discovery_off_drops_the_destination_credentials_and_gives_the_restart_up(remote: Simulation) -> None:
    """The destination controllers' copies are deleted (their cluster store drops each peer) and the patch with
    them, which gives up its annotation: one last restart; the service mirrors keep reading every peer."""
    off = simulate("linkerd", config_file=LINKERD, previous=remote.deployment())
    writes = [describe(s) for s in engine_up(remote, off)]
    assert sorted(writes) == sorted(
        [f"delete {s}/Secret/linkerd/cluster-credentials-{t}" for s, t in PAIRS]
        + [f"delete {c}/DeploymentPatch/linkerd/linkerd-destination" for c in CLUSTERS]
    )
    fleet = replay(up([], remote))
    fleet.forget_history()
    fleet.apply(engine_up(remote, off))
    holds(fleet, tokens(off), remote_discovery=False)
    for source in CLUSTERS:
        assert fleet.clusters[source].reloads == [], source
        assert sorted(fleet.clusters[source].dropped) == sorted(t for t in CLUSTERS if t != source), source
        assert fleet.clusters[source].restarts == ["linkerd-destination"], source  # the patch's annotation goes


def test_a_single_cluster_fleet_has_no_links() -> None:
    clusters = raw_config(LINKERD)["clusters"][2:]
    for settings in ({}, {"remoteDiscovery": True}):
        mesh = {**raw_config(LINKERD)["mesh"], "linkerd": settings}
        sim = simulate("linkerd", config_file=LINKERD, config={"meshfleet:clusters": clusters, "meshfleet:mesh": mesh})
        assert [r for r in sim.resources if r.type in (LINK, PATCH) or "credentials" in r.name or r.name.endswith("-linkerd-reader")] == []
        assert release(sim, "gke-usc1", "linkerd-multicluster").inputs["values"]["controllers"] == []


def gateway_read(resource: Recorded) -> bool:
    return resource.read and resource.type == "kubernetes:core/v1:Service"


def test_first_preview_of_a_new_stack_lists_every_object_with_what_is_unknown(linkerd: Simulation) -> None:
    """Before the clusters exist, gateway addresses, tokens and certificates are unknown. The preview still
    lists every resource `pulumi up` makes, each Link and credentials Secret with its unknown values; only the
    reads of the gateway Services are `up`'s alone (a preview takes the addresses the last deployment published)."""
    sim = simulated("linkerd", config_file=LINKERD, preview=True)
    assert sorted((r.type, r.name) for r in sim.resources) == sorted((r.type, r.name) for r in linkerd.resources if not gateway_read(r))
    assert set(sim.steps().values()) <= {"create", "read"}
    unknown = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"
    assert sim.exports["clusters"]["eks-use1"]["eastWestGatewayAddress"] == unknown
    made = link(sim, "gke-usc1", "eks-use1")
    assert made.inputs["spec"]["gatewayAddress"] == unknown
    assert made.inputs["spec"]["gatewayPort"] == "4143"
    credentials = mirror_credentials(sim, "gke-usc1", "eks-use1")
    assert credentials.inputs["stringData"] == unknown and credentials.is_secret("stringData")


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


DUAL_STACK = [{"ip": "34.118.0.7"}, {"ip": "2600:1900:4000::7"}]
"""A dual-stack load balancer's `status.loadBalancer.ingress`: one entry per IP family."""


@pytest.fixture(scope="module")
def dual_stack() -> Simulation:
    return simulate("linkerd", config_file=LINKERD, load_balancers={"gke-usc1": DUAL_STACK})


def test_a_link_names_every_address_of_a_dual_stack_gateway_as_link_gen_does(dual_stack: Simulation) -> None:
    """link-gen joins every ingress entry with commas (multicluster/cmd/link-gen.go:277-292 at edge-26.8.3), and
    the service mirror splits the list into the gateway's endpoints (service-mirror/cluster_watcher.go:1538-1541)."""
    for source in ("eks-use1", "eks-euc1"):
        spec = link(dual_stack, source, "gke-usc1").inputs["spec"]
        assert spec["gatewayAddress"] == "34.118.0.7,2600:1900:4000::7"
        # The mirror's gateway endpoints: both families (the first entry alone gave one).
        assert gateway_endpoints(spec) == ["2600:1900:4000::7", "34.118.0.7"]
        assert gateway_endpoints({"gatewayAddress": "34.118.0.7"}) == ["34.118.0.7"]
    # The contract publishes one address, the first; the deployment records all of them for the next preview.
    assert dual_stack.exports["clusters"]["gke-usc1"]["eastWestGatewayAddress"] == "34.118.0.7"
    assert dual_stack.exports["linkerdGatewayAddresses"]["gke-usc1"] == ["34.118.0.7", "2600:1900:4000::7"]
    single = dual_stack.exports["linkerdGatewayAddresses"]["eks-use1"]
    assert link(dual_stack, "gke-usc1", "eks-use1").inputs["spec"]["gatewayAddress"] == single[0] and len(single) == 1


def test_a_preview_keeps_the_links_to_a_dual_stack_gateway(dual_stack: Simulation) -> None:
    again = simulate(
        "linkerd", config_file=LINKERD, preview=True, previous=dual_stack.deployment(), load_balancers={"gke-usc1": DUAL_STACK}
    )
    assert {urn: step for urn, step in again.steps().items() if step not in ("same", "read")} == {}
    # From a deployment made before the addresses were recorded, its Links named the first address only: kept too.
    before = replace(dual_stack.deployment(), exports={k: v for k, v in dual_stack.exports.items() if k != "linkerdGatewayAddresses"})
    single = simulate("linkerd", config_file=LINKERD, preview=True, previous=before)
    assert link(single, "eks-use1", "gke-usc1").inputs["spec"]["gatewayAddress"] == "34.118.0.7"
