"""Config validation (components/config): every problem named with its key, all in one error, before anything exists."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from components.config import FleetConfigError, MeshRules, Problems, RawConfig, check_config_keys, parse_fleet
from components.config.locations import GCP_ZONES
from components.fleet import validate_fleet
from components.meshes import mesh_rules
from components.simulation import PROJECT_DIR, ProgramFailed, Simulation, simulate, stack_config
from tests.meshes.istio.helpers import release
from tests.support import CONSUL, LINKERD, PRIMARY_REMOTE, FakeEnvironment, problems_of, prod_problems, prod_raw, raw_config
from tests.tls_tools import new_root


def assign(path: list[Any], value: Any) -> Callable[[dict[str, Any]], None]:
    def mutate(raw: dict[str, Any]) -> None:
        target = raw
        for step in path[:-1]:
            target = target[step]
        target[path[-1]] = value

    return mutate


def test_prod_and_example_stacks_are_valid() -> None:
    from components.config import RawConfig
    from components.fleet import validate_fleet

    spec, mesh = validate_fleet(RawConfig(**prod_raw()), FakeEnvironment())
    assert list(spec.clusters) == ["eks-use1", "eks-usw2", "gke-euw1"]
    assert mesh.type == "istio"
    spec, _ = validate_fleet(RawConfig(**raw_config(PRIMARY_REMOTE)), FakeEnvironment())
    assert [(c.name, c.role, c.primary) for c in spec.clusters.values()] == [
        ("gke-usc1", "primary", None),
        ("eks-use1", "remote", "gke-usc1"),
        ("gke-euw4", "remote", "gke-usc1"),
    ]


def test_fails_unknown_mesh() -> None:
    assert prod_problems(assign(["mesh", "type"], "kuma")) == [
        "meshfleet:mesh.type: 'kuma' is not a known mesh; use one of 'istio', 'linkerd', 'consul'"
    ]


def test_fails_planned_mesh_that_is_not_built_yet() -> None:
    """Every mesh of this release is built; a mesh designed for but not built would be refused like this."""
    problems = Problems()
    raw = RawConfig(**{**prod_raw(), "mesh": {**prod_raw()["mesh"], "type": "kuma"}})
    meshes = {**mesh_rules(), "kuma": MeshRules(available=False, topologies=("multi-primary",), example_version="2.0.0")}
    parse_fleet(raw, meshes, FakeEnvironment(), problems)
    assert [str(p) for p in problems.items] == [
        "meshfleet:mesh.type: 'kuma' is planned but not available in this version of meshfleet; use one of 'istio', 'linkerd', 'consul'"
    ]


def test_fails_unknown_cloud() -> None:
    assert prod_problems(assign(["clusters", 0, "cloud"], "azure")) == [
        "meshfleet:clusters[0] (eks-use1).cloud: 'azure' is not supported; use one of 'aws', 'gcp', 'existing'"
    ]


def test_fails_duplicate_cluster_name() -> None:
    assert prod_problems(assign(["clusters", 1, "name"], "eks-use1")) == [
        "meshfleet:clusters[1] (eks-use1).name: 'eks-use1' is already the name of another cluster; cluster names must be unique"
    ]


def test_fails_cluster_name_that_is_not_dns_1123() -> None:
    assert prod_problems(assign(["clusters", 1, "name"], "EKS_usw2")) == [
        "meshfleet:clusters[1] (EKS_usw2).name: 'EKS_usw2' is not a valid cluster name: use lowercase letters, digits and '-', "
        "at most 63 characters, starting and ending with a letter or digit"
    ]


def test_fails_missing_network_and_region() -> None:
    def mutate(raw: dict[str, Any]) -> None:
        raw["clusters"][1].pop("network")
        raw["clusters"][1].pop("region")

    assert prod_problems(mutate) == [
        "meshfleet:clusters[1] (eks-usw2).region: is required; the cluster's region, used for locality-aware routing",
        "meshfleet:clusters[1] (eks-usw2).network: is required; the network name that the mesh uses to pick east-west gateways",
        "meshfleet:mesh.locality.failover[0].to: 'us-west-2' is not the region of any cluster in this fleet; "
        "regions: 'europe-west1', 'us-east-1'",
        "meshfleet:mesh.locality.failover[1].from: 'us-west-2' is not the region of any cluster in this fleet; "
        "regions: 'europe-west1', 'us-east-1'",
    ]


def test_fails_network_shared_by_two_clusters() -> None:
    assert prod_problems(assign(["clusters", 1, "network"], "net-eks-use1")) == [
        "meshfleet:clusters[1] (eks-usw2).network: 'net-eks-use1' is already used by 'eks-use1'; a multi-network mesh needs a distinct network per cluster"
    ]


@pytest.mark.parametrize("version", ["^1.30", "1.30", "latest", "1.30.x", "v1.30.5", ">=1.30.0"])
def test_fails_unpinned_or_malformed_chart_version(version: str) -> None:
    assert prod_problems(assign(["mesh", "version"], version)) == [
        f"meshfleet:mesh.version: {version!r} is not a pinned chart version; give an exact MAJOR.MINOR.PATCH version such as "
        "'1.30.5' (ranges, 'latest' and partial versions are refused so every cluster gets the same reviewed chart)"
    ]


def test_fails_both_create_and_existing() -> None:
    assert prod_problems(assign(["clusters", 0, "existing"], {"context": "kind-mesh-west"})) == [
        "meshfleet:clusters[0] (eks-use1).create: and 'existing' are both set; give 'create' to build the cluster or 'existing' to adopt one, not both"
    ]


def test_fails_cloud_cluster_without_create_or_existing() -> None:
    assert prod_problems(lambda raw: raw["clusters"][2].pop("create")) == [
        "meshfleet:clusters[2] (gke-euw1).create: or 'existing' is required for cloud 'gcp'"
    ]


def test_fails_remote_cluster_without_primary() -> None:
    def mutate(raw: dict[str, Any]) -> None:
        raw["mesh"]["topology"] = "primary-remote"
        for cluster in raw["clusters"]:
            cluster["role"] = "primary"
        raw["clusters"][1]["role"] = "remote"

    assert prod_problems(mutate) == [
        "meshfleet:clusters[1] (eks-usw2).primary: is required for a remote cluster: name the primary cluster whose control plane serves it"
    ]


def test_fails_remote_cluster_in_multi_primary_topology() -> None:
    assert prod_problems(assign(["clusters", 1, "role"], "remote")) == [
        "meshfleet:clusters[1] (eks-usw2).role: 'remote' needs mesh.topology 'primary-remote'; in a multi-primary mesh every cluster is a primary"
    ]


def test_fails_remote_pointing_at_a_cluster_that_is_not_a_primary() -> None:
    raw = raw_config(PRIMARY_REMOTE)
    raw["clusters"][2]["primary"] = "eks-use1"
    assert problems_of(raw) == [
        "meshfleet:clusters[2] (gke-euw4).primary: 'eks-use1' is a remote cluster, not a primary; a remote must point at one of 'gke-usc1'"
    ]


def test_fails_remote_pointing_at_an_unknown_cluster() -> None:
    raw = raw_config(PRIMARY_REMOTE)
    raw["clusters"][1]["primary"] = "gke-usc9"
    assert problems_of(raw) == [
        "meshfleet:clusters[1] (eks-use1).primary: 'gke-usc9' is not a cluster of this fleet; clusters: 'gke-usc1', 'eks-use1', 'gke-euw4'"
    ]


def test_fails_primary_remote_without_any_primary() -> None:
    raw = raw_config(PRIMARY_REMOTE)
    raw["clusters"][0]["role"] = "remote"
    raw["clusters"][0]["primary"] = "gke-euw4"
    assert problems_of(raw) == [
        "meshfleet:clusters: has no primary cluster; at least one cluster needs role 'primary'",
    ]


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        ("rootValidityHours", 100, "meshfleet:trust.rootValidityHours: 100 hours is out of range; allowed: 8760 to 175200 hours"),
        ("rootValidityHours", 200000, "meshfleet:trust.rootValidityHours: 200000 hours is out of range; allowed: 8760 to 175200 hours"),
        (
            "intermediateValidityHours",
            12,
            "meshfleet:trust.intermediateValidityHours: 12 hours is out of range; allowed: 24 to 43800 hours",
        ),
        (
            "intermediateEarlyRenewalHours",
            8760,
            "meshfleet:trust.intermediateEarlyRenewalHours: 8760 hours is out of range; allowed: 0 to 8759 hours",
        ),
    ],
)
def test_fails_validity_out_of_range(key: str, value: int, message: str) -> None:
    assert prod_problems(assign(["trust", key], value)) == [message]


def test_fails_intermediate_outliving_its_root() -> None:
    def mutate(raw: dict[str, Any]) -> None:
        raw["trust"]["rootValidityHours"] = 8760
        raw["trust"]["intermediateValidityHours"] = 8760

    assert prod_problems(mutate) == [
        "meshfleet:trust.intermediateValidityHours: 8760 hours is not shorter than rootValidityHours (8760); "
        "an intermediate must expire before its root"
    ]


def test_fails_empty_cluster_list() -> None:
    assert prod_problems(assign(["clusters"], [])) == ["meshfleet:clusters: is empty; a fleet needs at least one cluster"]


def test_fails_missing_cluster_list() -> None:
    assert prod_problems(assign(["clusters"], None)) == [
        "meshfleet:clusters: is required; list the clusters of the fleet, each with name, cloud, region and network"
    ]


def test_fails_mistyped_setting_with_a_suggestion() -> None:
    assert prod_problems(assign(["clusters", 0, "netwrok"], "x")) == [
        "meshfleet:clusters[0] (eks-use1).netwrok: unknown setting; did you mean 'network'? known settings: 'cloud', 'create', "
        "'existing', 'gateway', 'name', 'network', 'primary', 'region', 'role', 'zones'"
    ]


def test_fails_eks_cluster_with_a_single_zone() -> None:
    assert prod_problems(assign(["clusters", 0, "zones"], ["us-east-1a"])) == [
        "meshfleet:clusters[0] (eks-use1).zones: an EKS cluster needs at least two zones of 'us-east-1', e.g. ['us-east-1a', 'us-east-1b']"
    ]


def test_fails_zone_outside_its_region() -> None:
    assert prod_problems(assign(["clusters", 2, "zones"], ["europe-west1-b", "us-central1-a"])) == [
        "meshfleet:clusters[2] (gke-euw1).zones[1]: 'us-central1-a' is not a zone of region 'europe-west1'; "
        "its zones: 'europe-west1-b', 'europe-west1-c', 'europe-west1-d'"
    ]


def test_fails_failover_to_a_region_no_cluster_has() -> None:
    assert prod_problems(assign(["mesh", "locality", "failover"], [{"from": "us-east-1", "to": "ap-south-1"}])) == [
        "meshfleet:mesh.locality.failover[0].to: 'ap-south-1' is not the region of any cluster in this fleet; "
        "regions: 'europe-west1', 'us-east-1', 'us-west-2'"
    ]


def test_fails_existing_cluster_sources() -> None:
    def mutate(raw: dict[str, Any]) -> None:
        raw["clusters"][0] = {
            "name": "kind-a",
            "cloud": "existing",
            "region": "local",
            "network": "net-a",
            "existing": {"context": "kind-missing", "kubeconfigSecret": "kubeconfig-a"},
        }
        raw["clusters"][1] = {
            "name": "kind-b",
            "cloud": "existing",
            "region": "local",
            "network": "net-b",
            "existing": {"kubeconfigSecret": "kubeconfig-b"},
        }
        raw["mesh"].pop("locality")

    env = FakeEnvironment(values={"kubeconfig-b": "apiVersion: v1"})
    assert prod_problems(mutate, env) == [
        "meshfleet:clusters[0] (kind-a).existing: needs exactly one of 'context', 'kubeconfigSecret' or 'stackReference'; got 'context', 'kubeconfigSecret'",
        "meshfleet:clusters[0] (kind-a).existing.kubeconfigSecret: names config key 'meshfleet:kubeconfig-a', which is not set; "
        "run `pulumi config set --secret kubeconfig-a < kubeconfig`",
        "meshfleet:clusters[0] (kind-a).existing.context: context 'kind-missing' is not in the operator's kubeconfig",
        "meshfleet:clusters[1] (kind-b).existing.kubeconfigSecret: config key 'meshfleet:kubeconfig-b' is not a secret; "
        "set it again with `pulumi config set --secret kubeconfig-b < kubeconfig`",
    ]


def test_fails_istio_version_outside_1_30() -> None:
    assert prod_problems(assign(["mesh", "version"], "1.29.3")) == [
        "meshfleet:mesh.version: '1.29.3' is outside Istio 1.30, the line this meshfleet release pins; use a 1.30.x patch such as '1.30.5'"
    ]


@pytest.mark.parametrize(
    ("revision", "message"),
    [
        (
            "1.30.5",
            "meshfleet:mesh.istio.revisions[0].name: '1.30.5' is not a valid revision name: use a DNS label of at most 56 "
            "characters (lowercase letters, digits and '-'), e.g. '1-30-5'",
        ),
        (
            "default",
            "meshfleet:mesh.istio.revisions[0].name: 'default' names the default revision tag, not a revision; name the revision e.g. '1-30-5'",
        ),
    ],
)
def test_fails_istio_revision_that_is_not_a_dns_label(revision: str, message: str) -> None:
    assert prod_problems(assign(["mesh", "istio", "revisions"], [{"name": revision, "tags": ["default"]}])) == [message]


def test_fails_revision_tag_longer_than_its_service_name_allows() -> None:
    tag = "t" * 44
    assert prod_problems(assign(["mesh", "istio", "revisions"], [{"name": "1-30-5", "tags": ["default", "t" * 43, tag]}])) == [
        f"meshfleet:mesh.istio.revisions[0].tags: '{tag}' is 44 characters; a revision tag has at most 43, because Istio "
        "names its Service 'istiod-revision-tag-<tag>', which must fit in 63"
    ]


def test_fails_revision_tag_held_twice() -> None:
    revisions = [{"name": "1-30-5", "tags": ["default"]}, {"name": "1-30-6", "tags": ["default"]}]
    assert prod_problems(assign(["mesh", "istio", "revisions"], revisions)) == [
        "meshfleet:mesh.istio.revisions[1].tags: tag 'default' is already held by revision '1-30-5'; a tag points at one revision"
    ]


def test_fails_with_every_problem_in_one_message() -> None:
    def mutate(raw: dict[str, Any]) -> None:
        raw["mesh"]["version"] = "latest"
        raw["clusters"][0]["cloud"] = "azure"
        raw["trust"]["rootValidityHours"] = 1

    raw = prod_raw()
    mutate(raw)
    from components.config import RawConfig
    from components.fleet import validate_fleet

    with pytest.raises(FleetConfigError) as caught:
        validate_fleet(RawConfig(**raw), FakeEnvironment())
    assert str(caught.value) == (
        "meshfleet configuration has 3 problems; nothing was created:\n"
        "  - meshfleet:mesh.version: 'latest' is not a pinned chart version; give an exact MAJOR.MINOR.PATCH version such as "
        "'1.30.5' (ranges, 'latest' and partial versions are refused so every cluster gets the same reviewed chart)\n"
        "  - meshfleet:trust.rootValidityHours: 1 hours is out of range; allowed: 8760 to 175200 hours\n"
        "  - meshfleet:clusters[0] (eks-use1).cloud: 'azure' is not supported; use one of 'aws', 'gcp', 'existing'"
    )


def test_fails_before_any_resource_is_registered() -> None:
    """The real program, through the mock runtime: a bad stack registers nothing at all."""
    with pytest.raises(ProgramFailed) as caught:
        simulate("prod", config={"meshfleet:mesh": {**prod_raw()["mesh"], "version": "1.29.0"}})
    assert isinstance(caught.value.error, FleetConfigError)
    assert "meshfleet:mesh.version: '1.29.0' is outside Istio 1.30" in str(caught.value.error)
    assert caught.value.resources == []


@pytest.mark.parametrize(
    ("key", "meant"),
    [("trsut", "trust"), ("gatway", "gateway")],
)
def test_fails_unknown_top_level_key_with_a_suggestion(key: str, meant: str) -> None:
    """Through the real program: a typo must not leave the block unset and its defaults in force."""
    with pytest.raises(ProgramFailed) as caught:
        simulate("prod", config={f"meshfleet:{key}": {"organization": "Example Corp"}})
    assert isinstance(caught.value.error, FleetConfigError)
    assert [str(p) for p in caught.value.error.problems] == [
        f"meshfleet:{key}: unknown setting; did you mean {meant!r}? known settings: 'clusters', 'gateway', 'mesh', 'observability', 'teams', 'trust'"
    ]
    assert caught.value.resources == []


def test_secret_keys_named_by_the_config_are_known_keys() -> None:
    cert, key = new_root("byo")
    trust = {"roots": [{"name": "byo", "certificateSecret": "byo-cert", "privateKeySecret": "byo-key"}], "protectRoots": False}
    simulate("dev", config={"meshfleet:trust": trust}, secrets={"meshfleet:byo-cert": cert, "meshfleet:byo-key": key})


def dev_raw() -> dict[str, Any]:
    return raw_config(PROJECT_DIR / "Pulumi.dev.yaml")


def test_fails_internal_gateway_on_adopted_cluster_without_its_platforms_annotations() -> None:
    raw = dev_raw()
    del raw["clusters"][1]["existing"]["internalLoadBalancerAnnotations"]
    assert problems_of(raw) == [
        "meshfleet:clusters[1] (kind-east).existing.internalLoadBalancerAnnotations: is required for an adopted cluster whose east-west "
        "gateway is internal (gateway.exposure 'internal'): meshfleet cannot tell how this cluster's platform makes a load "
        "balancer internal; give the Service annotations it needs (e.g. {'service.beta.kubernetes.io/aws-load-balancer-internal': "
        "'true'} on EKS, {'networking.gke.io/load-balancer-type': 'Internal'} on GKE), {} if its load balancers are private "
        "already (kind, MetalLB on a private range), or set this cluster's gateway.exposure to 'public'"
    ]


def test_fails_api_server_ca_that_is_not_a_pem_certificate() -> None:
    raw = dev_raw()
    raw["clusters"][0]["existing"]["apiServerCa"] = "MIIB...base64 without its PEM armour"
    assert problems_of(raw) == [
        "meshfleet:clusters[0] (kind-west).existing.apiServerCa: must be the PEM certificate(s) of the CA that signs the API server's "
        "certificate ('-----BEGIN CERTIFICATE-----')"
    ]


def test_adopted_cluster_gateway_gets_the_annotations_of_its_platform(dev: Simulation) -> None:
    raw = dev_raw()
    annotations = {"service.beta.kubernetes.io/aws-load-balancer-internal": "true"}
    raw["clusters"][0]["existing"]["internalLoadBalancerAnnotations"] = annotations
    public = {**raw["clusters"][1], "gateway": {"exposure": "public", "sourceRanges": ["198.51.100.0/24"]}}
    del public["existing"]["internalLoadBalancerAnnotations"]  # not needed for a public gateway
    sim = simulate("dev", config={"meshfleet:clusters": [raw["clusters"][0], public]})
    # With the record of the operator's declaration, which the policy pack trusts (tests/policies/test_policy_pack.py).
    assert release(sim, "kind-west", "istio-eastwestgateway").inputs["values"]["service"]["annotations"] == {
        **annotations,
        "meshfleet.io/internal-annotations": "service.beta.kubernetes.io/aws-load-balancer-internal",
    }
    assert "annotations" not in release(sim, "kind-east", "istio-eastwestgateway").inputs["values"]["service"]
    # `{}`: the platform's load balancers are private anyway, which the Service records for the policy pack.
    private = release(dev, "kind-west", "istio-eastwestgateway").inputs["values"]["service"]
    assert private["annotations"] == {"meshfleet.io/load-balancer": "private-platform"}


@pytest.mark.parametrize("version", ["1.20", "1.31", "1.36"])
def test_fails_eks_kubernetes_version_outside_what_istio_supports(version: str) -> None:
    assert prod_problems(assign(["clusters", 0, "create", "kubernetesVersion"], version)) == [
        f"meshfleet:clusters[0] (eks-use1).create.kubernetesVersion: '{version}' is outside the Kubernetes versions Istio 1.30 supports "
        "(1.32 to 1.35); use one of them, e.g. '1.33'"
    ]


@pytest.mark.parametrize(
    ("stack", "supported", "refused", "accepted"),
    [(LINKERD, "Linkerd edge 2026.8 supports (1.31 and later); use one of them, e.g. '1.32'", "1.30", "1.31"),
     (CONSUL, "consul-k8s 2.0 supports (1.22 and later); use one of them, e.g. '1.23'", "1.21", "1.36")],
)  # fmt: skip
def test_kubernetes_versions_follow_the_pinned_charts_of_each_mesh(stack: Path, supported: str, refused: str, accepted: str) -> None:
    """Each mesh's charts declare the Kubernetes they run on (Chart.yaml kubeVersion); Helm refuses others."""
    raw = raw_config(stack)
    raw["clusters"][0]["create"]["kubernetesVersion"] = refused
    assert problems_of(raw) == [
        f"meshfleet:clusters[0] (eks-use1).create.kubernetesVersion: '{refused}' is outside the Kubernetes versions {supported}"
    ]
    raw["clusters"][0]["create"]["kubernetesVersion"] = accepted
    validate_fleet(RawConfig(**raw), FakeEnvironment())


