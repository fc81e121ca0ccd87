"""examples/app-team: an app team's program on the fleet, run against a mocked stack reference built
from the real outputs of the fleet's stacks."""

from __future__ import annotations

import copy
import json
import os
import runpy
import sys
from typing import Any

import pytest
import yaml

from components.contract import ContractError
from components.simulation import PROJECT_DIR, ProgramFailed, Simulation, run_program, stack_config
from meshfleet_appteam.rollout import DECISION_ENV
from tests.meshes.helpers import depends_on

APP = PROJECT_DIR / "examples" / "app-team"
FLEET = "acme/meshfleet/prod"
OWN = "organization/shop/prod"
"""The app stack itself, whose last outputs the program reads (components/last_deployment.py)."""


def run_app(fleet_outputs: dict[str, Any], *, last: dict[str, Any] | None = None, decision: str | None = None, **config: Any) -> Simulation:
    """One `pulumi up` of the app: `last` is what its previous one exported, `decision` the gate's
    MESHFLEET_CANARY_DECISION (only the gate's own deployments carry one)."""
    values = stack_config(APP / "Pulumi.prod.yaml")
    values.update({f"shop:{key}": value for key, value in config.items()})
    if str(APP) not in sys.path:
        sys.path.insert(0, str(APP))
    previous = os.environ.pop(DECISION_ENV, None)
    if decision is not None:
        os.environ[DECISION_ENV] = decision
    try:
        return run_program(
            lambda: runpy.run_path(str(APP / "__main__.py"), run_name="__main__"),
            stack="prod",
            project="shop",
            config=values,
            stack_outputs={FLEET: fleet_outputs, OWN: last or {}},
        )
    finally:
        os.environ.pop(DECISION_ENV, None)
        if previous is not None:
            os.environ[DECISION_ENV] = previous


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
        routes = app.named(f"{cluster}-routing-routes").inputs["spec"]["http"][-1]["route"]
        assert [(r["destination"]["subset"], r["weight"]) for r in routes] == [("v1", 90), ("v2", 10)]
    assert app.exports["weights"] == {"v1": 90, "v2": 10}


def split(app: Simulation, cluster: str = "gke-euw1") -> list[tuple[str, int]]:
    routes = app.named(f"{cluster}-routing-routes").inputs["spec"]["http"][-1]["route"]
    return [(r["destination"]["subset"], r["weight"]) for r in routes]


def images_and_replicas(app: Simulation, cluster: str = "gke-euw1") -> dict[str, tuple[str, int]]:
    found = {}
    for version in ("v1", "v2"):
        spec = app.named(f"{cluster}-{version}").inputs["spec"]
        found[version] = (spec["template"]["spec"]["containers"][0]["image"], spec["replicas"])
    return found


STABLE_IMAGE, CANARY_IMAGE = "ghcr.io/stefanprodan/podinfo:6.7.1", "ghcr.io/stefanprodan/podinfo:6.8.0"


def test_the_rollouts_position_is_exported_for_the_next_run(app: Simulation) -> None:
    assert app.exports["canary"] == {
        "phase": "progressing",
        "weight": 10,
        "stableImage": STABLE_IMAGE,
        "canaryImage": CANARY_IMAGE,
        "baseImage": STABLE_IMAGE,
        "failedChecks": 0,
    }


def test_promoting_by_config_makes_the_canary_the_stable_and_scales_the_old_one_down(prod: Simulation) -> None:
    app = run_app(prod.exports, canaryWeight=100)
    assert split(app) == [("v1", 100), ("v2", 0)]
    assert images_and_replicas(app) == {"v1": (CANARY_IMAGE, 2), "v2": (CANARY_IMAGE, 0)}
    # Nobody reaches a canary that runs no pod: the header route is gone with it.
    assert len(app.named("gke-euw1-routing-routes").inputs["spec"]["http"]) == 1


