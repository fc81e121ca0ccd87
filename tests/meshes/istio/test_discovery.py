"""Endpoint discovery without istioctl (components/meshes/istio/discovery.py, components/k8s/reader_credentials.py).

The changes of a stack (token rotation, a cluster joining or leaving, the move from one remote secret
per pair to one per primary) are checked the way they would reach istiod: the resources of the stack
before and after (simulated runs of the program), turned into the Kubernetes writes `pulumi up` makes
in its order (creates and updates in dependency order, deletes last), replayed against a model of
istiod's secret controller (tests/meshes/istio/istiod_model.py).
"""

from __future__ import annotations

from typing import Any

import pytest
import yaml

from components.simulation import Recorded, Simulation, simulate
from tests.meshes.helpers import reader_token, token_kubeconfig
from tests.meshes.istio.helpers import SECRET, depends_on, release
from tests.meshes.istio.istiod_model import KubeObject, SecretController, replay, up
from tests.support import prod_problems, prod_raw

PROD = ("eks-use1", "eks-usw2", "gke-euw1")


def remote_secrets(sim: Simulation, holder: str) -> list[Recorded]:
    return [
        r
        for r in sim.of_type(SECRET)
        if r.inputs["metadata"].get("labels", {}).get("istio/multiCluster") == "true" and r.name.startswith(f"{holder}-")
    ]


def kubeconfig_of(sim: Simulation, holder: str, observed: str) -> dict[str, Any]:
    return yaml.safe_load(sim.named(f"{holder}-remote-secrets", SECRET).inputs["stringData"][observed])


def with_istio(**changes: object) -> Simulation:
    mesh = prod_raw()["mesh"]
    mesh["istio"] = {**mesh["istio"], **changes}
    return simulate("prod", config={"meshfleet:mesh": mesh})


def without_cluster(name: str) -> Simulation:
    raw = prod_raw()
    raw["mesh"].pop("locality")  # its failover order names the removed cluster's region
    clusters = [c for c in raw["clusters"] if c["name"] != name]
    return simulate("prod", config={"meshfleet:clusters": clusters, "meshfleet:mesh": raw["mesh"]})


@pytest.fixture(scope="module")
def rotated() -> Simulation:
    return with_istio(readerTokenGeneration=2)


@pytest.fixture(scope="module")
def two_clusters() -> Simulation:
    return without_cluster("eks-usw2")


@pytest.fixture(scope="module")
def migrating() -> Simulation:
    return with_istio(migrateRemoteSecrets=True)


# --- layout ---------------------------------------------------------------------------------------


def test_every_primary_holds_one_remote_secret_with_a_key_per_other_cluster(prod: Simulation) -> None:
    for holder in PROD:
        (secret,) = remote_secrets(prod, holder)
        assert secret.name == f"{holder}-remote-secrets"
        assert sorted(secret.inputs["stringData"]) == sorted(c for c in PROD if c != holder), secret.urn


def test_remote_secrets_grow_with_the_number_of_primaries_not_pairs(prod: Simulation) -> None:
    labelled = [r for r in prod.of_type(SECRET) if r.inputs["metadata"].get("labels", {}).get("istio/multiCluster") == "true"]
    assert sorted(r.name for r in labelled) == [f"{c}-remote-secrets" for c in sorted(PROD)]


@pytest.mark.parametrize(("holder", "observed"), [("eks-use1", "gke-euw1"), ("gke-euw1", "eks-usw2")])
def test_remote_secret_has_the_format_istiod_expects(prod: Simulation, holder: str, observed: str) -> None:
    secret = prod.named(f"{holder}-remote-secrets", SECRET)
    assert secret.inputs["metadata"] == {
        "name": "istio-remote-secrets",
        "namespace": "istio-system",
        "labels": {"istio/multiCluster": "true"},
    }
    assert secret.inputs["type"] == "Opaque"
    assert secret.is_secret("stringData")
    # the data key is the cluster name, istiod's cluster ID; an inline token only: istiod refuses exec plugins
    assert kubeconfig_of(prod, holder, observed) == token_kubeconfig(prod, observed, prod.named(f"{observed}-istio-reader", SECRET))