def test_fails_overlapping_private_ranges_behind_internal_gateways() -> None:
    def mutate(raw: dict[str, Any]) -> None:
        raw["gateway"]["exposure"] = "internal"
        raw["clusters"][1]["create"]["vpcCidr"] = "10.10.128.0/17"  # inside eks-use1's 10.10.0.0/16
        raw["clusters"][2]["create"]["podsCidr"] = "10.8.0.0/14"  # covers eks-use1's 10.10.0.0/16

    assert prod_problems(mutate) == [
        "meshfleet:clusters[1] (eks-usw2).create.vpcCidr: '10.10.128.0/17' overlaps the vpcCidr '10.10.0.0/16' of 'eks-use1'; an internal "
        "east-west gateway is reached over private routes, which need every cluster's node and pod ranges to be distinct: "
        "give this cluster its own range (or make both gateways 'public')",
        "meshfleet:clusters[2] (gke-euw1).create.podsCidr: '10.8.0.0/14' overlaps the vpcCidr '10.10.0.0/16' of 'eks-use1'; an internal "
        "east-west gateway is reached over private routes, which need every cluster's node and pod ranges to be distinct: "
        "give this cluster its own range (or make both gateways 'public')",
        "meshfleet:clusters[2] (gke-euw1).create.podsCidr: '10.8.0.0/14' overlaps the vpcCidr '10.10.128.0/17' of 'eks-usw2'; an internal "
        "east-west gateway is reached over private routes, which need every cluster's node and pod ranges to be distinct: "
        "give this cluster its own range (or make both gateways 'public')",
    ]


