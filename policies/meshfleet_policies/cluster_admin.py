"""Cluster-admin belongs to the platform: no grant of it to anyone the pack's config does not name.

The fleet grants cluster-admin only to `clusters[].create.adminPrincipalArns` (EKS access entries with
AmazonEKSClusterAdminPolicy, cluster scope); app teams (`meshfleet:teams`) get `edit` in their namespaces
and nothing cluster-wide. This policy catches the grant that slips in anyway: an admin principal nobody
listed, a team role pasted into the admin list, or a ClusterRoleBinding to `cluster-admin` added by
another component. `platformPrincipals` lists the platform's IAM principal ARNs and RBAC subjects
(`group:<name>`, `user:<name>`, `serviceAccount:<namespace>/<name>`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pulumi_policy import PolicyConfigSchema, ReportViolation, ResourceValidationArgs, ResourceValidationPolicy

from .resources import known_values, resources_to_check

EKS_ASSOCIATION = "aws:eks/accessPolicyAssociation:AccessPolicyAssociation"
CLUSTER_ROLE_BINDING = "kubernetes:rbac.authorization.k8s.io/v1:ClusterRoleBinding"
EKS_CLUSTER_ADMIN = "arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy"
CLUSTER_ADMIN = "cluster-admin"
FIX = "grant cluster-admin only to the platform's principals (policy config `platformPrincipals`); give app teams `meshfleet:teams`"


def rbac_subject_name(subject: Mapping[str, Any]) -> str:
    kind = str(subject.get("kind", ""))
    if kind == "ServiceAccount":
        return f"serviceAccount:{subject.get('namespace')}/{subject.get('name')}"
    return f"{kind[:1].lower()}{kind[1:]}:{subject.get('name')}"


def _validate(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    allowed = set(args.get_config().get("platformPrincipals") or [])
    for resource in resources_to_check(args):
        props, unknown = known_values(resource.props)
        if unknown:
            continue
        if resource.type == EKS_ASSOCIATION and props.get("policyArn") == EKS_CLUSTER_ADMIN:
            scope = (props.get("accessScope") or {}).get("type")
            principal = props.get("principalArn")
            if scope == "cluster" and principal not in allowed:
                report_violation(f"{resource.name} makes {principal} cluster-admin of EKS cluster {props.get('clusterName')}; {FIX}", None)
        elif resource.type == CLUSTER_ROLE_BINDING and (props.get("roleRef") or {}).get("name") == CLUSTER_ADMIN:
            strangers = [name for name in map(rbac_subject_name, props.get("subjects") or []) if name not in allowed]
            if strangers:
                report_violation(f"{resource.name} binds cluster-admin to {', '.join(strangers)}; {FIX}", None)


cluster_admin_only_platform = ResourceValidationPolicy(
    name="cluster-admin-only-platform",
    description="Cluster-admin is granted only to the platform's principals (EKS access policies and ClusterRoleBindings).",
    validate=_validate,
    config_schema=PolicyConfigSchema(properties={"platformPrincipals": {"type": "array", "items": {"type": "string"}, "default": []}}),
)
