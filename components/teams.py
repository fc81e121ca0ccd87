"""App teams in every cluster: their namespaces, in the mesh, and edit rights in those namespaces only.

How a team's identity reaches a cluster depends on who authenticates it: created EKS clusters know IAM
roles through access entries (AmazonEKSEditPolicy scoped to the namespaces), created GKE clusters and
adopted clusters know users and groups, bound by RoleBindings to the built-in `edit` ClusterRole in each
namespace. Nothing here binds anything cluster-wide.

Removing a team removes its grants. Its namespaces are created with `retain_on_delete` unless the team
says `deleteNamespacesOnRemoval: true`: the workloads in them are the team's, not the fleet's to delete.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import cast

import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as k8s

from . import naming
from .clusters import Cluster
from .clusters.eks import EksCluster
from .config import TeamSpec

EDIT_POLICY = "arn:aws:eks::aws:cluster-access-policy/AmazonEKSEditPolicy"
EDIT_CLUSTER_ROLE = "edit"
TEAM_LABEL = "meshfleet.io/team"
RBAC_GROUP = "rbac.authorization.k8s.io"


@dataclass(frozen=True)
class MeshMembership:
    """What puts a namespace in the fleet's mesh (the contract's `injectionLabel` and `injectionAnnotations`)."""

    labels: pulumi.Input[Mapping[str, str]]
    annotations: pulumi.Input[Mapping[str, str]]

    @classmethod
    def of(cls, fleet_outputs: Mapping[str, pulumi.Input[object]]) -> MeshMembership:
        """From a mesh deployment's `fleet_outputs()`, the same values the contract publishes."""
        return cls(
            cast(pulumi.Input[Mapping[str, str]], fleet_outputs["injectionLabel"]),
            cast(pulumi.Input[Mapping[str, str]], fleet_outputs["injectionAnnotations"]),
        )


def rbac_subject(identity: str) -> k8s.rbac.v1.SubjectArgs:
    """`group:<name>` is an RBAC Group; `user:<name>` and GKE's `serviceAccount:<email>` authenticate as a User."""
    kind, _, name = identity.partition(":")
    return k8s.rbac.v1.SubjectArgs(kind="Group" if kind == "group" else "User", name=name, api_group=RBAC_GROUP)


class TeamAccess(pulumi.ComponentResource):
    """One team in one cluster: its namespaces and its identities' edit rights in them."""

    def __init__(self, team: TeamSpec, cluster: Cluster, mesh: MeshMembership, opts: pulumi.ResourceOptions | None = None) -> None:
        name = naming.child(cluster.spec.name, "team", team.name)
        super().__init__("meshfleet:teams:TeamAccess", name, None, opts)
        in_cluster = pulumi.ResourceOptions(parent=self, provider=cluster.provider)
        self.namespaces = [
            k8s.core.v1.Namespace(
                naming.child(name, "ns", namespace),
                metadata=k8s.meta.v1.ObjectMetaArgs(
                    name=namespace,
                    labels=pulumi.Output.from_input(mesh.labels).apply(lambda labels: {**labels, TEAM_LABEL: team.name}),
                    annotations=pulumi.Output.from_input(mesh.annotations).apply(lambda annotations: dict(annotations) or None),
                ),
                opts=pulumi.ResourceOptions.merge(
                    in_cluster, pulumi.ResourceOptions(retain_on_delete=not team.delete_namespaces_on_removal)
                ),
            )
            for namespace in team.namespaces
        ]
        if isinstance(cluster.component, EksCluster):
            self._access_entries(name, team, cluster.component)
        else:
            identities = team.gcp_members if cluster.spec.cloud == "gcp" and cluster.spec.create is not None else team.existing_subjects
            self._role_bindings(name, team, identities, in_cluster)
        self.register_outputs({"namespaces": list(team.namespaces)})

    def _access_entries(self, name: str, team: TeamSpec, eks: EksCluster) -> None:
        opts = pulumi.ResourceOptions(parent=self, provider=eks.aws_provider)
        for arn in team.aws_role_arns:
            account, role = arn.split(":")[4], arn.rsplit("/", 1)[-1]
            entry = aws.eks.AccessEntry(
                naming.child(name, "eks", account, role), cluster_name=eks.eks_name, principal_arn=arn, type="STANDARD", opts=opts
            )
            aws.eks.AccessPolicyAssociation(
                naming.child(name, "eks", account, role, "edit"),
                cluster_name=eks.eks_name,
                principal_arn=entry.principal_arn,
                policy_arn=EDIT_POLICY,
                access_scope=aws.eks.AccessPolicyAssociationAccessScopeArgs(type="namespace", namespaces=list(team.namespaces)),
                opts=opts,
            )

    def _role_bindings(self, name: str, team: TeamSpec, identities: tuple[str, ...], opts: pulumi.ResourceOptions) -> None:
        for namespace, created in zip(team.namespaces, self.namespaces, strict=True):
            k8s.rbac.v1.RoleBinding(
                naming.child(name, "edit", namespace),
                metadata=k8s.meta.v1.ObjectMetaArgs(
                    name=f"meshfleet-team-{team.name}", namespace=namespace, labels={TEAM_LABEL: team.name}
                ),
                role_ref=k8s.rbac.v1.RoleRefArgs(api_group=RBAC_GROUP, kind="ClusterRole", name=EDIT_CLUSTER_ROLE),
                subjects=[rbac_subject(identity) for identity in identities],
                opts=pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(depends_on=[created])),
            )


def build_teams(
    teams: tuple[TeamSpec, ...], clusters: Mapping[str, Cluster], mesh: MeshMembership, opts: pulumi.ResourceOptions
) -> dict[str, dict[str, object]]:
    """Every team in each of its clusters; returns the contract's `teams`: each team's namespaces per cluster
    (no identities: the contract carries no credentials, and app teams know their own)."""
    for team in teams:
        for cluster in team.clusters:
            TeamAccess(team, clusters[cluster], mesh, opts)
    return {team.name: {"name": team.name, "namespaces": {cluster: list(team.namespaces) for cluster in team.clusters}} for team in teams}
