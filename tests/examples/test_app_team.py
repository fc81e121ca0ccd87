"""examples/app-team: an app team's program on the fleet, run against a mocked stack reference built
from the real outputs of the fleet's stacks."""

from __future__ import annotations

import copy
import runpy
import sys
from typing import Any

import pytest
import yaml

from components.contract import ContractError
from components.simulation import PROJECT_DIR, ProgramFailed, Simulation, run_program, stack_config

APP = PROJECT_DIR / "examples" / "app-team"
FLEET = "acme/meshfleet/prod"


def run_app(fleet_outputs: dict[str, Any], **config: Any) -> Simulation:
    values = stack_config(APP / "Pulumi.prod.yaml")
    values.update({f"shop:{key}": value for key, value in config.items()})
    if str(APP) not in sys.path:
        sys.path.insert(0, str(APP))
    return run_program(
        lambda: runpy.run_path(str(APP / "__main__.py"), run_name="__main__"),
        stack="prod",
        project="shop",
        config=values,
        stack_outputs={FLEET: fleet_outputs},
    )


@pytest.fixture(scope="module")
def app(prod: Simulation) -> Simulation:
    return run_app(prod.exports, awsRoleArn="arn:aws:iam::123456789012:role/shop")


CLUSTERS = ("eks-use1", "eks-usw2", "gke-euw1")


def test_every_cluster_gets_a_provider_with_the_app_teams_identity(app: Simulation) -> None:
    providers = {r.name: yaml.safe_load(r.inputs["kubeconfig"]) for r in app.of_type("pulumi:providers:kubernetes")}
    assert sorted(providers) == list(CLUSTERS)
    assert providers["eks-use1"]["users"][0]["user"]["exec"]["args"][-2:] == ["--role-arn", "arn:aws:iam::123456789012:role/shop"]
    assert providers["gke-euw1"]["users"][0]["user"]["exec"]["command"] == "gke-gcloud-auth-plugin"
    for resource in app.kubernetes():
        if resource.custom:
            cluster = next(c for c in CLUSTERS if resource.name.startswith(f"{c}-"))
            assert resource.provider.endswith(f"::{cluster}"), resource.urn


def test_namespace_joins_the_mesh_with_the_fleets_label(app: Simulation) -> None:
    for cluster in CLUSTERS:
        namespace = app.named(f"{cluster}-namespace")
        assert namespace.inputs["metadata"] == {"name": "shop", "labels": {"istio-injection": "enabled"}}


def test_stable_and_canary_versions_run_in_every_cluster(app: Simulation) -> None:
    for cluster in CLUSTERS:
        for version, image in (("v1", "ghcr.io/stefanprodan/podinfo:6.7.1"), ("v2", "ghcr.io/stefanprodan/podinfo:6.8.0")):
            deployment = app.named(f"{cluster}-{version}")
            template = deployment.inputs["spec"]["template"]
            assert template["metadata"]["labels"] == {"app": "shop", "version": version}
            assert template["spec"]["containers"][0]["image"] == image
        service = app.named(f"{cluster}-service")
        assert service.inputs["spec"]["ports"] == [{"name": "http", "port": 80, "targetPort": 9898}]


def test_routing_splits_traffic_by_config_and_fails_over_by_locality(app: Simulation) -> None:
    for cluster in CLUSTERS:
        rule = app.named(f"{cluster}-routing", "kubernetes:networking.istio.io/v1:DestinationRule")
        assert rule.inputs["spec"]["subsets"] == [{"name": "v1", "labels": {"version": "v1"}}, {"name": "v2", "labels": {"version": "v2"}}]
        policy = rule.inputs["spec"]["trafficPolicy"]
        assert policy["loadBalancer"]["localityLbSetting"]["failover"] == [
            {"from": "us-east-1", "to": "us-west-2"},
            {"from": "us-west-2", "to": "us-east-1"},
            {"from": "europe-west1", "to": "us-east-1"},
        ]
        assert policy["outlierDetection"]["consecutive5xxErrors"] == 5
        routes = app.named(f"{cluster}-routing-routes").inputs["spec"]["http"][0]["route"]
        assert [(r["destination"]["subset"], r["weight"]) for r in routes] == [("v1", 90), ("v2", 10)]
    assert app.exports["weights"] == {"v1": 90, "v2": 10}


def test_promoting_the_canary_is_a_config_change(prod: Simulation) -> None:
    app = run_app(prod.exports, canaryWeight=100)
    routes = app.named("gke-euw1-routing-routes").inputs["spec"]["http"][0]["route"]
    assert [(r["destination"]["subset"], r["weight"]) for r in routes] == [("v1", 0), ("v2", 100)]


def test_routing_lives_where_control_planes_read_config(primary_remote: Simulation) -> None:
    app = run_app(primary_remote.exports)
    routed = sorted(r.name for r in app.of_type("kubernetes:networking.istio.io/v1:VirtualService"))
    assert routed == ["gke-usc1-routing-routes"]
    assert sorted(r.name for r in app.of_type("kubernetes:apps/v1:Deployment")) == [
        f"{c}-{v}" for c in ("eks-use1", "gke-euw4", "gke-usc1") for v in ("v1", "v2")
    ]


def test_fails_on_an_incompatible_contract_version(prod: Simulation) -> None:
    with pytest.raises(ProgramFailed) as caught:
        run_app({**prod.exports, "contractVersion": "2.0"})
    assert isinstance(caught.value.error, ContractError)
    assert str(caught.value.error) == (
        "fleet stack 'acme/meshfleet/prod' publishes contract 2.0, but this reader understands 1.0 to 1.x; "
        "use the meshfleet release that matches the fleet (components/contract.py)"
    )
    assert caught.value.resources == [r for r in caught.value.resources if r.type == "pulumi:pulumi:StackReference"]


def test_fails_on_a_missing_key(prod: Simulation) -> None:
    outputs = copy.deepcopy(prod.exports)
    del outputs["mesh"]["injectionLabel"]
    with pytest.raises(ProgramFailed) as caught:
        run_app(outputs)
    assert str(caught.value.error) == "fleet stack 'acme/meshfleet/prod' publishes no mesh.injectionLabel, which contract 1.1 requires"


def test_fails_on_a_canary_weight_above_100(prod: Simulation) -> None:
    with pytest.raises(ProgramFailed) as caught:
        run_app(prod.exports, canaryWeight=120)
    assert str(caught.value.error) == "routing for shop: v1: -20 is not a percentage; v2: 120 is not a percentage"
