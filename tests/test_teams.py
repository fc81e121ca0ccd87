"""App teams as fleet config (components/config/teams.py, components/teams.py): namespaces in the mesh and
edit rights in them only, on EKS, GKE and adopted clusters; removal; what the contract says."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from components.config.teams import RESERVED_NAMESPACES
from components.simulation import PROJECT_DIR, Simulation, simulate
from components.simulation.recorder import Recorded
from meshfleet_contract import TeamRecord, parse_contract
from tests.support import LINKERD, prod_problems, prod_raw, raw_config, simulated

SHOP_ROLE = "arn:aws:iam::123456789012:role/shop-deployers"
SHOP = {
    "name": "shop",
    "namespaces": ["shop", "shop-jobs"],
    "identities": {
        "aws": [SHOP_ROLE],
        "gcp": ["group:shop-devs@example.com", "serviceAccount:shop-ci@example-mesh-prod.iam.gserviceaccount.com"],
    },
}
SEARCH = {
    "name": "search",
    "namespaces": ["search"],
    "clusters": ["gke-euw1"],
    "identities": {"gcp": ["user:ana@example.com"]},
    "deleteNamespacesOnRemoval": True,
}
EKS = ("eks-use1", "eks-usw2")
ACCESS_ENTRY = "aws:eks/accessEntry:AccessEntry"
ASSOCIATION = "aws:eks/accessPolicyAssociation:AccessPolicyAssociation"
ROLE_BINDING = "kubernetes:rbac.authorization.k8s.io/v1:RoleBinding"
NAMESPACE = "kubernetes:core/v1:Namespace"


def prod_clusters() -> list[dict[str, Any]]:
    clusters: list[dict[str, Any]] = prod_raw()["clusters"]
    gke = next(c for c in clusters if c["name"] == "gke-euw1")
    gke["create"]["rbacSecurityGroup"] = "gke-security-groups@example.com"
    return clusters


def prod_with_teams(*teams: dict[str, Any]) -> Simulation:
    return simulated("prod", config={"meshfleet:clusters": prod_clusters(), "meshfleet:teams": list(teams)})


@pytest.fixture(scope="module")
def teams() -> Simulation:
    return prod_with_teams(SHOP, SEARCH)


def team_resources(sim: Simulation) -> list[Recorded]:
    return [r for r in sim.resources if "-team-" in r.name]


# --- EKS: access entries scoped to the namespaces ----------------------------------------------------


@pytest.mark.parametrize("cluster", EKS)
def test_on_eks_the_teams_role_gets_an_access_entry_with_edit_in_its_namespaces_only(teams: Simulation, cluster: str) -> None:
    name = f"{cluster}-team-shop-eks-123456789012-shop-deployers"
    entry = teams.named(name, ACCESS_ENTRY)
    assert entry.inputs == {"clusterName": cluster, "principalArn": SHOP_ROLE, "type": "STANDARD"}
    association = teams.named(f"{name}-edit", ASSOCIATION)
    assert association.inputs == {
        "clusterName": cluster,
        "principalArn": SHOP_ROLE,
        "policyArn": "arn:aws:eks::aws:cluster-access-policy/AmazonEKSEditPolicy",
        "accessScope": {"type": "namespace", "namespaces": ["shop", "shop-jobs"]},
    }
    # The cluster's own AWS provider (its region), never an ambient default.
    assert association.provider == entry.provider == teams.named(f"{cluster}-aws").urn
    assert not [r for r in team_resources(teams) if r.type == ROLE_BINDING and r.name.startswith(cluster)]


# --- GKE and adopted clusters: RoleBindings to `edit` in each namespace --------------------------------


def test_on_gke_groups_users_and_service_accounts_are_bound_to_edit_in_each_namespace(teams: Simulation) -> None:
    for namespace in ("shop", "shop-jobs"):
        binding = teams.named(f"gke-euw1-team-shop-edit-{namespace}", ROLE_BINDING)
        assert binding.inputs == {
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "kind": "RoleBinding",
            "metadata": {"name": "meshfleet-team-shop", "namespace": namespace, "labels": {"meshfleet.io/team": "shop"}},
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "edit"},
            "subjects": [
                {"kind": "Group", "name": "shop-devs@example.com", "apiGroup": "rbac.authorization.k8s.io"},
                {"kind": "User", "name": "shop-ci@example-mesh-prod.iam.gserviceaccount.com", "apiGroup": "rbac.authorization.k8s.io"},
            ],
        }
        assert binding.provider == teams.named("gke-euw1-k8s").urn
    search = teams.named("gke-euw1-team-search-edit-search", ROLE_BINDING)
    assert search.inputs["subjects"] == [{"kind": "User", "name": "ana@example.com", "apiGroup": "rbac.authorization.k8s.io"}]
    # Google groups in RBAC need the cluster's Google Groups for RBAC.
    gke = teams.named("gke-euw1-gke", "gcp:container/cluster:Cluster")
    assert gke.inputs["authenticatorGroupsConfig"] == {"securityGroup": "gke-security-groups@example.com"}


def test_on_adopted_clusters_the_teams_users_and_groups_are_bound_to_edit() -> None:
    dev = simulated(
        "dev",
        config={
            "meshfleet:teams": [
                {"name": "shop", "namespaces": ["shop"], "identities": {"existing": ["group:shop-devs", "user:ana"]}},
            ]
        },
    )
    for cluster in ("kind-west", "kind-east"):
        binding = dev.named(f"{cluster}-team-shop-edit-shop", ROLE_BINDING)
        assert binding.inputs["subjects"] == [
            {"kind": "Group", "name": "shop-devs", "apiGroup": "rbac.authorization.k8s.io"},
            {"kind": "User", "name": "ana", "apiGroup": "rbac.authorization.k8s.io"},
        ]
        assert binding.inputs["roleRef"]["name"] == "edit"
        assert binding.provider == dev.named(f"{cluster}-k8s").urn
        namespace = dev.named(f"{cluster}-team-shop-ns-shop", NAMESPACE)
        assert namespace.inputs["metadata"]["labels"] == {"istio-injection": "enabled", "meshfleet.io/team": "shop"}
    assert not dev.of_type(ACCESS_ENTRY)


def test_a_team_is_never_given_anything_cluster_wide(teams: Simulation) -> None:
    made = team_resources(teams)
    assert {r.type for r in made} == {"meshfleet:teams:TeamAccess", NAMESPACE, ROLE_BINDING, ACCESS_ENTRY, ASSOCIATION}
    assert all(r.inputs["accessScope"]["type"] == "namespace" for r in made if r.type == ASSOCIATION)
    assert all(r.inputs["roleRef"]["name"] == "edit" for r in made if r.type == ROLE_BINDING)


# --- namespaces: in the mesh, labelled with the team, in the team's clusters ------------------------


def test_namespaces_join_the_mesh_in_every_cluster_of_the_team(teams: Simulation) -> None:
    shop = sorted(r.name for r in teams.of_type(NAMESPACE) if "-team-shop-" in r.name)
    assert shop == sorted(f"{c}-team-shop-ns-{n}" for c in (*EKS, "gke-euw1") for n in ("shop", "shop-jobs"))
    assert [r.name for r in teams.of_type(NAMESPACE) if "-team-search-" in r.name] == ["gke-euw1-team-search-ns-search"]
    namespace = teams.named("eks-use1-team-shop-ns-shop", NAMESPACE)
    assert namespace.inputs["metadata"] == {"name": "shop", "labels": {"istio-injection": "enabled", "meshfleet.io/team": "shop"}}
    assert namespace.retain_on_delete, "a team's workloads are not the fleet's to delete"
    assert not teams.named("gke-euw1-team-search-ns-search", NAMESPACE).retain_on_delete  # deleteNamespacesOnRemoval: true


def test_on_linkerd_team_namespaces_join_by_annotation() -> None:
    config = raw_config(LINKERD)
    teams = [{"name": "shop", "namespaces": ["shop"], "identities": {"aws": [SHOP_ROLE], "gcp": ["user:ana@example.com"]}}]
    sim = simulated("linkerd", config_file=LINKERD, config={"meshfleet:clusters": config["clusters"], "meshfleet:teams": teams})
    for cluster in ("eks-use1", "eks-euc1", "gke-usc1"):
        assert sim.named(f"{cluster}-team-shop-ns-shop", NAMESPACE).inputs["metadata"] == {
            "name": "shop",
            "labels": {"meshfleet.io/team": "shop"},
            "annotations": {"linkerd.io/inject": "enabled"},
        }


def test_reserved_namespaces_cover_every_namespace_the_fleet_installs_into(
    prod: Simulation, linkerd: Simulation, consul: Simulation, dev: Simulation
) -> None:
    fleet_namespaces = {r.inputs["metadata"]["name"] for sim in (prod, linkerd, consul, dev) for r in sim.of_type(NAMESPACE)}
    assert fleet_namespaces
    assert fleet_namespaces <= {*RESERVED_NAMESPACES} | {n for n in fleet_namespaces if n.startswith("kube-")}


# --- the contract lists each team's namespaces per cluster, no identities -------------------------------


def test_the_contract_lists_each_teams_namespaces_per_cluster(teams: Simulation) -> None:
    assert teams.exports["teams"] == {
        "shop": {"name": "shop", "namespaces": {c: ["shop", "shop-jobs"] for c in (*EKS, "gke-euw1")}},
        "search": {"name": "search", "namespaces": {"gke-euw1": ["search"]}},
    }
    contract = parse_contract(teams.exports, "acme/meshfleet/prod")
    assert contract.teams["search"] == TeamRecord("search", {"gke-euw1": ("search",)})
    assert "shop-devs" not in str(teams.exports) and SHOP_ROLE not in str(teams.exports)


# --- removal: a second run without the team -----------------------------------------------------------


def engine_update(before: Simulation, *teams: dict[str, Any]) -> tuple[set[str], set[str]]:
    """(deleted from the cluster or cloud, dropped from the state only) by the `pulumi up` of the config with
    `teams`, against the state `before` left: the engine deletes what the program no longer registers
    (components/simulation/state.py, `GenerateDeletes`), and for a resource marked retainOnDelete it does
    not call the provider's Delete (pulumi/pulumi pkg/resource/deploy/step.go, DeleteStep.Apply line 661:
    `else if s.old.RetainOnDelete { ... a no-op }`; read at v3.259.0, the newest tag reachable here)."""
    after = simulate("prod", config={"meshfleet:clusters": prod_clusters(), "meshfleet:teams": list(teams)}, previous=before.deployment())
    gone = [r for r in after.deletes if r.custom]
    return {_name(r.urn) for r in gone if not r.retain_on_delete}, {_name(r.urn) for r in gone if r.retain_on_delete}


def _name(urn: str) -> str:
    return urn.rsplit("::", 1)[-1]


def test_removing_a_team_removes_its_grants_and_keeps_its_namespaces(teams: Simulation) -> None:
    deleted, retained = engine_update(teams, SEARCH)
    assert deleted == {
        *(f"{c}-team-shop-eks-123456789012-shop-deployers{s}" for c in EKS for s in ("", "-edit")),
        "gke-euw1-team-shop-edit-shop",
        "gke-euw1-team-shop-edit-shop-jobs",
    }
    assert retained == {f"{c}-team-shop-ns-{n}" for c in (*EKS, "gke-euw1") for n in ("shop", "shop-jobs")}


def test_removing_a_team_that_asked_for_it_deletes_its_namespaces(teams: Simulation) -> None:
    deleted, retained = engine_update(teams, SHOP)
    assert deleted == {"gke-euw1-team-search-ns-search", "gke-euw1-team-search-edit-search"}
    assert retained == set()


# --- validation ----------------------------------------------------------------------------------------


def teams_problems(*teams: Any, clusters: list[dict[str, Any]] | None = None) -> list[str]:
    def mutate(raw: dict[str, Any]) -> None:
        raw["teams"] = list(teams)
        raw["clusters"] = clusters or prod_clusters()

    return prod_problems(mutate)


def test_fails_a_team_without_namespaces_or_identities_for_its_clusters() -> None:
    assert teams_problems({"name": "shop"}) == [
        "meshfleet:teams[0].namespaces: is required; the namespaces the team owns in every cluster, e.g. ['shop']",
        "meshfleet:teams[0].identities.aws: is required: the team works on 'eks-use1', 'eks-usw2', which authenticate IAM role ARNs, "
        "e.g. 'arn:aws:iam::123456789012:role/shop-deployers'; without one nobody of the team could use its namespaces there",
        "meshfleet:teams[0].identities.gcp: is required: the team works on 'gke-euw1', which authenticate 'group:<email>', 'user:<email>' "
        "or 'serviceAccount:<email>', e.g. 'group:shop-devs@example.com'; without one nobody of the team could use its namespaces there",
    ]


def test_fails_bad_names_reserved_namespaces_and_unknown_clusters() -> None:
    team = {
        "name": "Shop",
        "namespaces": ["kube-system", "istio-system", "Shop_1"],
        "clusters": ["gke-euw1", "aks-weu"],
        "identities": {"gcp": ["ana@example.com"], "azure": ["x"]},
        "admin": True,
    }
    assert teams_problems(team) == [
        "meshfleet:teams[0].admin: unknown setting; known settings: 'clusters', 'deleteNamespacesOnRemoval', 'identities', 'name', 'namespaces'",
        "meshfleet:teams[0].name: 'Shop' is not a valid team name: use lowercase letters, digits and '-', at most 63 characters, "
        "starting and ending with a letter or digit",
        "meshfleet:teams[0].namespaces[0]: 'kube-system' is Kubernetes' or the mesh's own namespace; a team owns namespaces of its own",
        "meshfleet:teams[0].namespaces[1]: 'istio-system' is Kubernetes' or the mesh's own namespace; a team owns namespaces of its own",
        "meshfleet:teams[0].namespaces[2]: 'Shop_1' is not a valid namespace name: use lowercase letters, digits and '-', at most 63 "
        "characters, starting and ending with a letter or digit",
        "meshfleet:teams[0].clusters: names no cluster of the fleet: 'aks-weu'; clusters: 'eks-use1', 'eks-usw2', 'gke-euw1'",
        "meshfleet:teams[0].identities.azure: unknown setting; known settings: 'aws', 'existing', 'gcp'",
        "meshfleet:teams[0].identities.gcp[0]: 'ana@example.com' is not one of 'group:<email>', 'user:<email>' or 'serviceAccount:<email>', "
        "e.g. 'group:shop-devs@example.com'",
    ]


def test_fails_a_namespace_or_role_shared_by_two_teams_and_a_team_role_that_is_a_cluster_admin() -> None:
    clusters = prod_clusters()
    clusters[0]["create"]["adminPrincipalArns"] = [SHOP_ROLE]
    other = {**copy.deepcopy(SHOP), "name": "orders", "namespaces": ["orders", "shop"]}
    assert teams_problems(SHOP, other, clusters=clusters) == [
        "meshfleet:teams[0].identities.aws: 'arn:aws:iam::123456789012:role/shop-deployers' is a cluster admin of 'eks-use1' "
        "(clusters[].create.adminPrincipalArns); a team's role must not be a platform admin",
        "meshfleet:teams[1].namespaces: 'shop' already belongs to team 'shop'; a namespace has one owning team",
        "meshfleet:teams[1].identities.aws: 'arn:aws:iam::123456789012:role/shop-deployers' is already an identity of team 'shop'; "
        "give each team its own role",
        "meshfleet:teams[1].identities.aws: 'arn:aws:iam::123456789012:role/shop-deployers' is a cluster admin of 'eks-use1' "
        "(clusters[].create.adminPrincipalArns); a team's role must not be a platform admin",
    ]


def test_fails_google_groups_on_a_gke_cluster_without_groups_for_rbac() -> None:
    clusters = prod_raw()["clusters"]
    assert teams_problems(SHOP, clusters=clusters) == [
        "meshfleet:teams[0].identities.gcp: binds Google groups ('group:shop-devs@example.com') on 'gke-euw1', which have no Google "
        "Groups for RBAC; set clusters[].create.rbacSecurityGroup to 'gke-security-groups@<your domain>' there, or name users and "
        "service accounts"
    ]


def test_fails_a_security_group_gke_does_not_accept() -> None:
    clusters = prod_clusters()
    clusters[2]["create"]["rbacSecurityGroup"] = "shop-devs@example.com"
    assert teams_problems(clusters=clusters) == [
        "meshfleet:clusters[2] (gke-euw1).create.rbacSecurityGroup: 'shop-devs@example.com' is not a Google Groups for RBAC group; GKE requires "
        "'gke-security-groups@<your domain>'"
    ]


def test_the_example_stack_files_declare_no_team_by_default() -> None:
    # Teams are the platform's to declare: docs/app-teams.md shows the setting; the examples stay as reviewed.
    assert "meshfleet:teams" not in (PROJECT_DIR / "Pulumi.prod.yaml").read_text()