def test_overlapping_ranges_behind_public_gateways_are_fine() -> None:
    raw = prod_raw()
    raw["clusters"][1]["create"]["vpcCidr"] = raw["clusters"][0]["create"]["vpcCidr"]
    validate_fleet(RawConfig(**raw), FakeEnvironment())


# --- every key of the stack file, in every namespace ------------------------------------------------


def stack_file_with(tmp_path: Path, rename: dict[str, str] | None = None, add: dict[str, Any] | None = None) -> Path:
    """Pulumi.prod.yaml with keys renamed (text kept, so a key keeps its place) and keys added."""
    text = (PROJECT_DIR / "Pulumi.prod.yaml").read_text()
    for old, new in (rename or {}).items():
        text = text.replace(f"\n  {old}:", f"\n  {new}:")
    path = tmp_path / "Pulumi.prod.yaml"
    document = yaml.safe_load(text)
    document["config"].update(add or {})
    path.write_text(yaml.safe_dump(document, sort_keys=False))
    return path


def program_problems(config_file: Path) -> list[str]:
    with pytest.raises(ProgramFailed) as caught:
        simulate("prod", config_file=config_file)
    assert isinstance(caught.value.error, FleetConfigError)
    assert caught.value.resources == []
    return [str(p) for p in caught.value.error.problems]


