"""docs/deploying.md: the permission files it hands users, checked against what the real program registers,
and its teardown facts (what protects the roots, what `pulumi destroy` leaves behind) against the program."""

from __future__ import annotations

import fnmatch
import json
import re
from collections.abc import Iterable
from typing import Any

import pytest
import yaml

from components.clusters.eks import CLUSTER_POLICIES, NODE_POLICIES
from components.clusters.gke import NODE_ROLES
from components.clusters.storage import EBS_CSI_POLICY
from components.simulation import PROJECT_DIR, Simulation
from tests.cloud_permissions import AWS_ACTIONS, GCP_PERMISSIONS, ROLE_PURPOSES
from tests.support import simulated

DOC = PROJECT_DIR / "docs" / "deploying.md"
AWS_POLICY = PROJECT_DIR / "docs" / "iam" / "aws-policy.json"
GCP_ROLE = PROJECT_DIR / "docs" / "iam" / "gcp-role.yaml"
CLOUD_TYPES = ("aws:", "gcp:", "pulumi:providers:aws", "pulumi:providers:gcp")
# Every optional cloud resource on: admin access entries and their policy associations (EKS).
ADMINS = ["arn:aws:iam::123456789012:role/platform-admins"]


def with_admins(clusters: list[dict[str, Any]]) -> list[dict[str, Any]]:
    for cluster in clusters:
        if cluster["cloud"] == "aws":
            cluster["create"]["adminPrincipalArns"] = ADMINS
    return clusters


STACK_FILES = sorted([*PROJECT_DIR.glob("Pulumi.*.yaml"), *(PROJECT_DIR / "examples" / "stacks").glob("Pulumi.*.yaml")])


@pytest.fixture(scope="module")
def runs() -> list[Simulation]:
    """Every stack file of the project and its examples as it is, and prod with every optional cloud
    resource turned on (EKS access entries for admins)."""
    stacks = [simulated(path.stem.removeprefix("Pulumi."), config_file=path) for path in STACK_FILES]
    clusters = yaml.safe_load((PROJECT_DIR / "Pulumi.prod.yaml").read_text())["config"]["meshfleet:clusters"]
    return [*stacks, simulated("prod", config={"meshfleet:clusters": with_admins(clusters)})]


def registered_cloud_types(runs: Iterable[Simulation]) -> set[str]:
    return {r.type for run in runs for r in run.resources if r.type.startswith(CLOUD_TYPES)}


def aws_grants(action: str, resource: str | None = None) -> list[dict[str, Any]]:
    """The Allow statements of the policy whose actions (IAM wildcards, case-insensitive) cover `action`,
    and whose resources cover `resource` when given."""
    found = []
    for statement in json.loads(AWS_POLICY.read_text())["Statement"]:
        actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
        resources = statement["Resource"] if isinstance(statement["Resource"], list) else [statement["Resource"]]
        if statement["Effect"] != "Allow" or not any(fnmatch.fnmatchcase(action.lower(), a.lower()) for a in actions):
            continue
        if resource is None or any(fnmatch.fnmatchcase(resource, r) for r in resources):
            found.append(statement)
    return found


def gcp_permissions() -> list[str]:
    permissions: list[str] = yaml.safe_load(GCP_ROLE.read_text())["includedPermissions"]
    return permissions


def test_every_cloud_type_the_program_registers_has_its_permissions_listed(runs: list[Simulation]) -> None:
    assert {"Pulumi.prod.yaml", "Pulumi.consul.yaml", "Pulumi.app-mesh-eks.yaml"} <= {p.name for p in STACK_FILES}
    types = registered_cloud_types(runs)
    assert {"aws:eks/accessEntry:AccessEntry", "aws:eks/cluster:Cluster", "gcp:container/nodePool:NodePool"} <= types
    unlisted = sorted(t for t in types if t not in AWS_ACTIONS and t not in GCP_PERMISSIONS)
    assert not unlisted, f"add these types to tests/cloud_permissions.py with the calls they make: {unlisted}"
    # and nothing listed that the program no longer registers (the files would grant more than needed)
    assert sorted({*AWS_ACTIONS, *GCP_PERMISSIONS} - types) == []


def test_the_aws_policy_grants_every_action_of_every_registered_aws_type(runs: list[Simulation]) -> None:
    missing = {
        f"{type_token}: {action}"
        for type_token in registered_cloud_types(runs)
        for action in AWS_ACTIONS.get(type_token, ())
        if not aws_grants(action)
    }
    assert sorted(missing) == []


def test_the_aws_policy_grants_nothing_no_registered_type_needs() -> None:
    needed = {action.lower() for actions in AWS_ACTIONS.values() for action in actions}
    for statement in json.loads(AWS_POLICY.read_text())["Statement"]:
        for pattern in statement["Action"]:
            assert any(fnmatch.fnmatchcase(action, pattern.lower()) for action in needed), f"{statement['Sid']}: {pattern}"


def test_the_aws_policy_is_a_policy_document_within_the_managed_policy_size() -> None:
    policy = json.loads(AWS_POLICY.read_text())
    assert policy["Version"] == "2012-10-17"
    sids = [s["Sid"] for s in policy["Statement"]]
    assert len(sids) == len(set(sids)) and all(re.fullmatch(r"[A-Za-z0-9]+", sid) for sid in sids)
    for statement in policy["Statement"]:
        assert set(statement) <= {"Sid", "Effect", "Action", "Resource", "Condition"} and statement["Effect"] == "Allow"
        assert all(re.fullmatch(r"[a-z0-9-]+:[A-Za-z0-9*]+", a) for a in statement["Action"]), statement["Sid"]
    # IAM counts a customer managed policy's size without whitespace; the limit is 6,144 characters.
    assert len(re.sub(r"\s", "", AWS_POLICY.read_text())) <= 6144


