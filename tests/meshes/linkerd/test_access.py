"""Access on Linkerd (components/meshes/linkerd/values.py, meshfleet_appteam/linkerd/access.py): the fleet's deny default and app teams' callers."""

from __future__ import annotations

from typing import Any

import pytest

from components.meshes import AccessRule, Caller, ServiceAccessArgs, mesh_for
from components.simulation import Simulation
from tests.meshes.helpers import depends_on, release, run_access
from tests.support import LINKERD, raw_config, simulated
from tests.upstream_crds import UPSTREAMS, configured, load, validate

SERVER = "kubernetes:policy.linkerd.io/v1beta3:Server"
ROUTE = "kubernetes:policy.linkerd.io/v1beta3:HTTPRoute"
AUTHN = "kubernetes:policy.linkerd.io/v1alpha1:MeshTLSAuthentication"
AUTHZ = "kubernetes:policy.linkerd.io/v1alpha1:AuthorizationPolicy"
CLUSTERS = ("eks-use1", "eks-euc1", "gke-usc1")
DOMAIN = "linkerd.meshfleet.internal"
UPSTREAM_LINKERD = next(u for u in UPSTREAMS if u.mesh == "linkerd")


def identity(account: str, namespace: str) -> str:
    return f"{account}.{namespace}.serviceaccount.identity.linkerd.{DOMAIN}"


def test_allow_by_default_keeps_all_authenticated(linkerd: Simulation) -> None:
    for cluster in CLUSTERS:
        assert release(linkerd, cluster, "linkerd-control-plane").inputs["values"]["proxy"]["defaultInboundPolicy"] == "all-authenticated"


def test_deny_is_the_charts_default_inbound_policy() -> None:
    mesh = raw_config(LINKERD)["mesh"]
    mesh["defaultAccess"] = "deny"
    sim = simulated("linkerd", config_file=LINKERD, config={"meshfleet:mesh": mesh})
    for cluster in CLUSTERS:
        values = release(sim, cluster, "linkerd-control-plane").inputs["values"]
        # Every injected proxy and the policy controller's --default-policy; the chart pins the control
        # plane's and the gateway's own policies, and probes keep their routes (policyController.probeNetworks).
        assert values["proxy"]["defaultInboundPolicy"] == "deny"
        assert "policyController" not in values
    assert not [r for r in sim.resources if r.type in (SERVER, AUTHZ)]


# --- app teams' callers -------------------------------------------------------------------------------


def shop(*rules: AccessRule, **changes: Any) -> ServiceAccessArgs:
    fields: dict[str, Any] = dict(
        service="shop", namespace="shop", rules=rules, trust_domain=DOMAIN, cluster="eks-use1", clusters=CLUSTERS, port=80, target_port=9898
    )
    fields.update(changes)
    return ServiceAccessArgs(**fields)


def local(account: str, namespace: str = "shop") -> Caller:
    return Caller(account, namespace, "eks-use1")


def specs(sim: Simulation, kind: str) -> dict[str, Any]:
    return {r.inputs["metadata"]["name"]: r.inputs["spec"] for r in sim.of_type(kind) if r.inputs["metadata"]["namespace"] == "shop"}


def test_callers_without_methods_or_paths_are_authorized_on_a_server() -> None:
    sim = run_access("linkerd", shop(AccessRule([local("storefront"), local("checkout", "pay")])))
    assert specs(sim, SERVER) == {"shop": {"podSelector": {"matchLabels": {"app": "shop"}}, "port": 9898, "accessPolicy": "deny"}}
    assert specs(sim, AUTHN) == {"shop": {"identities": [identity("storefront", "shop"), identity("checkout", "pay")]}}
    assert specs(sim, AUTHZ) == {
        "shop": {
            "targetRef": {"group": "policy.linkerd.io", "kind": "Server", "name": "shop"},
            "requiredAuthenticationRefs": [{"group": "policy.linkerd.io", "kind": "MeshTLSAuthentication", "name": "shop"}],
        }
    }
    # No HTTPRoute: the Server keeps the probe routes Linkerd adds to it.
    assert sim.of_type(ROUTE) == []
    server = sim.named("eks-use1-shop-access-server", SERVER)
    policy = sim.named("eks-use1-shop-access-authorization", AUTHZ)
    assert depends_on(sim, server, policy), "the Server refuses everybody it does not authorize: it must come last"
    assert depends_on(sim, policy, sim.named("eks-use1-shop-access-callers", AUTHN))