def test_fails_misspelt_namespace_with_a_suggestion(tmp_path: Path) -> None:
    """A misspelt namespace would leave `meshfleet:gateway` unset and every gateway quietly internal."""
    path = stack_file_with(tmp_path, rename={"meshfleet:gateway": "meshfleat:gateway"}, add={"MeshFleet:trust": {}})
    assert program_problems(path) == [
        "MeshFleet:trust: unknown namespace 'MeshFleet'; did you mean 'meshfleet:trust'?",
        "meshfleat:gateway: unknown namespace 'meshfleat'; did you mean 'meshfleet:gateway'?",
    ]


def test_fails_keys_of_namespaces_nothing_reads(tmp_path: Path) -> None:
    extra = {"aws:region": "eu-west-1", "gcp:project": "p", "kubernetes:context": "kind-a", "shop:namespace": "shop"}
    assert program_problems(stack_file_with(tmp_path, add={**extra, "pulumi:disable-default-provider": ["aws"]})) == [
        "aws:region: is read by nothing: meshfleet gives every cluster its own aws provider, which takes its region from "
        "clusters[].region and its credentials from the environment (AWS_PROFILE, AWS_ACCESS_KEY_ID, ...), not stack config; "
        "remove the key",
        "gcp:project: is read by nothing: meshfleet gives every cluster its own gcp provider, which takes its project from "
        "clusters[].create.project and its credentials from the environment (GOOGLE_APPLICATION_CREDENTIALS, ...), not stack "
        "config; remove the key",
        "kubernetes:context: is read by nothing: meshfleet gives every cluster its own kubernetes provider, which takes its "
        "kubeconfig from the cluster it creates or adopts (clusters[].existing), not stack config; remove the key",
        "pulumi:disable-default-provider: is not a setting of the Pulumi engine; did you mean 'pulumi:disable-default-providers'? "
        "known: 'pulumi:autonaming', 'pulumi:disable-default-providers', 'pulumi:template'",
        "shop:namespace: unknown namespace 'shop': nothing in this program reads it; meshfleet's settings are "
        "'meshfleet:<setting>', and the others it accepts are 'pulumi:autonaming', 'pulumi:disable-default-providers', "
        "'pulumi:template', 'tls:proxy'",
    ]


