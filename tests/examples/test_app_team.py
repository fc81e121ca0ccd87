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
from tests.meshes.helpers import depends_on

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


def assert_each_version_runs_as_the_services_own_account(app: Simulation, clusters: tuple[str, ...]) -> None:
    """One ServiceAccount per service, named after it, shared by its versions: the workload identity on every
    mesh, and on Consul with ACLs the only name a pod may register as (connect-init refuses a mismatch)."""
    for cluster in clusters:
        account = app.named(f"{cluster}-service-account", "kubernetes:core/v1:ServiceAccount")
        assert account.inputs["metadata"] == {"name": "shop", "namespace": "shop", "labels": {"app": "shop"}}, account.urn
        assert account.provider.endswith(f"::{cluster}"), account.urn
        service = app.named(f"{cluster}-service")
        assert service.inputs["metadata"]["name"] == "shop"
        for version in ("v1", "v2"):
            deployment = app.named(f"{cluster}-{version}")
            assert deployment.inputs["spec"]["template"]["spec"]["serviceAccountName"] == "shop", deployment.urn
            assert depends_on(app, deployment, account), f"{deployment.urn}: its pods would be refused until the account exists"


def test_each_version_runs_as_the_services_own_account(app: Simulation) -> None:
    assert_each_version_runs_as_the_services_own_account(app, CLUSTERS)


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


# --- the same program on a Linkerd fleet -------------------------------------------------------------

LINKERD_CLUSTERS = ("eks-use1", "eks-euc1", "gke-usc1")


@pytest.fixture(scope="module")
def linkerd_app(linkerd: Simulation) -> Simulation:
    return run_app(linkerd.exports, awsRoleArn="arn:aws:iam::123456789012:role/shop")


def test_on_linkerd_the_namespace_joins_the_mesh_by_annotation(linkerd_app: Simulation) -> None:
    for cluster in LINKERD_CLUSTERS:
        namespace = linkerd_app.named(f"{cluster}-namespace")
        assert namespace.inputs["metadata"] == {"name": "shop", "annotations": {"linkerd.io/inject": "enabled"}}


def test_on_linkerd_each_version_runs_as_the_services_own_account(linkerd_app: Simulation) -> None:
    """Linkerd's identity is the pod's service account: `shop.shop.serviceaccount.identity.linkerd.<domain>`."""
    assert_each_version_runs_as_the_services_own_account(linkerd_app, LINKERD_CLUSTERS)


def test_on_linkerd_versions_are_split_by_an_http_route_over_per_version_services(linkerd_app: Simulation) -> None:
    for cluster in LINKERD_CLUSTERS:
        for version in ("v1", "v2"):
            service = linkerd_app.named(f"{cluster}-routing-{version}")
            assert service.inputs["metadata"] == {"name": f"shop-{version}", "namespace": "shop"}
            # The shop's own pods (its Service's selector plus the version) on the container's port.
            assert service.inputs["spec"] == {
                "selector": {"app": "shop", "version": version},
                "ports": [{"name": "http", "port": 80, "targetPort": 9898}],
            }
        route = linkerd_app.named(f"{cluster}-routing-routes")
        assert route.type == "kubernetes:policy.linkerd.io/v1beta3:HTTPRoute"
        assert route.inputs["spec"]["parentRefs"] == [{"group": "core", "kind": "Service", "name": "shop", "port": 80}]
        backends = route.inputs["spec"]["rules"][0]["backendRefs"]
        assert [(b["name"], b["weight"]) for b in backends] == [("shop-v1", 90), ("shop-v2", 10)]
    assert not [r for r in linkerd_app.resources if ".istio.io/" in r.type]


def test_on_linkerd_promoting_the_canary_is_the_same_config_change(linkerd: Simulation) -> None:
    app = run_app(linkerd.exports, canaryWeight=100)
    backends = app.named("gke-usc1-routing-routes").inputs["spec"]["rules"][0]["backendRefs"]
    assert [(b["name"], b["weight"]) for b in backends] == [("shop-v1", 0), ("shop-v2", 100)]


# --- the same program against a Consul fleet -----------------------------------------------------------

CONSUL_API = "kubernetes:consul.hashicorp.com/v1alpha1"
CONSUL_CLUSTERS = ("eks-use1", "gke-usc1", "gke-euw1")


@pytest.fixture(scope="module")
def consul_app(consul: Simulation) -> Simulation:
    return run_app(consul.exports)


def test_on_consul_the_namespace_joins_by_the_injectors_label_and_pods_carry_their_version(consul_app: Simulation) -> None:
    for cluster in CONSUL_CLUSTERS:
        assert consul_app.named(f"{cluster}-namespace").inputs["metadata"] == {
            "name": "shop",
            "labels": {"meshfleet.io/consul-inject": "enabled"},
        }
        for version in ("v1", "v2"):
            template = consul_app.named(f"{cluster}-{version}").inputs["spec"]["template"]
            assert template["metadata"]["annotations"] == {"consul.hashicorp.com/service-meta-version": version}


def test_on_consul_pods_register_as_the_service_their_account_names(consul_app: Simulation) -> None:
    # The Consul service is the Kubernetes Service's name (endpoints controller serviceName); with ACLs the
    # pod's token is bound to its service account's name (binding rule `${serviceaccount.name}`).
    assert_each_version_runs_as_the_services_own_account(consul_app, CONSUL_CLUSTERS)


@pytest.mark.parametrize(("cluster", "peers"), [("eks-use1", ["gke-usc1"]), ("gke-usc1", ["eks-use1"]), ("gke-euw1", ["gke-usc1"])])
def test_on_consul_versions_are_split_and_each_cluster_fails_over_to_its_regions_peers(
    consul_app: Simulation, cluster: str, peers: list[str]
) -> None:
    resolver = consul_app.named(f"{cluster}-routing", f"{CONSUL_API}:ServiceResolver")
    assert resolver.inputs["metadata"] == {"name": "shop", "namespace": "shop"}
    assert resolver.inputs["spec"]["subsets"] == {
        "v1": {"filter": 'Service.Meta.version == "v1"'},
        "v2": {"filter": 'Service.Meta.version == "v2"'},
    }
    assert resolver.inputs["spec"]["failover"] == {"*": {"targets": [{"peer": peer} for peer in peers]}}
    splitter = consul_app.named(f"{cluster}-routing-routes", f"{CONSUL_API}:ServiceSplitter")
    assert splitter.inputs["spec"]["splits"] == [{"weight": 90, "serviceSubset": "v1"}, {"weight": 10, "serviceSubset": "v2"}]
    assert consul_app.named(f"{cluster}-routing-defaults", f"{CONSUL_API}:ServiceDefaults").inputs["spec"] == {"protocol": "http"}
    assert not [r for r in consul_app.resources if ".istio.io/" in r.type]


def test_on_consul_the_contract_says_identities_do_not_chain_to_the_shared_root(consul: Simulation) -> None:
    from components.contract import parse_contract

    contract = parse_contract(consul.exports, "acme/meshfleet/consul")
    assert contract.mesh.identity.shared_root is False
    assert "Connect CA" in contract.mesh.identity.summary
    # What an app team must do with ACLs on: run each service as a service account of its name.
    assert "service account's name" in contract.mesh.identity.summary
