"""`meshfleet:teams`: the app teams of the fleet, each with its namespaces and the identities that may edit
them, in every cluster (or the clusters it names).

What a team can be given is fixed here: edit rights inside its own namespaces, nothing cluster-scoped.
There is no setting for more; cluster-admin stays with `clusters[].create.adminPrincipalArns`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from .model import ClusterSpec
from .reader import DNS_LABEL, DNS_LABEL_HINT, Section, choice_list, quote

# Role ARNs only: an EKS access entry names a role or a user, and a team's people assume a role.
ROLE_ARN = re.compile(r"^arn:aws[a-z-]*:iam::\d{12}:role/[\w+=,.@/-]+$")
EMAIL = r"[^@\s:]+@[^@\s:]+\.[^@\s:]+"
GCP_MEMBER = re.compile(rf"^(group|user|serviceAccount):{EMAIL}$")
EXISTING_SUBJECT = re.compile(r"^(group|user):[^\s:][^\s]*$")
IDENTITY_KINDS = ("aws", "gcp", "existing")
IDENTITY_HINTS = {
    "aws": "IAM role ARNs, e.g. 'arn:aws:iam::123456789012:role/shop-deployers'",
    "gcp": "'group:<email>', 'user:<email>' or 'serviceAccount:<email>', e.g. 'group:shop-devs@example.com'",
    "existing": "'group:<name>' or 'user:<name>' as the cluster's authenticator names them, e.g. 'group:shop-devs'",
}
# Namespaces a team can never own: Kubernetes' own and the ones the fleet installs the mesh into
# (tests/test_teams.py checks the list against every namespace the example stacks create).
RESERVED_NAMESPACES = ("default", "istio-system", "linkerd", "linkerd-multicluster", "consul")


@dataclass(frozen=True)
class TeamSpec:
    name: str
    namespaces: tuple[str, ...]
    """Created in each of the team's clusters, labelled to join the mesh. Required."""
    clusters: tuple[str, ...]
    """Where the team works. Default: every cluster of the fleet."""
    aws_role_arns: tuple[str, ...] = ()
    """`identities.aws`: IAM roles given EKS access entries scoped to the namespaces (created EKS clusters)."""
    gcp_members: tuple[str, ...] = ()
    """`identities.gcp`: Google groups, users or service accounts bound by RBAC (created GKE clusters)."""
    existing_subjects: tuple[str, ...] = ()
    """`identities.existing`: users or groups bound by RBAC on adopted clusters."""
    delete_namespaces_on_removal: bool = False
    """Removing the team deletes its namespaces, and every workload in them. Default: false, the namespaces
    stay (the fleet stops managing them); only the team's rights go."""
    config_key: str = ""

    def identities(self, cloud: str) -> tuple[str, ...]:
        return {"aws": self.aws_role_arns, "gcp": self.gcp_members, "existing": self.existing_subjects}[cloud]


def parse_teams(root: Section, clusters: Mapping[str, ClusterSpec]) -> tuple[TeamSpec, ...]:
    teams: list[TeamSpec] = []
    owners: dict[str, str] = {}
    principals: dict[str, str] = {}
    for key, item in root.items("teams"):
        team = _team(Section(item, key, root.problems), clusters)
        if team is None:
            continue
        if any(t.name == team.name for t in teams):
            root.problems.add(f"{key}.name", f"{quote(team.name)} is already the name of another team; team names must be unique")
            continue
        for namespace in team.namespaces:
            if namespace in owners:
                root.problems.add(
                    f"{key}.namespaces",
                    f"{quote(namespace)} already belongs to team {quote(owners[namespace])}; a namespace has one owning team",
                )
            owners.setdefault(namespace, team.name)
        for arn in team.aws_role_arns:
            # One EKS access entry per principal and cluster: a role shared by two teams would get one's scope.
            if arn in principals:
                root.problems.add(
                    f"{key}.identities.aws",
                    f"{quote(arn)} is already an identity of team {quote(principals[arn])}; give each team its own role",
                )
            principals.setdefault(arn, team.name)
        _check_admins(root, key, team, clusters)
        teams.append(team)
    return tuple(teams)