def test_method_and_path_rules_are_routes_on_the_server_each_with_its_authorization() -> None:
    args = shop(
        AccessRule([local("storefront")], methods=["GET", "POST"], paths=["/api/*"]),
        AccessRule([local("ops", "tools")], paths=["/admin"]),
        AccessRule([local("checkout", "pay")]),
    )
    sim = run_access("linkerd", args)
    parent = [{"group": "policy.linkerd.io", "kind": "Server", "name": "shop"}]
    assert specs(sim, ROUTE) == {
        "shop-0": {
            "parentRefs": parent,
            "rules": [
                {
                    "matches": [
                        {"path": {"type": "PathPrefix", "value": "/api/"}, "method": "GET"},
                        {"path": {"type": "PathPrefix", "value": "/api/"}, "method": "POST"},
                    ]
                }
            ],
        },
        "shop-1": {"parentRefs": parent, "rules": [{"matches": [{"path": {"type": "Exact", "value": "/admin"}}]}]},
        # Callers allowed everything get every other request, and join every route (a request is
        # authorized by the one route it matches).
        "shop-any": {"parentRefs": parent, "rules": [{"matches": [{"path": {"type": "PathPrefix", "value": "/"}}]}]},
    }
    assert specs(sim, AUTHN) == {
        "shop-0": {"identities": [identity("storefront", "shop"), identity("checkout", "pay")]},
        "shop-1": {"identities": [identity("ops", "tools"), identity("checkout", "pay")]},
        "shop-any": {"identities": [identity("checkout", "pay")]},
    }
    for route, authorization in specs(sim, AUTHZ).items():
        assert authorization == {
            "targetRef": {"group": "policy.linkerd.io", "kind": "HTTPRoute", "name": route},
            "requiredAuthenticationRefs": [{"group": "policy.linkerd.io", "kind": "MeshTLSAuthentication", "name": route}],
        }
    server = sim.named("eks-use1-shop-access-server", SERVER)
    for resource in (*sim.of_type(ROUTE), *sim.of_type(AUTHZ)):
        assert depends_on(sim, server, resource), f"{resource.urn} must be in place before the Server refuses the rest"


def test_fails_on_callers_from_other_clusters_which_arrive_as_the_gateway() -> None:
    with pytest.raises(Exception) as caught:
        run_access("linkerd", shop(AccessRule([Caller("storefront", "shop"), local("ops"), Caller("web", "shop", "gke-usc1")])))
    assert str(caught.value).endswith(
        "access for shop: Linkerd cannot admit shop/storefront, shop/web in cluster 'gke-usc1' in cluster 'eks-use1': callers in "
        "other clusters reach it through its multicluster gateway and arrive as the gateway's identity "
        f"(linkerd-gateway.linkerd-multicluster.serviceaccount.identity.linkerd.{DOMAIN}), which every meshed workload of every "
        "linked cluster shares (linkerd/linkerd2#9848); declare callers with cluster='eks-use1', in the rules written into each cluster, "
        "and admit every workload of every linked cluster with the caller mesh.access.linked_clusters('eks-use1')"
    )


def test_linked_clusters_are_admitted_as_the_local_gateways_identity() -> None:
    """Under `deny`, the one way a call from another cluster gets in: it arrives as the gateway of the cluster the
    rules are written into (linkerd/linkerd2#9848), which stands for every workload of every linked cluster."""
    linked = mesh_for("linkerd").access.linked_clusters
    assert linked is not None
    sim = run_access("linkerd", shop(AccessRule([local("storefront"), linked("eks-use1")], methods=["GET"], paths=["/api/*"])))
    gateway = f"linkerd-gateway.linkerd-multicluster.serviceaccount.identity.linkerd.{DOMAIN}"
    assert specs(sim, AUTHN) == {"shop-0": {"identities": [identity("storefront", "shop"), gateway]}}
    assert linked("eks-use1") == Caller("linkerd-gateway", "linkerd-multicluster", "eks-use1")


def test_meshes_whose_callers_keep_their_identity_offer_no_linked_clusters_caller() -> None:
    assert mesh_for("istio").access.linked_clusters is None
    assert mesh_for("consul").access.linked_clusters is None