def test_the_keys_pulumi_and_the_tls_provider_read_are_accepted() -> None:
    problems = Problems()
    keys = ["meshfleet:mesh", "pulumi:autonaming", "pulumi:disable-default-providers", "pulumi:template", "tls:proxy"]
    check_config_keys(keys, ["mesh"], problems)
    assert problems.items == []


def test_a_key_without_a_namespace_is_the_projects_as_pulumi_reads_it(tmp_path: Path) -> None:
    """Pulumi reads a stack file's bare `gateway:` as `meshfleet:gateway` (loaders.go
    stackConfigNamespacedWithProject), so the simulation does too: the gateways stay public."""
    path = stack_file_with(tmp_path, rename={"meshfleet:gateway": "gateway"})
    assert "gateway" in yaml.safe_load(path.read_text())["config"]
    assert stack_config(path) == stack_config(PROJECT_DIR / "Pulumi.prod.yaml")


# --- regions, zones, ranges, numbers ---------------------------------------------------------------


def test_fails_region_typos_with_a_suggestion() -> None:
    def mutate(raw: dict[str, Any]) -> None:
        raw["clusters"][0]["region"] = "us-eats-1"
        raw["clusters"][2]["region"] = "europe-wets1"
        raw["mesh"].pop("locality")

    assert prod_problems(mutate) == [
        "meshfleet:clusters[0] (eks-use1).region: 'us-eats-1' is not an AWS region (pulumi-aws's Region enum); did you mean 'us-east-1'?",
        "meshfleet:clusters[2] (gke-euw1).region: 'europe-wets1' is not a GCP region (components/config/locations.py); "
        "did you mean 'europe-west1'?",
    ]