@pytest.mark.parametrize(
    ("phase", "weight", "expected_images"),
    [
        ("promoted", 100, {"v1": (CANARY_IMAGE, 2), "v2": (CANARY_IMAGE, 0)}),
        ("rolled-back", 0, {"v1": (STABLE_IMAGE, 2), "v2": (CANARY_IMAGE, 0)}),
        ("progressing", 50, {"v1": (STABLE_IMAGE, 2), "v2": (CANARY_IMAGE, 2)}),
    ],
)
def test_a_gate_decision_survives_the_next_plain_pulumi_up(
    prod: Simulation, phase: str, weight: int, expected_images: dict[str, tuple[str, int]]
) -> None:
    """The gate records by running the deployment with its decision; the next plain `pulumi up` (same
    committed config, canaryWeight 10, no decision) reads the recorded output and stays there."""
    decision = json.dumps({"phase": phase, "weight": weight, "failedChecks": 1, "canaryImage": CANARY_IMAGE})
    gated = run_app(prod.exports, decision=decision)
    assert gated.exports["canary"]["phase"] == phase
    plain = run_app(prod.exports, last=gated.exports)
    for cluster in CLUSTERS:
        assert split(plain, cluster) == ([("v1", 50), ("v2", 50)] if phase == "progressing" else [("v1", 100), ("v2", 0)])
        assert images_and_replicas(plain, cluster) == expected_images
    assert plain.exports["canary"] == gated.exports["canary"]
    assert plain.exports["weights"] == gated.exports["weights"]


def test_a_dark_phase_mirrors_the_stables_requests_to_the_canary_until_the_gate_advances(prod: Simulation) -> None:
    """canaryWeight 0 with canaryMirror: the canary runs and takes a copy of every request (its answers
    dropped), for the gate to analyse before it takes live traffic."""
    dark = run_app(prod.exports, canaryWeight=0, canaryMirror=True)
    split_route = dark.named("gke-euw1-routing-routes").inputs["spec"]["http"][-1]
    assert [(r["destination"]["subset"], r["weight"]) for r in split_route["route"]] == [("v1", 100), ("v2", 0)]
    assert (split_route["mirror"]["subset"], split_route["mirrorPercentage"]) == ("v2", {"value": 100.0})
    assert images_and_replicas(dark) == {"v1": (STABLE_IMAGE, 2), "v2": (CANARY_IMAGE, 2)}
    assert (dark.exports["canary"]["phase"], dark.exports["canary"]["weight"]) == ("progressing", 0)
    decision = json.dumps({"phase": "progressing", "weight": 10, "canaryImage": CANARY_IMAGE})
    live = run_app(prod.exports, last=dark.exports, decision=decision, canaryWeight=0, canaryMirror=True)
    assert "mirror" not in live.named("gke-euw1-routing-routes").inputs["spec"]["http"][-1]
    assert split(live) == [("v1", 90), ("v2", 10)]


def test_a_new_canary_image_starts_a_new_rollout_at_the_configs_weight(prod: Simulation) -> None:
    decision = json.dumps({"phase": "rolled-back", "weight": 0, "canaryImage": CANARY_IMAGE})
    rolled_back = run_app(prod.exports, decision=decision)
    fixed = run_app(prod.exports, last=rolled_back.exports, canaryImage="ghcr.io/stefanprodan/podinfo:6.8.1")
    assert split(fixed) == [("v1", 90), ("v2", 10)]
    assert fixed.exports["canary"]["phase"] == "progressing"


def test_a_decision_about_another_rollout_is_refused(prod: Simulation) -> None:
    decision = json.dumps({"phase": "promoted", "weight": 100, "canaryImage": "ghcr.io/stefanprodan/podinfo:6.0.0"})
    with pytest.raises(ProgramFailed) as caught:
        run_app(prod.exports, decision=decision)
    assert "the decision is about another rollout; nothing is applied" in str(caught.value.error)


def test_routing_lives_where_control_planes_read_config(primary_remote: Simulation) -> None:
    app = run_app(primary_remote.exports)
    routed = sorted(r.name for r in app.of_type("kubernetes:networking.istio.io/v1:VirtualService"))
    assert routed == ["gke-usc1-routing-routes"]
    assert sorted(r.name for r in app.of_type("kubernetes:apps/v1:Deployment")) == [
        f"{c}-{v}" for c in ("eks-use1", "gke-euw4", "gke-usc1") for v in ("v1", "v2")
    ]