def test_reader_token_comes_from_a_secret_the_program_owns(prod: Simulation) -> None:
    token = prod.named("gke-euw1-istio-reader", SECRET)
    assert token.inputs["type"] == "kubernetes.io/service-account-token"
    assert token.inputs["metadata"] == {
        "name": "istio-reader-service-account-token-g1",
        "namespace": "istio-system",
        "annotations": {
            "kubernetes.io/service-account.name": "istio-reader-service-account",
            "pulumi.com/waitFor": "jsonpath={.data.token}",
        },
    }
    assert depends_on(prod, token, release(prod, "gke-euw1", "istio-base"))  # the account comes from base
    assert depends_on(prod, token, release(prod, "gke-euw1", "istiod-1-30-5"))  # its RBAC from istiod


def test_remote_secret_waits_for_every_control_plane_it_names(prod: Simulation) -> None:
    secret = prod.named("eks-use1-remote-secrets", SECRET)
    for cluster in PROD:
        assert depends_on(prod, secret, release(prod, cluster, "istiod-1-30-5")), cluster
    assert secret.provider == prod.named("eks-use1-k8s").urn


def test_primary_remote_discovery_lives_in_the_primary(primary_remote: Simulation) -> None:
    (secret,) = remote_secrets(primary_remote, "gke-usc1")
    assert sorted(secret.inputs["stringData"]) == ["eks-use1", "gke-euw4"]
    assert remote_secrets(primary_remote, "eks-use1") == []
    assert remote_secrets(primary_remote, "gke-euw4") == []
    readers = sorted(r.name for r in primary_remote.of_type(SECRET) if r.name.endswith("-istio-reader"))
    assert readers == ["eks-use1-istio-reader", "gke-euw4-istio-reader"]  # the lone primary is read by nobody


def test_adopted_clusters_are_reached_at_their_configured_api_server(dev: Simulation) -> None:
    kubeconfig = kubeconfig_of(dev, "kind-west", "kind-east")
    assert kubeconfig["clusters"][0]["cluster"]["server"] == "https://mesh-east-control-plane:6443"


def test_fails_migrate_remote_secrets_that_is_not_a_boolean() -> None:
    def mutate(raw: dict[str, Any]) -> None:
        raw["mesh"]["istio"]["migrateRemoteSecrets"] = "yes"

    assert prod_problems(mutate) == ["meshfleet:mesh.istio.migrateRemoteSecrets: expected true or false, got 'yes'"]


# --- changes, as istiod sees them -------------------------------------------------------------------


def discovered(controllers: dict[str, SecretController]) -> dict[str, set[str]]:
    return {holder: c.registered() for holder, c in controllers.items()}


def everyone_else(clusters: tuple[str, ...]) -> dict[str, set[str]]:
    return {holder: set(clusters) - {holder} for holder in clusters}


def test_a_fresh_stack_discovers_every_peer(prod: Simulation) -> None:
    controllers = replay([], up([], prod))
    assert discovered(controllers) == everyone_else(PROD)


def test_rotating_the_reader_token_swaps_each_client_without_dropping_a_peer(prod: Simulation, rotated: Simulation) -> None:
    token = rotated.named("eks-usw2-istio-reader", SECRET)
    assert token.inputs["metadata"]["name"] == "istio-reader-service-account-token-g2"
    assert kubeconfig_of(rotated, "gke-euw1", "eks-usw2")["users"][0]["user"]["token"] == reader_token(token)
    steps = up(prod, rotated)
    assert {s.describe() for s in steps if s.object.name == "istio-remote-secrets"} == {f"update {h}/istio-remote-secrets" for h in PROD}
    # the old tokens go last, after every remote secret carries the new ones
    assert sorted(s.describe() for s in steps if s.kind == "delete") == [f"delete {c}/istio-reader-service-account-token-g1" for c in PROD]
    controllers = replay(up([], prod), steps)
    assert discovered(controllers) == everyone_else(PROD)
    for holder, controller in controllers.items():
        assert controller.dropped == [], holder  # never unregistered, only swapped
        assert sorted(controller.swapped) == sorted(set(PROD) - {holder}), holder


