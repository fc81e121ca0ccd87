"""Revisioned control planes and canary upgrades: a config change plus `pulumi up`."""

from __future__ import annotations

from typing import Any

import pytest

from components.simulation import Recorded, Simulation
from tests.meshes.istio.helpers import RELEASE, depends_on, release
from tests.support import prod_raw, simulated

MWC = "kubernetes:admissionregistration.k8s.io/v1:MutatingWebhookConfiguration"
TAG_SERVICE = "kubernetes:core/v1:Service"


def tag_webhook(sim: Simulation, cluster: str, tag: str) -> Recorded:
    return sim.named(f"{cluster}-revision-tag-{tag}-webhook", MWC)


def tag_targets(sim: Simulation, cluster: str) -> dict[str, str]:
    """Each tag's webhook configuration in `cluster`, and the istiod Service its webhooks call."""
    targets = {}
    for webhook in sim.of_type(MWC):
        if webhook.name.startswith(f"{cluster}-revision-tag-"):
            services = {w["clientConfig"]["service"]["name"] for w in webhook.inputs["webhooks"]}
            [service] = services
            targets[webhook.inputs["metadata"]["labels"]["istio.io/tag"]] = service
    return targets


def with_revisions(revisions: list[dict[str, Any]], version: str = "1.30.5") -> Simulation:
    mesh = prod_raw()["mesh"]
    mesh["version"] = version
    mesh["istio"] = {"revisions": revisions}
    return simulated("prod", config={"meshfleet:mesh": mesh})  # tag moves share their before and after runs


def test_single_revision_holds_the_default_tag(prod: Simulation) -> None:
    istiod = release(prod, "eks-use1", "istiod-1-30-5")
    assert istiod.inputs["name"] == "istiod-1-30-5"
    assert istiod.inputs["values"]["revision"] == "1-30-5"
    assert "revisionTags" not in istiod.inputs["values"], "tags are their own objects, not the release's"
    assert release(prod, "eks-use1", "istio-base").inputs["values"]["defaultRevision"] == "1-30-5"
    assert prod.exports["mesh"]["injectionLabel"] == {"istio-injection": "enabled"}


def test_canary_installs_a_second_revision_beside_the_first() -> None:
    sim = with_revisions([{"name": "1-30-5", "tags": ["default"]}, {"name": "1-30-6", "version": "1.30.6"}])
    stable, canary = release(sim, "gke-euw1", "istiod-1-30-5"), release(sim, "gke-euw1", "istiod-1-30-6")
    assert (stable.inputs["version"], canary.inputs["version"]) == ("1.30.5", "1.30.6")
    assert canary.inputs["values"]["revision"] == "1-30-6"
    assert tag_targets(sim, "gke-euw1") == {"default": "istiod-1-30-5"}
    # base (CRDs) and the gateways run the newest chart; the older istiod reads the newer CRDs.
    for chart in ("istio-base", "istio-eastwestgateway"):
        assert release(sim, "gke-euw1", chart).inputs["version"] == "1.30.6", chart
    # The default tag, the validator and the gateway stay on the stable revision.
    assert release(sim, "gke-euw1", "istio-base").inputs["values"]["defaultRevision"] == "1-30-5"
    assert release(sim, "gke-euw1", "istio-eastwestgateway").inputs["values"]["revision"] == "1-30-5"
    # Both revisions share the plug-in CA and wait for it.
    ca = sim.named("gke-euw1-cacerts", "kubernetes:core/v1:Secret")
    assert depends_on(sim, canary, ca) and depends_on(sim, stable, ca)
    assert sim.exports["mesh"]["revisions"] == {
        "1-30-5": {"version": "1.30.5", "tags": ["default"]},
        "1-30-6": {"version": "1.30.6", "tags": []},
    }


def test_moving_the_default_tag_moves_validation_gateways_and_injection() -> None:
    sim = with_revisions([{"name": "1-30-5"}, {"name": "1-30-6", "version": "1.30.6", "tags": ["default"]}], version="1.30.6")
    old, new = release(sim, "eks-use1", "istiod-1-30-5"), release(sim, "eks-use1", "istiod-1-30-6")
    assert tag_targets(sim, "eks-use1") == {"default": "istiod-1-30-6"}
    # The tag's objects wait for every revision: the one they point at must serve them.
    webhook = tag_webhook(sim, "eks-use1", "default")
    assert depends_on(sim, webhook, new) and depends_on(sim, webhook, old)
    assert release(sim, "eks-use1", "istio-base").inputs["values"]["defaultRevision"] == "1-30-6"
    gateway = release(sim, "eks-use1", "istio-eastwestgateway")
    assert gateway.inputs["values"]["revision"] == "1-30-6"
    assert depends_on(sim, gateway, new) and depends_on(sim, gateway, old)
    assert sim.exports["mesh"]["defaultRevision"] == "1-30-6"