def test_the_shop_admits_only_its_storefront_by_its_principal(app: Simulation) -> None:
    for cluster in CLUSTERS:
        policy = app.named(f"{cluster}-access-callers", "kubernetes:security.istio.io/v1:AuthorizationPolicy")
        assert policy.inputs["metadata"] == {"name": "shop", "namespace": "shop"}
        # The principal comes from the fleet's trust domain (the contract), the same in every cluster.
        assert policy.inputs["spec"] == {
            "selector": {"matchLabels": {"app": "shop"}},
            "action": "ALLOW",
            "rules": [
                {
                    "from": [{"source": {"principals": ["prod.meshfleet.internal/ns/shop/sa/storefront"]}}],
                    "to": [{"operation": {"methods": ["GET", "POST"], "paths": ["/api/*"]}}],
                }
            ],
        }
        assert depends_on(app, policy, app.named(f"{cluster}-namespace"))


def test_access_rules_live_where_control_planes_read_config(primary_remote: Simulation) -> None:
    app = run_app(primary_remote.exports)
    assert [r.name for r in app.of_type("kubernetes:security.istio.io/v1:AuthorizationPolicy")] == ["gke-usc1-access-callers"]


def test_fails_on_an_incompatible_contract_version(prod: Simulation) -> None:
    with pytest.raises(ProgramFailed) as caught:
        run_app({**prod.exports, "contractVersion": "2.0"})
    assert isinstance(caught.value.error, ContractError)
    assert str(caught.value.error) == (
        "fleet stack 'acme/meshfleet/prod' publishes contract 2.0, but this reader understands 1.0 to 1.x; "
        "use the meshfleet-contract release that matches the fleet (docs/contract.md)"
    )
    assert caught.value.resources == [r for r in caught.value.resources if r.type == "pulumi:pulumi:StackReference"]


def test_fails_on_a_missing_key(prod: Simulation) -> None:
    outputs = copy.deepcopy(prod.exports)
    del outputs["mesh"]["injectionLabel"]
    with pytest.raises(ProgramFailed) as caught:
        run_app(outputs)
    assert str(caught.value.error) == "fleet stack 'acme/meshfleet/prod' publishes no mesh.injectionLabel, which contract 1.2 requires"


def test_fails_on_a_canary_weight_above_100(prod: Simulation) -> None:
    with pytest.raises(ProgramFailed) as caught:
        run_app(prod.exports, canaryWeight=120)
    assert str(caught.value.error) == "canaryWeight 120 is not a percentage (0 to 100)"


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
        backends = route.inputs["spec"]["rules"][-1]["backendRefs"]
        assert [(b["name"], b["weight"]) for b in backends] == [("shop-v1", 90), ("shop-v2", 10)]
    assert not [r for r in linkerd_app.resources if ".istio.io/" in r.type]


def test_on_linkerd_a_rolled_back_canary_stays_rolled_back_after_a_plain_pulumi_up(linkerd: Simulation) -> None:
    decision = json.dumps({"phase": "rolled-back", "weight": 0, "canaryImage": CANARY_IMAGE})
    plain = run_app(linkerd.exports, last=run_app(linkerd.exports, decision=decision).exports)
    route = plain.named("gke-usc1-routing-routes").inputs["spec"]
    assert [(b["name"], b["weight"]) for b in route["rules"][-1]["backendRefs"]] == [("shop-v1", 100), ("shop-v2", 0)]
    assert len(route["rules"]) == 1  # no header route to a canary without pods
    assert plain.named("gke-usc1-v2").inputs["spec"]["replicas"] == 0


