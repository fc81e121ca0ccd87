"""Revisioned control planes and canary upgrades: a config change plus `pulumi up`."""

from __future__ import annotations

from typing import Any

from components.simulation import Simulation, simulate
from tests.meshes.istio.helpers import RELEASE, depends_on, release
from tests.support import prod_raw


def with_revisions(revisions: list[dict[str, Any]], version: str = "1.30.5") -> Simulation:
    mesh = prod_raw()["mesh"]
    mesh["version"] = version
    mesh["istio"] = {"revisions": revisions}
    return simulate("prod", config={"meshfleet:mesh": mesh})


def test_single_revision_holds_the_default_tag(prod: Simulation) -> None:
    istiod = release(prod, "eks-use1", "istiod-1-30-5")
    assert istiod.inputs["name"] == "istiod-1-30-5"
    assert (istiod.inputs["values"]["revision"], istiod.inputs["values"]["revisionTags"]) == ("1-30-5", ["default"])
    assert release(prod, "eks-use1", "istio-base").inputs["values"]["defaultRevision"] == "1-30-5"
    assert prod.exports["mesh"]["injectionLabel"] == {"istio-injection": "enabled"}


def test_canary_installs_a_second_revision_beside_the_first() -> None:
    sim = with_revisions([{"name": "1-30-5", "tags": ["default"]}, {"name": "1-30-6", "version": "1.30.6"}])
    stable, canary = release(sim, "gke-euw1", "istiod-1-30-5"), release(sim, "gke-euw1", "istiod-1-30-6")
    assert (stable.inputs["version"], canary.inputs["version"]) == ("1.30.5", "1.30.6")
    assert canary.inputs["values"]["revision"] == "1-30-6" and canary.inputs["values"]["revisionTags"] == []
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
    assert old.inputs["values"]["revisionTags"] == [] and new.inputs["values"]["revisionTags"] == ["default"]
    # The revision gaining the tag waits for the one giving it up: both render istio-revision-tag-default.
    assert depends_on(sim, new, old) and not depends_on(sim, old, new)
    assert release(sim, "eks-use1", "istio-base").inputs["values"]["defaultRevision"] == "1-30-6"
    gateway = release(sim, "eks-use1", "istio-eastwestgateway")
    assert gateway.inputs["values"]["revision"] == "1-30-6"
    assert depends_on(sim, gateway, new) and depends_on(sim, gateway, old)
    assert sim.exports["mesh"]["defaultRevision"] == "1-30-6"


def test_rolling_back_reverses_the_order() -> None:
    sim = with_revisions([{"name": "1-30-5", "tags": ["default"]}, {"name": "1-30-6", "version": "1.30.6"}])
    old, new = release(sim, "eks-use1", "istiod-1-30-5"), release(sim, "eks-use1", "istiod-1-30-6")
    assert depends_on(sim, old, new) and not depends_on(sim, new, old)


def test_namespaces_without_the_default_tag_use_the_revision_label() -> None:
    sim = with_revisions([{"name": "1-30-5", "tags": ["prod-stable"]}])
    assert sim.exports["mesh"]["injectionLabel"] == {"istio.io/rev": "1-30-5"}


def test_removing_the_old_revision_leaves_only_the_new_one() -> None:
    sim = with_revisions([{"name": "1-30-6", "version": "1.30.6", "tags": ["default"]}], version="1.30.6")
    assert sorted(r.inputs["name"] for r in sim.of_type(RELEASE) if r.name.startswith("eks-use1-")) == [
        "istio-base",
        "istio-eastwestgateway",
        "istiod-1-30-6",
    ]
