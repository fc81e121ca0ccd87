"""Access on Istio (components/meshes/istio/access.py, meshfleet_appteam/istio/access.py): the fleet's deny default and app teams' callers."""

from __future__ import annotations

from typing import Any

import pytest

from components.meshes import AccessRule, Caller, ServiceAccessArgs
from components.simulation import Simulation
from tests.meshes.helpers import depends_on, release, run_access
from tests.support import PRIMARY_REMOTE, prod_raw, raw_config, simulated

POLICY = "kubernetes:security.istio.io/v1:AuthorizationPolicy"
PRIMARIES = ("eks-use1", "eks-usw2", "gke-euw1")


def with_default(stack: str, mesh: dict[str, Any], default: str, **kwargs: Any) -> Simulation:
    mesh["defaultAccess"] = default
    return simulated(stack, config={"meshfleet:mesh": mesh}, **kwargs)


@pytest.fixture(scope="module")
def denying() -> Simulation:
    return with_default("prod", prod_raw()["mesh"], "deny")


def test_allow_by_default_writes_no_authorization_policy(prod: Simulation) -> None:
    assert prod.of_type(POLICY) == []


@pytest.mark.parametrize("cluster", PRIMARIES)
def test_deny_is_allow_nothing_in_the_root_namespace_with_the_east_west_gateway_exempt(denying: Simulation, cluster: str) -> None:
    deny = denying.named(f"{cluster}-allow-nothing", POLICY)
    assert deny.inputs["metadata"] == {"name": "allow-nothing", "namespace": "istio-system"}
    assert deny.inputs.get("spec", {}) == {}
    gateway = denying.named(f"{cluster}-eastwest-allow", POLICY)
    assert gateway.inputs["metadata"] == {"name": "eastwest-gateway-allow-all", "namespace": "istio-system"}
    assert gateway.inputs["spec"] == {"selector": {"matchLabels": {"istio": "eastwestgateway"}}, "action": "ALLOW", "rules": [{}]}
    # The labels the gateway chart gives the east-west gateway's pods.
    assert release(denying, cluster, "istio-eastwestgateway").inputs["values"]["labels"] == {"istio": "eastwestgateway"}
    for policy in (deny, gateway):
        assert policy.provider.endswith(f"::{cluster}-k8s"), policy.urn
        assert depends_on(denying, policy, release(denying, cluster, "istio-base")), f"{policy.urn}: needs the CRDs"
    assert depends_on(denying, deny, gateway), f"{deny.urn}: the gateway's exemption comes first, or cross-cluster calls fail meanwhile"


def test_deny_goes_where_istiod_reads_config() -> None:
    sim = with_default("primary-remote", raw_config(PRIMARY_REMOTE)["mesh"], "deny", config_file=PRIMARY_REMOTE)
    assert sorted(r.name for r in sim.of_type(POLICY)) == ["gke-usc1-allow-nothing", "gke-usc1-eastwest-allow"]


# --- app teams' callers -------------------------------------------------------------------------------


def shop(*rules: AccessRule, **changes: Any) -> ServiceAccessArgs:
    fields: dict[str, Any] = dict(
        service="shop",
        namespace="shop",
        rules=rules,
        trust_domain="prod.meshfleet.internal",
        cluster="eks-use1",
        clusters=PRIMARIES,
        selector={"app": "shop", "tier": "web"},
    )
    fields.update(changes)
    return ServiceAccessArgs(**fields)


def test_callers_are_one_allow_policy_with_principals_from_the_trust_domain() -> None:
    args = shop(
        AccessRule([Caller("storefront", "shop"), Caller("checkout", "pay")]),
        AccessRule([Caller("ops", "tools")], methods=["GET"], paths=["/healthz", "/api/*"]),
    )
    sim = run_access("istio", args)
    [policy] = sim.of_type(POLICY)
    assert policy.name == "eks-use1-shop-access-callers"
    assert policy.parent.endswith("meshfleet:istio:ServiceAccess::eks-use1-shop-access")
    assert policy.inputs["metadata"] == {"name": "shop", "namespace": "shop"}
    assert policy.inputs["spec"] == {
        "selector": {"matchLabels": {"app": "shop", "tier": "web"}},
        "action": "ALLOW",
        "rules": [
            {
                "from": [
                    {
                        "source": {
                            "principals": ["prod.meshfleet.internal/ns/shop/sa/storefront", "prod.meshfleet.internal/ns/pay/sa/checkout"]
                        }
                    }
                ]
            },
            {
                "from": [{"source": {"principals": ["prod.meshfleet.internal/ns/tools/sa/ops"]}}],
                "to": [{"operation": {"methods": ["GET"], "paths": ["/healthz", "/api/*"]}}],
            },
        ],
    }


def test_the_same_rule_is_the_same_policy_in_every_cluster() -> None:
    rule = AccessRule([Caller("storefront", "shop")])
    specs = [run_access("istio", shop(rule, cluster=c), c).of_type(POLICY)[0].inputs["spec"] for c in PRIMARIES]
    assert specs[0] == specs[1] == specs[2]


def test_fails_on_a_caller_pinned_to_one_cluster() -> None:
    with pytest.raises(Exception) as caught:
        run_access("istio", shop(AccessRule([Caller("storefront", "shop", "eks-usw2"), Caller("ops", "tools")])))
    assert "access for shop: Istio cannot admit a caller from one cluster only (shop/storefront in cluster 'eks-usw2'): its " in str(
        caught.value
    )
    assert str(caught.value).endswith(
        "principal `prod.meshfleet.internal/ns/<namespace>/sa/<account>` is the same in every cluster of the fleet and names "
        "none; declare the caller without a cluster (it is then admitted from every cluster)"
    )