def test_on_linkerd_the_shop_admits_only_its_own_clusters_storefront_through_a_server_and_a_route(linkerd_app: Simulation) -> None:
    for cluster in LINKERD_CLUSTERS:
        server = linkerd_app.named(f"{cluster}-access-server", "kubernetes:policy.linkerd.io/v1beta3:Server")
        assert server.inputs["spec"] == {"podSelector": {"matchLabels": {"app": "shop"}}, "port": 9898, "accessPolicy": "deny"}
        route = linkerd_app.named(f"{cluster}-access-0-route", "kubernetes:policy.linkerd.io/v1beta3:HTTPRoute")
        assert route.inputs["metadata"] == {"name": "shop-0", "namespace": "shop"}
        assert route.inputs["spec"]["rules"] == [
            {
                "matches": [
                    {"path": {"type": "PathPrefix", "value": "/api/"}, "method": "GET"},
                    {"path": {"type": "PathPrefix", "value": "/api/"}, "method": "POST"},
                ]
            }
        ]
        callers = linkerd_app.named(f"{cluster}-access-0-callers", "kubernetes:policy.linkerd.io/v1alpha1:MeshTLSAuthentication")
        assert callers.inputs["spec"] == {"identities": ["storefront.shop.serviceaccount.identity.linkerd.linkerd.meshfleet.internal"]}
        authorization = linkerd_app.named(f"{cluster}-access-0-authorization", "kubernetes:policy.linkerd.io/v1alpha1:AuthorizationPolicy")
        assert authorization.inputs["spec"]["targetRef"] == {"group": "policy.linkerd.io", "kind": "HTTPRoute", "name": "shop-0"}
        assert depends_on(linkerd_app, server, authorization), f"{server.urn}: the Server refuses the rest, so it comes last"


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


# --- header routes and blue-green, on every mesh --------------------------------------------------------

HOST = "shop.shop.svc.cluster.local"
MESH_FLEETS = {"istio": ("prod", CLUSTERS), "linkerd": ("linkerd", LINKERD_CLUSTERS), "consul": ("consul", CONSUL_CLUSTERS)}


def canary_header_route(app: Simulation, mesh: str, cluster: str) -> object:
    """The route that sends `x-canary: true` to v2, in the mesh's own object."""
    if mesh == "istio":
        return app.named(f"{cluster}-routing-routes", "kubernetes:networking.istio.io/v1:VirtualService").inputs["spec"]["http"][0]
    if mesh == "linkerd":
        return app.named(f"{cluster}-routing-routes", "kubernetes:policy.linkerd.io/v1beta3:HTTPRoute").inputs["spec"]["rules"][0]
    router = app.named(f"{cluster}-routing-router", f"{CONSUL_API}:ServiceRouter")
    assert depends_on(app, router, app.named(f"{cluster}-routing-routes", f"{CONSUL_API}:ServiceSplitter")), router.urn
    return router.inputs["spec"]


CANARY_HEADER_ROUTES = {
    "istio": {
        "match": [{"headers": {"x-canary": {"exact": "true"}}}],
        "route": [{"destination": {"host": HOST, "subset": "v2", "port": {"number": 80}}}],
    },
    "linkerd": {
        "matches": [{"headers": [{"name": "x-canary", "type": "Exact", "value": "true"}]}],
        "backendRefs": [{"name": "shop-v2", "port": 80}],
    },
    "consul": {
        "routes": [{"match": {"http": {"header": [{"name": "x-canary", "exact": "true"}]}}, "destination": {"serviceSubset": "v2"}}]
    },
}


@pytest.mark.parametrize("mesh", sorted(MESH_FLEETS))
def test_x_canary_true_reaches_the_canary_on_every_mesh(mesh: str, request: pytest.FixtureRequest) -> None:
    fleet, clusters = MESH_FLEETS[mesh]
    app = run_app(request.getfixturevalue(fleet).exports)
    for cluster in clusters:
        assert canary_header_route(app, mesh, cluster) == CANARY_HEADER_ROUTES[mesh], cluster


@pytest.mark.parametrize("mesh", sorted(MESH_FLEETS))
def test_switching_blue_green_is_one_config_value_on_every_mesh(mesh: str, request: pytest.FixtureRequest) -> None:
    fleet, clusters = MESH_FLEETS[mesh]
    outputs = request.getfixturevalue(fleet).exports
    blue, green = run_app(outputs, liveVersion="v1"), run_app(outputs, liveVersion="v2")
    before = {r.urn: r.inputs for r in blue.resources}
    after = {r.urn: r.inputs for r in green.resources}
    assert sorted(before) == sorted(after), "switching adds or removes nothing: both versions stay deployed"
    changed = sorted(blue.by_urn(urn).name for urn in before if before[urn] != after[urn])
    # Only the object that carries the split changes (Istio's VirtualService, Linkerd's HTTPRoute, Consul's splitter).
    assert changed == sorted(f"{c}-routing-routes" for c in clusters)
    assert (blue.exports["weights"], green.exports["weights"]) == ({"v1": 100, "v2": 0}, {"v1": 0, "v2": 100})
    for cluster in clusters:
        assert live_split(green, mesh, cluster) == LIVE_ON_V2[mesh], cluster