@pytest.mark.parametrize(
    ("index", "region", "message"),
    [
        (
            0,
            "eu-centrl-1",
            "(eks-use1).region: 'eu-centrl-1' is not an AWS region (pulumi-aws's Region enum); did you mean 'eu-central-1'?",
        ),
        (
            2,
            "us-centrl1",
            "(gke-euw1).region: 'us-centrl1' is not a GCP region (components/config/locations.py); did you mean 'us-central1'?",
        ),
    ],
)
def test_fails_the_region_typos_that_passed_preview(index: int, region: str, message: str) -> None:
    def mutate(raw: dict[str, Any]) -> None:
        raw["clusters"][index].update(region=region, zones=[])
        raw["mesh"].pop("locality")

    assert prod_problems(mutate) == [f"meshfleet:clusters[{index}] {message}"]


def test_every_region_of_pulumi_aws_is_accepted() -> None:
    import pulumi_aws

    for region in ("eusc-de-east-1", "mx-central-1", "us-gov-west-1"):
        assert region in {r.value for r in pulumi_aws.Region}
        problems = Problems()
        raw = prod_raw()
        raw["clusters"][0].update(region=region, zones=[f"{region}a", f"{region}b"])
        raw["mesh"].pop("locality")
        parse_fleet(RawConfig(**raw), mesh_rules(), FakeEnvironment(), problems)
        assert problems.items == [], region