def test_namespaces_without_the_default_tag_use_the_revision_label() -> None:
    sim = with_revisions([{"name": "1-30-5", "tags": ["prod-stable"]}, {"name": "1-30-6", "version": "1.30.6"}])
    assert sim.exports["mesh"]["injectionLabel"] == {"istio.io/rev": "1-30-5"}
    # No revision holds `default`: the contract says so instead of naming one.
    assert sim.exports["mesh"]["defaultRevision"] is None


def test_removing_the_old_revision_leaves_only_the_new_one() -> None:
    sim = with_revisions([{"name": "1-30-6", "version": "1.30.6", "tags": ["default"]}], version="1.30.6")
    assert sorted(r.inputs["name"] for r in sim.of_type(RELEASE) if r.name.startswith("eks-use1-")) == [
        "istio-base",
        "istio-eastwestgateway",
        "istiod-1-30-6",
    ]


def test_a_tag_is_one_webhook_configuration_and_one_service_named_by_the_tag(prod: Simulation) -> None:
    """As `istioctl tag set` renders them (istiod chart templates/revision-tags-mwc.yaml, -svc.yaml)."""
    webhook = tag_webhook(prod, "gke-euw1", "default")
    assert webhook.inputs["metadata"] == {
        "name": "istio-revision-tag-default",
        "labels": {"istio.io/tag": "default", "istio.io/rev": "1-30-5", "app": "sidecar-injector"},
    }
    assert [w["name"] for w in webhook.inputs["webhooks"]] == [
        "rev.namespace.sidecar-injector.istio.io",
        "rev.object.sidecar-injector.istio.io",
        "namespace.sidecar-injector.istio.io",
        "object.sidecar-injector.istio.io",
    ]
    first = webhook.inputs["webhooks"][0]
    assert first["clientConfig"] == {"service": {"name": "istiod-1-30-5", "namespace": "istio-system", "path": "/inject", "port": 443}}
    assert first["namespaceSelector"] == {
        "matchExpressions": [
            {"key": "istio.io/rev", "operator": "In", "values": ["default"]},
            {"key": "istio-injection", "operator": "DoesNotExist"},
        ]
    }
    assert all("caBundle" not in w["clientConfig"] for w in webhook.inputs["webhooks"]), "istiod patches the caBundle"
    service = prod.named("gke-euw1-revision-tag-default-service", TAG_SERVICE)
    assert service.inputs["metadata"]["name"] == "istiod-revision-tag-default"
    assert service.inputs["spec"]["selector"] == {"app": "istiod", "istio.io/rev": "1-30-5"}
    assert service.parent == webhook.parent


def test_a_remote_tag_calls_istiod_at_the_remote_injection_path(primary_remote: Simulation) -> None:
    webhook = tag_webhook(primary_remote, "eks-use1", "default")
    paths = {w["clientConfig"]["service"]["path"] for w in webhook.inputs["webhooks"]}
    assert paths == {"/inject/cluster/eks-use1/net/net-use1"}


A: dict[str, Any] = {"name": "1-30-5"}
B: dict[str, Any] = {"name": "1-30-6", "version": "1.30.6"}
Revisions = list[dict[str, Any]]
MOVES: dict[str, tuple[Revisions, Revisions]] = {
    # The review's case: both revisions keep a tag while `default` moves.
    "move-default-both-keep-tags": ([{**A, "tags": ["default", "prod"]}, B], [{**A, "tags": ["prod"]}, {**B, "tags": ["default"]}]),
    "swap": ([{**A, "tags": ["default"]}, {**B, "tags": ["prod"]}], [{**A, "tags": ["prod"]}, {**B, "tags": ["default"]}]),
    "move-both-tags": ([{**A, "tags": ["default", "prod"]}, B], [A, {**B, "tags": ["default", "prod"]}]),
}


@pytest.mark.parametrize("direction", ["forward", "rollback"])
@pytest.mark.parametrize("move", sorted(MOVES))
def test_moving_tags_updates_only_the_tags_objects(move: str, direction: str) -> None:
    """Helm's ownership check fails when two releases are upgraded at once and one claims a tag object
    the other still owns; with the tags outside the releases no istiod release changes at all."""
    before, after = MOVES[move] if direction == "forward" else MOVES[move][::-1]
    old, new = with_revisions(before, "1.30.6"), with_revisions(after, "1.30.6")
    for revision in ("1-30-5", "1-30-6"):
        assert release(new, "eks-use1", f"istiod-{revision}").inputs == release(old, "eks-use1", f"istiod-{revision}").inputs
    expected = {tag: f"istiod-{r['name']}" for r in after for tag in r.get("tags", [])}
    assert tag_targets(new, "eks-use1") == expected
    # Same logical names before and after: each tag's objects are updated in place, never replaced.
    assert set(tag_targets(old, "eks-use1")) == set(expected)