def live_split(app: Simulation, mesh: str, cluster: str) -> object:
    spec = app.named(f"{cluster}-routing-routes").inputs["spec"]
    return {
        "istio": lambda: spec["http"][-1]["route"],
        "linkerd": lambda: spec["rules"][-1]["backendRefs"],
        "consul": lambda: spec["splits"],
    }[mesh]()


LIVE_ON_V2 = {
    "istio": [{"destination": {"host": HOST, "subset": "v2", "port": {"number": 80}}, "weight": 100}],
    "linkerd": [{"name": "shop-v2", "port": 80, "weight": 100}],
    "consul": [{"weight": 100, "serviceSubset": "v2"}],
}


def test_on_consul_the_shop_admits_its_storefront_from_every_peer_and_denies_everybody_else(consul_app: Simulation) -> None:
    allow = [
        {"action": "allow", "http": {"pathPrefix": "/api/", "methods": ["GET", "POST"]}},
        {"action": "deny", "http": {"pathPrefix": "/"}},
    ]
    for cluster in CONSUL_CLUSTERS:
        peers = sorted(c for c in CONSUL_CLUSTERS if c != cluster)
        intentions = consul_app.named(f"{cluster}-access-callers", f"{CONSUL_API}:ServiceIntentions")
        assert intentions.inputs["metadata"] == {"name": "shop", "namespace": "shop"}
        assert intentions.inputs["spec"] == {
            "destination": {"name": "shop"},
            "sources": [
                {"name": "storefront", "permissions": allow},
                *({"name": "storefront", "peer": peer, "permissions": allow} for peer in peers),
                {"name": "*", "action": "deny"},
                *({"name": "*", "peer": peer, "action": "deny"} for peer in peers),
            ],
        }
        # Method and path permissions need the protocol http, which the routing's ServiceDefaults declares.
        assert depends_on(consul_app, intentions, consul_app.named(f"{cluster}-routing-defaults", f"{CONSUL_API}:ServiceDefaults"))


@pytest.mark.parametrize(("mesh", "phase", "weight"), [(m, p, w) for m in MESH_FLEETS for p, w in (("promoted", 100), ("rolled-back", 0))])
def test_traffic_moves_to_ready_pods_and_away_before_pods_go(mesh: str, phase: str, weight: int, request: pytest.FixtureRequest) -> None:
    """The routing waits for the versions that serve after the run (Pulumi waits for each Deployment's rollout:
    a promoted stable runs the canary's image first), and a version that serves no more scales to zero only
    after the routing has moved its traffic away. The routing component waits for the stable Deployment, and its
    objects for the component: the SDK registers a child once its parent's URN is known
    (pulumi/runtime/resource.py, prepare_resource), and the parent only once what it depends on is made."""
    fleet_fixture, clusters = MESH_FLEETS[mesh]
    fleet = request.getfixturevalue(fleet_fixture)
    decision = json.dumps({"phase": phase, "weight": weight, "failedChecks": 0, "canaryImage": CANARY_IMAGE})
    app = run_app(fleet.exports, decision=decision)
    for cluster in clusters:
        stable, canary = app.named(f"{cluster}-v1"), app.named(f"{cluster}-v2")
        routes = [r for r in app.resources if r.name.startswith(f"{cluster}-routing-") and r.custom]
        if not routes:
            continue  # a remote cluster: routing is the primary's
        routing = app.named(f"{cluster}-routing", f"meshfleet:{mesh}:ServiceRouting")
        assert stable.urn in routing.dependencies and all(route.parent == routing.urn for route in routes), cluster
        assert all(depends_on(app, canary, route) for route in routes), cluster
        assert not any(depends_on(app, route, canary) for route in routes), cluster