def _team(s: Section, clusters: Mapping[str, ClusterSpec]) -> TeamSpec | None:
    s.reject_unknown(["name", "namespaces", "clusters", "identities", "deleteNamespacesOnRemoval"])
    name = s.dns_label("name", s.string("name", required="a DNS label naming the team, e.g. 'shop'"), "team name")
    namespaces = s.strings("namespaces") or ()
    if not s.has("namespaces"):
        s.problem("namespaces", "is required; the namespaces the team owns in every cluster, e.g. ['shop']")
    elif not namespaces and s.raw.get("namespaces") == []:
        s.problem("namespaces", "is empty; a team owns at least one namespace")
    for i, namespace in enumerate(namespaces):
        if not DNS_LABEL.match(namespace):
            s.problems.add(f"{s.child_key('namespaces')}[{i}]", f"{quote(namespace)} is not a valid namespace name: use {DNS_LABEL_HINT}")
        elif namespace in RESERVED_NAMESPACES or namespace.startswith("kube-"):
            s.problems.add(
                f"{s.child_key('namespaces')}[{i}]",
                f"{quote(namespace)} is Kubernetes' or the mesh's own namespace; a team owns namespaces of its own",
            )
    if len(set(namespaces)) != len(namespaces):
        s.problem("namespaces", "lists a namespace twice")
    where = s.strings("clusters", tuple(clusters)) or ()
    unknown = [c for c in where if c not in clusters]
    if unknown:
        s.problem("clusters", f"names no cluster of the fleet: {choice_list(unknown)}; clusters: {choice_list(clusters)}")
    identities = s.section("identities")
    identities.reject_unknown(IDENTITY_KINDS)
    found = {kind: _identities(identities, kind) for kind in IDENTITY_KINDS}
    for kind in IDENTITY_KINDS:
        needing = [c for c in where if c in clusters and _identity_kind(clusters[c]) == kind]
        if needing and not found[kind]:
            identities.problem(
                kind,
                f"is required: the team works on {choice_list(needing)}, which authenticate {IDENTITY_HINTS[kind]}; "
                "without one nobody of the team could use its namespaces there",
            )
    groups = [m for m in found["gcp"] if m.startswith("group:")]
    unready = [c for c in where if c in clusters and _identity_kind(clusters[c]) == "gcp" and not _has_groups_for_rbac(clusters[c])]
    if groups and unready:
        identities.problem(
            "gcp",
            f"binds Google groups ({choice_list(groups)}) on {choice_list(unready)}, which have no Google Groups for RBAC; "
            "set clusters[].create.rbacSecurityGroup to 'gke-security-groups@<your domain>' there, or name users and service accounts",
        )
    if name is None:
        return None
    return TeamSpec(
        name=name,
        namespaces=tuple(namespaces),
        clusters=tuple(c for c in where if c in clusters),
        aws_role_arns=found["aws"],
        gcp_members=found["gcp"],
        existing_subjects=found["existing"],
        delete_namespaces_on_removal=s.boolean("deleteNamespacesOnRemoval", False),
        config_key=s.key,
    )


def _identity_kind(cluster: ClusterSpec) -> str:
    """Which identities a cluster's API server knows: IAM on created EKS, Google on created GKE, its own otherwise."""
    return cluster.cloud if cluster.create is not None else "existing"


def _has_groups_for_rbac(cluster: ClusterSpec) -> bool:
    return getattr(cluster.create, "rbac_security_group", None) is not None


def _identities(s: Section, kind: str) -> tuple[str, ...]:
    values = s.strings(kind) or ()
    pattern = {"aws": ROLE_ARN, "gcp": GCP_MEMBER, "existing": EXISTING_SUBJECT}[kind]
    for i, value in enumerate(values):
        if not pattern.match(value):
            s.problems.add(f"{s.child_key(kind)}[{i}]", f"{quote(value)} is not one of {IDENTITY_HINTS[kind]}")
    if len(set(values)) != len(values):
        s.problem(kind, "lists an identity twice")
    return values


def _check_admins(root: Section, key: str, team: TeamSpec, clusters: Mapping[str, ClusterSpec]) -> None:
    """A principal has one access entry per EKS cluster: a team role that is also a cluster admin there would
    be two entries for one principal (and keep cluster-admin)."""
    for cluster in team.clusters:
        create = clusters[cluster].create
        admins = getattr(create, "admin_principal_arns", ())
        for arn in team.aws_role_arns:
            if arn in admins:
                root.problems.add(
                    f"{key}.identities.aws",
                    f"{quote(arn)} is a cluster admin of {quote(cluster)} (clusters[].create.adminPrincipalArns); "
                    "a team's role must not be a platform admin",
                )