def test_removing_a_cluster_drops_only_that_cluster(prod: Simulation, two_clusters: Simulation) -> None:
    assert sorted(kubeconfig_of(two_clusters, "eks-use1", "gke-euw1")) == sorted(kubeconfig_of(prod, "eks-use1", "gke-euw1"))
    steps = up(prod, two_clusters)
    controllers = replay(up([], prod), steps)
    assert discovered(controllers) == {"eks-use1": {"gke-euw1"}, "gke-euw1": {"eks-use1"}, "eks-usw2": set()}
    assert controllers["eks-use1"].dropped == ["eks-usw2"]
    assert controllers["gke-euw1"].dropped == ["eks-usw2"]
    assert controllers["eks-use1"].swapped == []  # the other peer's key is unchanged: istiod skips it


def test_adding_a_cluster_adds_it_everywhere_in_one_up(prod: Simulation, two_clusters: Simulation) -> None:
    controllers = replay(up([], two_clusters), up(two_clusters, prod))
    assert discovered(controllers) == everyone_else(PROD)
    assert controllers["eks-use1"].dropped == [] and controllers["gke-euw1"].dropped == []


# --- migration from one remote secret per pair --------------------------------------------------------


def legacy_stack(sim: Simulation) -> list[KubeObject]:
    """What an older release left in the stack: the same resources, but in every primary one Secret per
    peer, `<holder>-remote-secret-<peer>` (same parent, so the URN differs only in the name) holding
    `istio-remote-secret-<peer>` with that one key and istioctl's cluster annotation."""
    objects = [o for o in KubeObject.of(sim) if o.name != "istio-remote-secrets"]
    for holder in PROD:
        new = sim.named(f"{holder}-remote-secrets", SECRET)
        for peer, kubeconfig in new.inputs["stringData"].items():
            objects.append(
                KubeObject(
                    urn=new.urn.replace(f"::{holder}-remote-secrets", f"::{holder}-remote-secret-{peer}"),
                    cluster=holder,
                    name=f"istio-remote-secret-{peer}",
                    labels={"istio/multiCluster": "true"},
                    data={peer: kubeconfig},
                    dependencies=frozenset(new.all_dependencies),
                )
            )
    return objects


def test_migration_retires_the_per_pair_secrets_at_their_old_urns_first(prod: Simulation, migrating: Simulation) -> None:
    legacy = {o.urn: o for o in legacy_stack(prod) if o.name.startswith("istio-remote-secret-")}
    retired = {r.urn: r for r in migrating.of_type(SECRET) if r.inputs["metadata"]["name"].startswith("istio-remote-secret-")}
    assert set(retired) == set(legacy)  # same URNs: updated in place, never created anew or deleted early
    for urn, resource in retired.items():
        assert resource.inputs["metadata"] == {"name": legacy[urn].name, "namespace": "istio-system"}, urn  # unlabelled
        assert "stringData" not in resource.inputs, urn
        holder = legacy[urn].cluster
        assert depends_on(migrating, migrating.named(f"{holder}-remote-secrets", SECRET), resource), urn


def test_migration_keeps_every_peer_in_one_up(prod: Simulation, migrating: Simulation) -> None:
    old = legacy_stack(prod)
    steps = up(old, migrating)
    assert not [s for s in steps if s.kind == "delete" and s.object.name.startswith("istio-remote-secret-")]
    controllers = replay(up([], old), steps)
    assert discovered(controllers) == everyone_else(PROD)
    for holder, controller in controllers.items():
        # each peer leaves the per-pair secret and joins the per-primary one in the same up: one re-sync
        assert sorted(controller.dropped) == sorted(set(PROD) - {holder}), holder
        assert controller.ignored == [], holder
    # the next up, without the setting, deletes the retired secrets, which istiod no longer watches
    settled = replay(up([], old), steps, up(KubeObject.of(migrating), prod))
    assert discovered(settled) == everyone_else(PROD)
    assert all(c.dropped == controllers[h].dropped for h, c in settled.items())


def test_migration_without_retiring_first_would_lose_every_peer(prod: Simulation) -> None:
    """Why the setting exists: the per-primary secret arrives while the per-pair ones still register
    each peer, so istiod ignores its keys; then the per-pair ones are deleted."""
    old = legacy_stack(prod)
    controllers = replay(up([], old), up(old, prod))
    assert discovered(controllers) == {holder: set() for holder in PROD}
    assert sorted(controllers["eks-use1"].ignored) == ["eks-usw2", "gke-euw1"]