def test_the_gcp_regions_are_googles_table() -> None:
    assert len(GCP_ZONES) == 42
    assert GCP_ZONES["us-central1"] == "abcf" and GCP_ZONES["europe-west1"] == "bcd"


def test_fails_zones_that_are_not_of_the_region() -> None:
    def mutate(raw: dict[str, Any]) -> None:
        raw["clusters"][0]["zones"] = ["us-east-1a", "us-east-1-b"]
        raw["clusters"][2]["zones"] = ["europe-west1-a", "europe-west1-b"]

    assert prod_problems(mutate) == [
        "meshfleet:clusters[0] (eks-use1).zones[1]: 'us-east-1-b' is not a zone of region 'us-east-1'; an AWS zone is its "
        "region and a letter, e.g. 'us-east-1a'",
        "meshfleet:clusters[2] (gke-euw1).zones[0]: 'europe-west1-a' is not a zone of region 'europe-west1'; its zones: "
        "'europe-west1-b', 'europe-west1-c', 'europe-west1-d'",
    ]


def test_fails_overlapping_ranges_inside_one_gke_cluster() -> None:
    def mutate(raw: dict[str, Any]) -> None:
        raw["clusters"][2]["create"].update(servicesCidr="10.20.0.0/20", masterCidr="10.24.0.16/28")

    assert prod_problems(mutate) == [
        "meshfleet:clusters[2] (gke-euw1).create.servicesCidr: '10.20.0.0/20' overlaps this cluster's subnetCidr '10.20.0.0/20'; "
        "a GKE cluster's node, pod, service and control-plane ranges must not overlap: give servicesCidr a range of its own",
        "meshfleet:clusters[2] (gke-euw1).create.masterCidr: '10.24.0.16/28' overlaps this cluster's podsCidr '10.24.0.0/14'; "
        "a GKE cluster's node, pod, service and control-plane ranges must not overlap: give masterCidr a range of its own",
    ]


def test_fails_a_version_written_as_a_number_saying_to_quote_it() -> None:
    """`kubernetesVersion: 1.30` unquoted is the YAML float 1.3."""
    assert prod_problems(assign(["clusters", 0, "create", "kubernetesVersion"], 1.3)) == [
        "meshfleet:clusters[0] (eks-use1).create.kubernetesVersion: expected a string, got the number 1.3; YAML reads an "
        "unquoted 1.30 as the number 1.3: quote it, e.g. kubernetesVersion: '1.30'"
    ]
    assert prod_problems(assign(["clusters", 1, "network"], 7)) == [
        "meshfleet:clusters[1] (eks-usw2).network: expected a string, got the number 7; quote it: network: '7'"
    ]
    assert prod_problems(assign(["clusters", 0, "create", "nodes", "instanceTypes"], [8])) == [
        "meshfleet:clusters[0] (eks-use1).create.nodes.instanceTypes: expected a list of non-empty strings, got the number 8 in it; quote it"
    ]
