"""Access on Consul (components/meshes/consul/values.py, meshfleet_appteam/consul/access.py): the fleet's deny default and app teams' callers."""

from __future__ import annotations

from typing import Any

import pytest

from components.meshes import AccessRule, Caller, ServiceAccessArgs
from components.simulation import Simulation
from tests.meshes.helpers import run_access
from tests.support import CONSUL, raw_config, simulated

INTENTIONS = "kubernetes:consul.hashicorp.com/v1alpha1:ServiceIntentions"
CLUSTERS = ("eks-use1", "gke-usc1", "gke-euw1")


def default_intentions(sim: Simulation, cluster: str) -> dict[str, Any]:
    spec: dict[str, Any] = sim.named(f"{cluster}-serviceintentions", INTENTIONS).inputs["spec"]
    return spec


def test_allow_by_default_lets_every_service_call_every_other(consul: Simulation) -> None:
    assert default_intentions(consul, "eks-use1") == {
        "destination": {"name": "*"},
        "sources": [
            {"name": "*", "action": "allow"},
            {"name": "*", "peer": "gke-euw1", "action": "allow"},
            {"name": "*", "peer": "gke-usc1", "action": "allow"},
        ],
    }


def test_deny_turns_the_fleets_wildcard_intention_to_deny() -> None:
    mesh = raw_config(CONSUL)["mesh"]
    mesh["defaultAccess"] = "deny"
    sim = simulated("consul", config_file=CONSUL, config={"meshfleet:mesh": mesh})
    for cluster in CLUSTERS:
        peers = sorted(c for c in CLUSTERS if c != cluster)
        assert default_intentions(sim, cluster) == {
            "destination": {"name": "*"},
            "sources": [{"name": "*", "action": "deny"}, *({"name": "*", "peer": p, "action": "deny"} for p in peers)],
        }


# --- app teams' callers -------------------------------------------------------------------------------


def shop(*rules: AccessRule, **changes: Any) -> ServiceAccessArgs:
    fields: dict[str, Any] = dict(
        service="shop",
        namespace="shop",
        rules=rules,
        trust_domain="cluster.local",
        cluster="eks-use1",
        clusters=CLUSTERS,
        http_protocol=True,
    )
    fields.update(changes)
    return ServiceAccessArgs(**fields)


def intentions(args: ServiceAccessArgs) -> dict[str, Any]:
    [found] = run_access("consul", args).of_type(INTENTIONS)
    assert found.inputs["metadata"] == {"name": "shop", "namespace": "shop"}
    spec: dict[str, Any] = found.inputs["spec"]
    return spec


DENY_THE_REST = [
    {"name": "*", "action": "deny"},
    {"name": "*", "peer": "gke-euw1", "action": "deny"},
    {"name": "*", "peer": "gke-usc1", "action": "deny"},
]


def test_callers_are_sources_by_name_local_and_from_every_peer_then_everybody_else_is_denied() -> None:
    spec = intentions(shop(AccessRule([Caller("storefront", "shop")])))
    assert spec == {
        "destination": {"name": "shop"},
        "sources": [
            {"name": "storefront", "action": "allow"},
            {"name": "storefront", "peer": "gke-euw1", "action": "allow"},
            {"name": "storefront", "peer": "gke-usc1", "action": "allow"},
            *DENY_THE_REST,
        ],
    }


def test_a_caller_of_one_cluster_is_local_or_that_peer() -> None:
    spec = intentions(shop(AccessRule([Caller("storefront", "shop", "eks-use1"), Caller("ops", "shop", "gke-usc1")])))
    assert spec["sources"] == [
        {"name": "storefront", "action": "allow"},
        {"name": "ops", "peer": "gke-usc1", "action": "allow"},
        *DENY_THE_REST,
    ]


def test_method_and_path_rules_are_permissions_merged_per_source() -> None:
    here = Caller("storefront", "shop", "eks-use1")
    spec = intentions(
        shop(
            AccessRule([here], methods=["GET"], paths=["/api/*", "/healthz"]),
            AccessRule([here], methods=["POST"], paths=["/api/orders"]),
            AccessRule([Caller("ops", "shop", "eks-use1")], methods=["DELETE"]),
        )
    )
    deny = {"action": "deny", "http": {"pathPrefix": "/"}}
    assert spec["sources"] == [
        {
            "name": "storefront",
            "permissions": [
                {"action": "allow", "http": {"pathPrefix": "/api/", "methods": ["GET"]}},
                {"action": "allow", "http": {"pathExact": "/healthz", "methods": ["GET"]}},
                {"action": "allow", "http": {"pathExact": "/api/orders", "methods": ["POST"]}},
                deny,
            ],
        },
        {"name": "ops", "permissions": [{"action": "allow", "http": {"methods": ["DELETE"]}}, deny]},
        *DENY_THE_REST,
    ]


def test_a_caller_allowed_everything_by_one_rule_needs_no_permissions() -> None:
    here = Caller("storefront", "shop", "eks-use1")
    spec = intentions(shop(AccessRule([here], methods=["GET"]), AccessRule([here])))
    assert spec["sources"][0] == {"name": "storefront", "action": "allow"}


def test_fails_on_a_caller_from_another_namespace() -> None:
    with pytest.raises(Exception) as caught:
        intentions(shop(AccessRule([Caller("checkout", "pay"), Caller("storefront", "shop")])))
    assert str(caught.value).endswith(
        "access for shop: Consul cannot tell pay/checkout apart from services of the same name in other namespaces: its "
        "identities are service names (with ACLs, the service account's name), and the free edition puts every Kubernetes "
        "namespace's services in one Consul namespace; declare callers of namespace 'shop', where the names are the team's own"
    )


def test_fails_on_method_and_path_rules_for_a_service_not_declared_http() -> None:
    with pytest.raises(Exception) as caught:
        intentions(shop(AccessRule([Caller("storefront", "shop")], paths=["/api/*"]), http_protocol=False))
    assert str(caught.value).endswith(
        "access for shop: Consul applies method and path rules only to a service whose protocol is http (ServiceDefaults), "
        "and refuses them on tcp, its default; route the service with meshfleet's service routing in this cluster (it "
        "declares http) and pass http_protocol=True, or drop the methods and paths"
    )