@pytest.mark.parametrize(
    ("first", "second"),
    [
        (AccessRule([local("a")], paths=["/api/*"]), AccessRule([local("b")], methods=["GET"], paths=["/api/orders"])),
        (AccessRule([local("a")], methods=["GET"]), AccessRule([local("b")], paths=["/x"])),
    ],
)
def test_fails_on_overlapping_method_and_path_rules(first: AccessRule, second: AccessRule) -> None:
    with pytest.raises(Exception) as caught:
        run_access("linkerd", shop(first, second))
    assert str(caught.value).endswith(
        "access for shop: rules[0] and rules[1] match some of the same requests, and Linkerd authorizes a request by the one "
        "HTTPRoute that matches it most specifically, so one rule's callers would lose what the other grants; merge the two "
        "rules, or make their methods and paths disjoint"
    )


def test_disjoint_method_and_path_rules_are_accepted() -> None:
    sim = run_access(
        "linkerd",
        shop(AccessRule([local("a")], methods=["GET"], paths=["/api/*"]), AccessRule([local("b")], methods=["POST"], paths=["/api/*"])),
    )
    assert sorted(specs(sim, ROUTE)) == ["shop-0", "shop-1"]


# --- HTTPRoute limits (policy.linkerd.io v1beta3: 8 matches per rule, 16 rules) -------------------------

MANY_PATHS = [f"/v{i}/orders" for i in range(5)]
EVERY_METHOD = ["GET", "POST", "PUT", "DELETE"]


def test_a_rule_of_more_than_8_path_method_pairs_is_spread_over_rules_of_its_route() -> None:
    sim = run_access("linkerd", shop(AccessRule([local("storefront")], methods=EVERY_METHOD, paths=MANY_PATHS)))
    (route,) = specs(sim, ROUTE).values()
    matches = [[(m["path"]["value"], m["method"]) for m in rule["matches"]] for rule in route["rules"]]
    pairs = [(path, method) for path in MANY_PATHS for method in EVERY_METHOD]
    # 20 pairs: rules of 8, 8 and 4, in the rule's order, under the route's one authorization.
    assert matches == [pairs[:8], pairs[8:16], pairs[16:]]
    assert list(specs(sim, AUTHZ)) == ["shop-0"]


def test_the_largest_rule_accepted_validates_against_the_pinned_httproute_crd() -> None:
    """16 rules of 8 matches: the most the CRD allows. Checked against the CRD itself when a clone is configured
    (MESHFLEET_UPSTREAM_LINKERD, docs/upstream.md); the limits are asserted either way."""
    paths = [f"/p{i}" for i in range(32)]
    methods = ["GET", "POST", "PUT", "DELETE"]
    sim = run_access("linkerd", shop(AccessRule([local("storefront")], methods=methods, paths=paths)))
    (route,) = sim.of_type(ROUTE)
    rules = route.inputs["spec"]["rules"]
    assert [len(rule["matches"]) for rule in rules] == [8] * 16
    location = configured(UPSTREAM_LINKERD)
    if location is not None:
        crds = load(UPSTREAM_LINKERD, *location)
        assert validate(route.inputs, crds, ("policy.linkerd.io", "v1beta3", "HTTPRoute")) == []
        too_many = {**route.inputs, "spec": {**route.inputs["spec"], "rules": [{"matches": rules[0]["matches"] * 2}]}}
        assert validate(too_many, crds, ("policy.linkerd.io", "v1beta3", "HTTPRoute")) == [
            "$.spec.rules[0].matches has 16 items, more than 8"
        ]


def test_fails_on_a_rule_larger_than_an_httproute_holds() -> None:
    paths = [f"/p{i}" for i in range(33)]
    with pytest.raises(Exception) as caught:
        run_access("linkerd", shop(AccessRule([local("a")], paths=["/x"]), AccessRule([local("b")], methods=EVERY_METHOD, paths=paths)))
    assert str(caught.value).endswith(
        "access for shop: rules[1] has 132 (path, method) pairs, and Linkerd's HTTPRoute holds at most 128 (16 rules of 8 "
        "matches, policy.linkerd.io/v1beta3); use path prefixes (`/api/*`) or fewer methods, or split the rule into rules of "
        "disjoint paths"
    )
