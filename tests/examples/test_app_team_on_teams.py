"""examples/app-team on a fleet that declares the team (meshfleet:teams): the platform made the namespace,
so the shop does not make it too (two stacks must not own one object)."""

from __future__ import annotations

from components.simulation import Simulation
from tests.examples.test_app_team import CLUSTERS, run_app
from tests.test_teams import SHOP, prod_with_teams


def test_the_shop_uses_the_namespace_the_platform_made_for_its_team() -> None:
    fleet = prod_with_teams(SHOP)
    assert all(fleet.exports["teams"]["shop"]["namespaces"][c] == ["shop", "shop-jobs"] for c in CLUSTERS)
    app: Simulation = run_app(fleet.exports)
    assert app.of_type("kubernetes:core/v1:Namespace") == []
    for cluster in CLUSTERS:
        deployment = app.named(f"{cluster}-v1", "kubernetes:apps/v1:Deployment")
        assert deployment.inputs["metadata"]["namespace"] == "shop"


def test_the_shop_makes_its_namespace_where_the_fleet_declares_no_team(prod: Simulation) -> None:
    assert prod.exports["teams"] == {}
    app = run_app(prod.exports)
    assert sorted(r.name for r in app.of_type("kubernetes:core/v1:Namespace")) == sorted(f"{c}-namespace" for c in CLUSTERS)
