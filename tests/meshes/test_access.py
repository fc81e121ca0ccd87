"""Access rules above the mesh modules (meshfleet_appteam/access.py): the fleet's `mesh.defaultAccess`, the
mesh-neutral arguments app teams write, and what each mesh declares it can express."""

from __future__ import annotations

from typing import Any

import pytest

from components.meshes import AVAILABLE, AccessRule, Caller, ServiceAccessArgs, mesh_for
from meshfleet_appteam.access import METHODS
from tests.support import FakeEnvironment, prod_problems, prod_raw

FLEET = ("eks-use1", "eks-usw2", "gke-euw1")


def access(*rules: AccessRule, **changes: Any) -> ServiceAccessArgs:
    fields: dict[str, Any] = {
        "service": "shop",
        "namespace": "shop",
        "rules": rules,
        "trust_domain": "prod.meshfleet.internal",
        "cluster": "eks-use1",
        "clusters": FLEET,
    }
    fields.update(changes)
    return ServiceAccessArgs(**fields)


# --- the fleet setting -------------------------------------------------------------------------------


def test_default_access_is_allow_and_deny_is_asked_for_by_name() -> None:
    from components.config import RawConfig
    from components.fleet import validate_fleet

    spec, _ = validate_fleet(RawConfig(**prod_raw()), FakeEnvironment())
    assert spec.mesh.default_access == "allow"
    raw = prod_raw()
    raw["mesh"]["defaultAccess"] = "deny"
    spec, _ = validate_fleet(RawConfig(**raw), FakeEnvironment())
    assert spec.mesh.default_access == "deny"


def test_fails_on_an_unknown_default_access() -> None:
    def mutate(raw: dict[str, Any]) -> None:
        raw["mesh"]["defaultAccess"] = "block"

    assert prod_problems(mutate) == ["meshfleet:mesh.defaultAccess: 'block' is not supported; use one of 'allow', 'deny'"]


def test_fails_on_deny_with_permissive_mtls() -> None:
    def mutate(raw: dict[str, Any]) -> None:
        raw["mesh"].update(defaultAccess="deny", mtls="PERMISSIVE")

    assert prod_problems(mutate) == [
        "meshfleet:mesh.defaultAccess: 'deny' lets through only declared callers, which every mesh knows by their mTLS "
        "identity, so the plain-text callers that mtls 'PERMISSIVE' admits would be refused anyway; set mtls: STRICT, or "
        "keep defaultAccess 'allow' until every caller is in the mesh"
    ]


def test_fails_on_a_misspelt_default_access_key() -> None:
    def mutate(raw: dict[str, Any]) -> None:
        raw["mesh"]["defaultAcces"] = "deny"

    [problem] = prod_problems(mutate)
    assert problem.startswith("meshfleet:mesh.defaultAcces: unknown setting; did you mean 'defaultAccess'? ")


# --- what app teams write ----------------------------------------------------------------------------


def test_callers_are_listed_once_in_rule_order() -> None:
    web, ops = Caller("web", "shop"), Caller("ops", "tools", "eks-use1")
    args = access(AccessRule([web, ops]), AccessRule([web], methods=["GET"]))
    assert args.callers == [web, ops]
    assert [str(c) for c in args.callers] == ["shop/web", "tools/ops in cluster 'eks-use1'"]
    assert args.pod_selector == {"app": "shop"} and args.pod_port == 80


def test_fails_on_rules_that_no_mesh_could_read() -> None:
    with pytest.raises(ValueError) as caught:
        access(
            AccessRule([Caller("Web!", "shop"), Caller("web", "shop", "aks-1")], methods=["get"], paths=["api", "/a/*/b"]),
            AccessRule([]),
        )
    assert str(caught.value) == (
        "access for shop: rules[0]: shop/Web! is not a service account name in a namespace name; "
        "rules[0]: shop/web in cluster 'aks-1' names a cluster outside the fleet; clusters: eks-use1, eks-usw2, gke-euw1; "
        f"rules[0]: method 'get' is not one of {', '.join(METHODS)}; "
        "rules[0]: path 'api' is neither an exact path ('/orders') nor a prefix ending in '/*' ('/api/*'); "
        "rules[0]: path '/a/*/b' is neither an exact path ('/orders') nor a prefix ending in '/*' ('/api/*'); "
        "rules[1] names no caller"
    )


def test_fails_without_rules() -> None:
    with pytest.raises(ValueError) as caught:
        access()
    assert str(caught.value) == "access for shop: no rules: declare at least one caller (a service nobody may call needs no mesh rule)"


# --- what each mesh can say about where a caller runs --------------------------------------------------


@pytest.mark.parametrize(("mesh", "remote", "pinned"), [("istio", True, False), ("linkerd", False, True), ("consul", True, True)])
def test_every_mesh_declares_what_its_identities_express(mesh: str, remote: bool, pinned: bool) -> None:
    support = mesh_for(mesh).access
    assert (support.remote_callers, support.cluster_callers) == (remote, pinned)
    assert support.summary
    assert sorted(AVAILABLE) == ["consul", "istio", "linkerd"]
