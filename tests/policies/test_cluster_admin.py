"""cluster-admin-only-platform (policies/meshfleet_policies/cluster_admin.py): cluster-admin goes to the
platform's principals only, whatever grants it."""

from __future__ import annotations

from typing import Any

import pulumi
import pulumi_kubernetes as k8s

from components.simulation import simulate
from components.simulation.policy_check import evaluate
from tests.policies.helpers import messages
from tests.policies.test_policy_pack import PROD_CONFIG
from tests.support import prod_raw, simulated
from tests.test_teams import SHOP, prod_clusters

POLICY = "cluster-admin-only-platform"
PLATFORM = "arn:aws:iam::123456789012:role/platform-admins"
STRANGER = "arn:aws:iam::123456789012:role/contractor"


def with_admins(*arns: str) -> Any:
    clusters = prod_raw()["clusters"]
    clusters[0]["create"]["adminPrincipalArns"] = list(arns)
    return simulated("prod", config={"meshfleet:clusters": clusters})


def config(*principals: str) -> dict[str, Any]:
    return {**PROD_CONFIG, POLICY: {"platformPrincipals": list(principals)}}


def test_the_platforms_admins_pass() -> None:
    assert messages(evaluate(with_admins(PLATFORM), config(PLATFORM)), POLICY) == []


def test_catches_an_eks_admin_the_platform_does_not_list() -> None:
    assert messages(evaluate(with_admins(PLATFORM, STRANGER), config(PLATFORM)), POLICY) == [
        f"mandatory: eks-use1-admin-1-policy makes {STRANGER} cluster-admin of EKS cluster eks-use1; grant cluster-admin only to the "
        "platform's principals (policy config `platformPrincipals`); give app teams `meshfleet:teams`"
    ]


def test_catches_a_cluster_role_binding_to_cluster_admin() -> None:
    def extra(scope: dict[str, Any]) -> None:
        k8s.rbac.v1.ClusterRoleBinding(
            "gke-euw1-shop-admins",
            metadata=k8s.meta.v1.ObjectMetaArgs(name="shop-admins"),
            role_ref=k8s.rbac.v1.RoleRefArgs(api_group="rbac.authorization.k8s.io", kind="ClusterRole", name="cluster-admin"),
            subjects=[
                k8s.rbac.v1.SubjectArgs(kind="Group", name="platform@example.com", api_group="rbac.authorization.k8s.io"),
                k8s.rbac.v1.SubjectArgs(kind="Group", name="shop-devs@example.com", api_group="rbac.authorization.k8s.io"),
                k8s.rbac.v1.SubjectArgs(kind="ServiceAccount", name="deployer", namespace="shop"),
            ],
            opts=pulumi.ResourceOptions(provider=scope["fleet"].clusters["gke-euw1"].provider),
        )

    report = evaluate(simulate("prod", then=extra), config("group:platform@example.com"))
    assert messages(report, POLICY) == [
        "mandatory: gke-euw1-shop-admins binds cluster-admin to group:shop-devs@example.com, serviceAccount:shop/deployer; grant "
        "cluster-admin only to the platform's principals (policy config `platformPrincipals`); give app teams `meshfleet:teams`"
    ]


def test_a_fleet_with_teams_grants_no_cluster_admin() -> None:
    teams = simulated("prod", config={"meshfleet:clusters": prod_clusters(), "meshfleet:teams": [SHOP]})
    assert evaluate(teams, PROD_CONFIG).violations == []