def test_role_actions_reach_only_the_roles_the_program_creates(runs: list[Simulation]) -> None:
    """IAM actions are scoped to `*-cluster-role-*` and `*-node-role-*`: every role the program creates has
    such a name once Pulumi adds its suffix, and no other role can be changed or passed."""
    role_actions = {action for action in AWS_ACTIONS["aws:iam/role:Role"] + ("iam:PassRole",)}
    for run in runs:
        for role in run.of_type("aws:iam/role:Role"):
            assert role.name.rsplit("-role", 1)[0].rsplit("-", 1)[1] in ROLE_PURPOSES, role.name
            arn = f"arn:aws:iam::123456789012:role/{role.name}-4f3a2b1"  # Pulumi's auto-name: logical name and a suffix
            for action in role_actions:
                assert aws_grants(action, arn), (action, arn)
    assert not aws_grants("iam:PassRole", "arn:aws:iam::123456789012:role/OrganizationAccountAccessRole")
    assert not aws_grants("iam:CreateRole", "arn:aws:iam::123456789012:role/admin")


def test_policies_can_be_attached_to_those_roles_only_if_they_are_the_eks_ones_the_program_attaches(runs: list[Simulation]) -> None:
    attached = {r.inputs["policyArn"] for run in runs for r in run.of_type("aws:iam/rolePolicyAttachment:RolePolicyAttachment")}
    assert attached == {*CLUSTER_POLICIES, *NODE_POLICIES, EBS_CSI_POLICY}
    [statement] = aws_grants("iam:AttachRolePolicy", "arn:aws:iam::123456789012:role/eks-use1-node-role-4f3a2b1")
    assert sorted(statement["Condition"]["ArnEquals"]["iam:PolicyARN"]) == sorted(attached)


def test_the_gcp_role_grants_every_permission_of_every_registered_gcp_type_and_nothing_else(runs: list[Simulation]) -> None:
    types = registered_cloud_types(runs)
    needed = {p for t in types for p in GCP_PERMISSIONS.get(t, ())}
    granted = gcp_permissions()
    assert sorted(needed - set(granted)) == [], "missing from docs/iam/gcp-role.yaml"
    assert sorted(set(granted) - needed) == [], "granted but needed by no registered type"
    assert granted == sorted(set(granted)), "sorted, each once"


def test_the_gcp_role_is_a_custom_role_definition_gcloud_accepts() -> None:
    role = yaml.safe_load(GCP_ROLE.read_text())
    assert set(role) == {"title", "description", "stage", "includedPermissions"}
    assert role["stage"] == "GA" and len(role["title"]) <= 100 and len(role["description"]) <= 256
    # Custom roles take no wildcards and at most 3,000 permissions.
    assert all(re.fullmatch(r"[a-z]+\.[A-Za-z]+\.[A-Za-z]+", p) for p in role["includedPermissions"])
    assert len(role["includedPermissions"]) <= 3000


def test_the_gke_node_roles_the_deployer_grants_are_the_ones_the_doc_names(runs: list[Simulation]) -> None:
    granted = {r.inputs["role"] for run in runs for r in run.of_type("gcp:projects/iAMMember:IAMMember")}
    assert granted == set(NODE_ROLES)
    doc = DOC.read_text()
    for role in NODE_ROLES:
        assert f"`{role}`" in doc, role


# --- the guide itself -----------------------------------------------------------------------------


def test_the_readme_links_the_guide_and_the_guide_links_its_files() -> None:
    assert "(docs/deploying.md)" in (PROJECT_DIR / "README.md").read_text()
    doc = DOC.read_text()
    for linked in re.findall(r"\]\(([^)#]+)\)", doc):
        if not linked.startswith("http"):
            assert (DOC.parent / linked).exists(), linked
    assert "(iam/aws-policy.json)" in doc and "(iam/gcp-role.yaml)" in doc


def test_prod_protects_its_generated_roots_and_the_guides_way_to_lift_it_unprotects_them(prod: Simulation) -> None:
    """The guide's teardown: `protectRoots: true` (prod) protects the root's key and certificate, which
    `pulumi destroy` refuses to delete; `protectRoots: false` and a `pulumi up` lift it."""
    protected = sorted(r.name for r in prod.resources if r.protect)
    assert protected == ["root-2026-cert", "root-2026-key"]
    lifted = simulated("prod", config={"meshfleet:trust": {**trust_of("Pulumi.prod.yaml"), "protectRoots": False}})
    assert [r.name for r in lifted.resources if r.protect] == []
    doc = DOC.read_text()
    assert "protectRoots: false" in doc and "pulumi state unprotect" in doc


def trust_of(stack_file: str) -> dict[str, Any]:
    trust: dict[str, Any] = yaml.safe_load((PROJECT_DIR / stack_file).read_text())["config"]["meshfleet:trust"]
    return trust


def test_what_destroy_leaves_behind_is_what_the_program_retains(prod: Simulation, linkerd: Simulation, consul: Simulation) -> None:
    """The guide says Linkerd's CRD release is retained on delete, and nothing else the program registers."""
    assert sorted(r.name for r in linkerd.resources if r.retain_on_delete) == [
        "eks-euc1-linkerd-crds",
        "eks-use1-linkerd-crds",
        "gke-usc1-linkerd-crds",
    ]
    assert [r.name for run in (prod, consul) for r in run.resources if r.retain_on_delete] == []
    assert "retainOnDelete" in DOC.read_text()
