"""The CrossGuard pack (policies/), run the way the Pulumi engine runs it: as its own process, over the
analyzer protocol, against what the real program registers for each stack."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pulumi
import pulumi_kubernetes as k8s
import pytest
import yaml
from google.protobuf import empty_pb2

from components.config import LocalityFailover
from components.simulation import PROJECT_DIR, Simulation, simulate
from components.simulation.policy_check import PACK_DIR, evaluate, running_pack
from meshfleet_appteam.istio.locality import ServiceFailover, ServiceFailoverArgs
from tests.meshes.helpers import release
from tests.policies.helpers import messages, tampered
from tests.support import CONSUL, LINKERD, prod_raw, raw_config, simulated

PROD_CONFIG = json.loads((PACK_DIR / "config" / "prod.json").read_text())
DEV_CONFIG = json.loads((PACK_DIR / "config" / "dev.json").read_text())
POLICIES = [
    "helm-chart-pinned",
    "kubernetes-explicit-provider",
    "mesh-fleet-consistency",
    "ca-keys-only-in-secrets",
    "east-west-gateway-not-public",
    "locality-failover-needs-outlier-detection",
    "strict-mtls-mesh-wide",
    "control-plane-high-availability",
    "remote-kubeconfigs-token-only",
    "api-server-not-public",
    "default-deny-keeps-mesh-traffic",
    "cluster-admin-only-platform",
    "deny-fleet-admits-linked-clusters",
]


def prod_with(extra: Callable[[Any], None]) -> Simulation:
    """The prod fleet plus resources a careless change might add on top of it."""
    return simulate("prod", then=lambda scope: extra(scope["fleet"]))


def on(fleet: Any, cluster: str) -> pulumi.ResourceOptions:
    return pulumi.ResourceOptions(provider=fleet.clusters[cluster].provider)


def with_mesh(**changes: Any) -> Simulation:
    mesh = prod_raw()["mesh"]
    mesh.update(changes)
    return simulated("prod", config={"meshfleet:mesh": mesh})


# --- the pack answers like a pack the engine loads ---------------------------------------------------


def test_pack_starts_and_describes_its_policies_over_the_analyzer_protocol() -> None:
    with running_pack(PACK_DIR, "prod", dry_run=True, config={}) as pack:
        info = pack.stub.GetAnalyzerInfo(empty_pb2.Empty())
        plugin = pack.stub.GetPluginInfo(empty_pb2.Empty())
    assert info.name == "meshfleet-policies"
    assert [p.name for p in info.policies] == POLICIES
    assert all(p.description for p in info.policies)
    assert {p.name: p.policy_type for p in info.policies}["mesh-fleet-consistency"] == 2  # a stack policy
    assert plugin.version == "1.21.0"


def test_compliant_prod_fleet_passes_every_policy(prod: Simulation) -> None:
    report = evaluate(prod, PROD_CONFIG)
    assert report.violations == []


def test_dev_fleet_is_advised_not_blocked(dev: Simulation) -> None:
    report = evaluate(dev, DEV_CONFIG, stack="dev")
    assert report.mandatory == []
    assert messages(report, "control-plane-high-availability") == [
        "advisory: the istio control plane of kind-east (revision 1-30-5) runs as few as 1 replica; set mesh.controlPlane.replicas to 2 or more",
        "advisory: the istio control plane of kind-west (revision 1-30-5) runs as few as 1 replica; set mesh.controlPlane.replicas to 2 or more",
    ]


def test_first_preview_says_what_it_could_not_check_instead_of_failing() -> None:
    report = evaluate(simulated("prod", preview=True), PROD_CONFIG, preview=True)
    assert report.mandatory == []
    unchecked = {v.policy for v in report.violations if "can't be known during preview" in v.message}
    assert unchecked == {
        "mesh-fleet-consistency",
        "remote-kubeconfigs-token-only",
        "east-west-gateway-not-public",
        "api-server-not-public",  # narrowed access holds the peers' NAT addresses, known once created
    }
    assert all(v.level == "advisory" for v in report.violations)


def test_an_unknown_value_stops_the_ca_key_check_only_where_a_key_could_be() -> None:
    """The gateways' unknown source ranges are CIDRs (prod above: the CA-key policy checks those charts);
    an unknown PEM in a chart's values could be a key, so the policy says it could not check it."""
    report = evaluate(simulated("linkerd", config_file=LINKERD, preview=True), PROD_CONFIG, preview=True)
    unchecked = sorted({v.message.split(": ", 1)[1] for v in report.of("ca-keys-only-in-secrets")})
    assert unchecked == ["string value at .values.identityTrustAnchorsPEM can't be known during preview"]


# --- every policy catches its broken fleet -------------------------------------------------------------


def test_helm_chart_pinned_catches_a_floating_chart_from_an_unknown_repository() -> None:
    def extra(fleet: Any) -> None:
        k8s.helm.v3.Release(
            "eks-use1-podinfo",
            chart="podinfo",
            version="6.x",
            repository_opts=k8s.helm.v3.RepositoryOptsArgs(repo="https://stefanprodan.github.io/podinfo"),
            namespace="demo",
            opts=on(fleet, "eks-use1"),
        )

    assert messages(evaluate(prod_with(extra), PROD_CONFIG), "helm-chart-pinned") == [
        "mandatory: chart 'podinfo' comes from https://stefanprodan.github.io/podinfo; install it from one of the allowed repositories: "
        "https://istio-release.storage.googleapis.com/charts, https://helm.linkerd.io/edge, https://helm.releases.hashicorp.com",
        "mandatory: chart 'podinfo' has version '6.x'; pin an exact chart version (e.g. '1.30.5') so every cluster gets the reviewed chart",
    ]


def test_explicit_provider_catches_a_resource_on_the_default_provider() -> None:
    def extra(fleet: Any) -> None:
        k8s.core.v1.ConfigMap("stray-settings", metadata={"name": "settings", "namespace": "default"}, data={"a": "b"})

    assert messages(evaluate(prod_with(extra), PROD_CONFIG), "kubernetes-explicit-provider") == [
        "mandatory: stray-settings would use the default Kubernetes provider, i.e. whatever cluster the ambient kubeconfig points at; "
        "pass the cluster's provider (parent it under the cluster's component or set `provider=`)"
    ]


def test_fleet_consistency_catches_a_cluster_with_another_mesh_id_and_trust_domain(prod: Simulation) -> None:
    def edit(props: dict[str, Any]) -> None:
        props["values"]["global"]["meshID"] = "mesh-other"
        props["values"]["meshConfig"]["trustDomain"] = "cluster.local"

    report = evaluate(tampered(prod, "gke-euw1-istiod-1-30-5", edit), PROD_CONFIG)
    assert messages(report, "mesh-fleet-consistency") == [
        "mandatory: the clusters disagree on the mesh id: 'mesh-other' in gke-euw1; 'mesh-prod' in eks-use1, eks-usw2; set one mesh.meshId for the whole fleet",
        "mandatory: the clusters disagree on the trust domain: 'cluster.local' in gke-euw1; 'prod.meshfleet.internal' in eks-use1, eks-usw2; set one mesh.trustDomain",
    ]


def test_fleet_consistency_catches_a_revision_at_two_versions(prod: Simulation) -> None:
    report = evaluate(tampered(prod, "eks-usw2-istiod-1-30-5", lambda props: props.__setitem__("version", "1.30.4")), PROD_CONFIG)
    assert messages(report, "mesh-fleet-consistency") == [
        "mandatory: the clusters disagree on the chart version of revision '1-30-5': '1.30.4' in eks-usw2; '1.30.5' in eks-use1, gke-euw1; "
        "run each revision at one version in every cluster (mesh.version, mesh.istio.revisions[].version)"
    ]


def test_fleet_consistency_catches_a_cluster_ca_from_another_root(prod: Simulation, dev: Simulation) -> None:
    foreign = dev.named("kind-west-cacerts", "kubernetes:core/v1:Secret").inputs["stringData"]

    def edit(props: dict[str, Any]) -> None:
        props["stringData"] = dict(foreign)

    report = evaluate(tampered(prod, "eks-use1-cacerts", edit), PROD_CONFIG)
    # Its CA does chain to its own (foreign) bundle; the bundle is what differs.
    assert messages(report, "mesh-fleet-consistency") == [
        "mandatory: the clusters trust different root bundles (eks-use1; eks-usw2, gke-euw1); every cluster must trust the fleet's one root bundle (trust.roots)"
    ]
    # A CA certificate that no root of its bundle issued:
    report = evaluate(
        tampered(prod, "eks-use1-cacerts", lambda props: props["stringData"].__setitem__("ca-cert.pem", foreign["ca-cert.pem"])),
        PROD_CONFIG,
    )
    assert messages(report, "mesh-fleet-consistency") == [
        "mandatory: the CA certificate of eks-use1 is not issued by a root of the fleet's bundle; issue every cluster's intermediate from trust.signingRoot"
    ]


def test_key_policy_catches_keys_in_a_config_map_and_in_chart_values() -> None:
    def extra(fleet: Any) -> None:
        key = fleet.trust.clusters["eks-use1"].private_key_pem
        k8s.core.v1.ConfigMap(
            "eks-use1-ca-backup",
            metadata={"name": "ca-backup", "namespace": "istio-system"},
            data={"ca-key.pem": key},
            opts=on(fleet, "eks-use1"),
        )
        k8s.helm.v3.Release(
            "eks-use1-issuer",
            chart="gateway",
            version="1.30.5",
            repository_opts=k8s.helm.v3.RepositoryOptsArgs(repo="https://istio-release.storage.googleapis.com/charts"),
            namespace="istio-system",
            values={"env": {"CA_KEY": key}},
            opts=on(fleet, "eks-use1"),
        )

    assert messages(evaluate(prod_with(extra), PROD_CONFIG), "ca-keys-only-in-secrets") == [
        "mandatory: ConfigMap eks-use1-ca-backup carries private key material at data.ca-key.pem; ConfigMaps are readable by anyone who can read the namespace: move it into a Secret",
        "mandatory: kubernetes:helm.sh/v3:Release eks-use1-issuer holds private key material at values.env.CA_KEY, which is not a secret property; "
        "put it in a Kubernetes Secret (e.g. Istio's `cacerts`, Linkerd's external-CA issuer Secret, Consul's CA and "
        "peering-token Secrets) and reference it",
    ]


def test_gateway_exposure_catches_a_gateway_open_to_everyone() -> None:
    sim = simulate("prod", config={"meshfleet:gateway": {"exposure": "public", "sourceRanges": ["0.0.0.0/0"]}})
    assert messages(evaluate(sim, PROD_CONFIG), "east-west-gateway-not-public") == [
        f"mandatory: the istio east-west gateway of {cluster} admits ['0.0.0.0/0']; list only the peer clusters' egress ranges in gateway.sourceRanges"
        for cluster in ("eks-use1", "eks-usw2", "gke-euw1")
    ]


def test_gateway_exposure_catches_a_public_gateway_without_source_ranges() -> None:
    clusters = [
        {
            "name": "kind-west",
            "cloud": "existing",
            "region": "local-west",
            "network": "net-west",
            "existing": {"context": "kind-mesh-west"},
        },
        {
            "name": "kind-east",
            "cloud": "existing",
            "region": "local-east",
            "network": "net-east",
            "existing": {"context": "kind-mesh-east"},
        },
    ]
    sim = simulate("dev", config={"meshfleet:clusters": clusters, "meshfleet:gateway": {"exposure": "public"}})
    assert messages(evaluate(sim, PROD_CONFIG, stack="dev"), "east-west-gateway-not-public") == [
        f"mandatory: the istio east-west gateway of {cluster} gets a load balancer that is neither internal nor limited to "
        "source ranges, so whoever can reach its address reaches the mesh; make it internal (gateway.exposure 'internal'; on "
        "an adopted cluster also existing.internalLoadBalancerAnnotations), or list the peers' addresses in gateway.sourceRanges"
        for cluster in ("kind-east", "kind-west")
    ]


def test_dev_stack_raises_no_exposure_advisory_for_what_it_already_sets(dev: Simulation) -> None:
    """The dev gateways are internal on kind's private network (`internalLoadBalancerAnnotations: {}`); the
    advisory used to ask for `gateway.exposure: internal`, which was set all along."""
    assert messages(evaluate(dev, DEV_CONFIG, stack="dev"), "east-west-gateway-not-public") == []


def test_locality_policy_catches_failover_without_outlier_detection() -> None:
    def extra(fleet: Any) -> None:
        k8s.apiextensions.CustomResource(
            "eks-use1-checkout-dr",
            api_version="networking.istio.io/v1",
            kind="DestinationRule",
            metadata={"name": "checkout", "namespace": "shop"},
            spec={
                "host": "checkout.shop.svc.cluster.local",
                "trafficPolicy": {
                    "loadBalancer": {"localityLbSetting": {"enabled": True, "failover": [{"from": "us-east-1", "to": "us-west-2"}]}}
                },
            },
            opts=on(fleet, "eks-use1"),
        )
        # The component builds the same intent with outlier detection, and passes.
        ServiceFailover(
            "eks-use1-payments",
            ServiceFailoverArgs("payments", "shop", failover=[LocalityFailover("us-east-1", "us-west-2")]),
            pulumi.ResourceOptions(providers=[fleet.clusters["eks-use1"].provider]),
        )

    assert messages(evaluate(prod_with(extra), PROD_CONFIG), "locality-failover-needs-outlier-detection") == [
        "mandatory: eks-use1-checkout-dr: trafficPolicy fails over between localities without outlierDetection, so istio never fails over "
        "(istio/istio#12961); add outlierDetection (e.g. consecutive5xxErrors: 5, interval: 10s, baseEjectionTime: 30s), or build it with meshfleet's ServiceFailover"
    ]


def test_strict_mtls_catches_a_permissive_mesh() -> None:
    report = evaluate(with_mesh(mtls="PERMISSIVE"), PROD_CONFIG)
    assert messages(report, "strict-mtls-mesh-wide") == [
        f"mandatory: cluster {cluster} accepts plain text (mesh-wide mTLS is PERMISSIVE); set mesh.mtls: STRICT"
        for cluster in ("eks-use1", "eks-usw2", "gke-euw1")
    ]


def test_strict_mtls_catches_a_cluster_without_any_mesh_wide_policy(prod: Simulation) -> None:
    report = evaluate(
        Simulation([r for r in prod.resources if r.name != "eks-usw2-mesh-mtls"], prod.exports, prod.secret_exports), PROD_CONFIG
    )
    assert messages(report, "strict-mtls-mesh-wide") == ["mandatory: cluster eks-usw2 has no mesh-wide mTLS policy; set mesh.mtls: STRICT"]


def test_high_availability_catches_a_single_replica_control_plane() -> None:
    report = evaluate(with_mesh(controlPlane={"replicas": 1}), PROD_CONFIG)
    assert messages(report, "control-plane-high-availability") == [
        f"mandatory: the istio control plane of {cluster} (revision 1-30-5) runs as few as 1 replica; set mesh.controlPlane.replicas to 2 or more"
        for cluster in ("eks-use1", "eks-usw2", "gke-euw1")
    ]


def test_high_availability_catches_a_missing_disruption_budget(prod: Simulation) -> None:
    def edit(props: dict[str, Any]) -> None:
        props["values"]["global"]["defaultPodDisruptionBudget"] = {"enabled": False}

    report = evaluate(tampered(prod, "eks-use1-istiod-1-30-5", edit), PROD_CONFIG)
    assert messages(report, "control-plane-high-availability") == [
        "mandatory: the istio control plane of eks-use1 has no PodDisruptionBudget, so a node drain can take it down; "
        "run it with more than one replica (meshfleet then enables the budget)"
    ]


def test_remote_kubeconfig_policy_catches_exec_plugins_and_admin_certificates() -> None:
    def extra(fleet: Any) -> None:
        admin = json.dumps(
            {
                "users": [
                    {"name": "eks-usw2", "user": {"exec": {"command": "aws", "args": ["eks", "get-token"]}}},
                    {"name": "kind", "user": {"client-certificate-data": "Y2VydA==", "client-key-data": "a2V5"}},
                ]
            }
        )
        k8s.core.v1.Secret(
            "eks-use1-hand-made-remote-secret",
            metadata={"name": "istio-remote-secret-extra", "namespace": "istio-system", "labels": {"istio/multiCluster": "true"}},
            string_data={"eks-usw2": admin},
            opts=on(fleet, "eks-use1"),
        )

    assert messages(evaluate(prod_with(extra), PROD_CONFIG), "remote-kubeconfigs-token-only") == [
        f"mandatory: istio remote kubeconfig 'eks-usw2' in eks-use1-hand-made-remote-secret: {problem}; "
        "use a reader service-account token (meshfleet's reader credentials) and nothing else"
        for problem in sorted(
            [
                "user 'eks-usw2' uses an exec plugin (exec)",
                "user 'eks-usw2' has no inline service-account token",
                "user 'kind' uses a client certificate (typically a long-lived admin credential) (client-certificate-data)",
                "user 'kind' uses a client key (typically a long-lived admin credential) (client-key-data)",
                "user 'kind' has no inline service-account token",
            ]
        )
    ]


@pytest.mark.parametrize("stack_file", ["Pulumi.prod.yaml", "examples/stacks/Pulumi.primary-remote.yaml"])
def test_example_stacks_comply_with_the_prod_configuration(stack_file: str, primary_remote: Simulation, prod: Simulation) -> None:
    sim = prod if stack_file == "Pulumi.prod.yaml" else primary_remote
    assert evaluate(sim, PROD_CONFIG).violations == [], (PROJECT_DIR / stack_file).name


# --- cluster API servers -------------------------------------------------------------------------------


def test_api_servers_open_to_the_internet_are_mandatory_on_prod_and_advisory_on_dev() -> None:
    clusters = prod_raw()["clusters"]
    for cluster in clusters:
        del cluster["create"]["apiAccessCidrs"]  # the default: 0.0.0.0/0
    sim = simulate("prod", config={"meshfleet:clusters": clusters})
    fix = "set clusters[].create.apiAccessCidrs to the operators' and CI's egress ranges (the peer clusters are added automatically)"
    expected = [
        f"EKS cluster eks-use1 admits ['0.0.0.0/0'] to its public API endpoint; {fix}",
        f"EKS cluster eks-usw2 admits ['0.0.0.0/0'] to its public API endpoint; {fix}",
        f"GKE cluster gke-euw1 admits ['0.0.0.0/0'] to its API endpoint; {fix}",
    ]
    assert messages(evaluate(sim, PROD_CONFIG), "api-server-not-public") == [f"mandatory: {m}" for m in expected]
    assert messages(evaluate(sim, DEV_CONFIG), "api-server-not-public") == [f"advisory: {m}" for m in expected]


def test_prod_examples_do_not_open_api_servers_to_the_internet(prod: Simulation, primary_remote: Simulation) -> None:
    for sim in (prod, primary_remote):
        for cluster in sim.of_type("aws:eks/cluster:Cluster"):
            assert "0.0.0.0/0" not in cluster.inputs["vpcConfig"]["publicAccessCidrs"], cluster.urn
        for cluster in sim.of_type("gcp:container/cluster:Cluster"):
            blocks = [b["cidrBlock"] for b in cluster.inputs["masterAuthorizedNetworksConfig"]["cidrBlocks"]]
            assert "203.0.113.0/24" in blocks and "0.0.0.0/0" not in blocks, cluster.urn


# --- an adopted cluster's gateway made internal by its platform's own annotations -----------------------

METALLB = {"metallb.universe.tf/address-pool": "private-pool"}
DECLARED = {**METALLB, "meshfleet.io/internal-annotations": "metallb.universe.tf/address-pool"}
GATEWAYS = {"istio": "istio-eastwestgateway", "linkerd": "linkerd-multicluster", "consul": "consul"}


def on_metallb(mesh: str) -> Simulation:
    """The dev fleet (two adopted clusters, internal gateways) on MetalLB, whose annotations this pack does not know."""
    clusters = raw_config(PROJECT_DIR / "Pulumi.dev.yaml")["clusters"]
    for cluster in clusters:
        cluster["existing"]["internalLoadBalancerAnnotations"] = METALLB
    config: dict[str, Any] = {"meshfleet:clusters": clusters}
    if mesh != "istio":
        config["meshfleet:mesh"] = raw_config(LINKERD if mesh == "linkerd" else CONSUL)["mesh"]
        config["meshfleet:mesh"].pop("locality", None)  # its failover names the example's cloud regions
    return simulate("dev", config=config)


def gateway_annotations_of(sim: Simulation, mesh: str, cluster: str) -> dict[str, str]:
    values = release(sim, cluster, GATEWAYS[mesh]).inputs["values"]
    if mesh == "istio":
        return dict(values["service"]["annotations"])
    if mesh == "linkerd":
        return dict(values["gateway"]["serviceAnnotations"])
    return dict(yaml.safe_load(values["meshGateway"]["service"]["annotations"]))


@pytest.mark.parametrize("mesh", ["istio", "linkerd", "consul"])
def test_adopted_gateway_internal_by_its_platforms_annotations_passes_prod_policy(mesh: str) -> None:
    """What the program accepts (any `internalLoadBalancerAnnotations`), prod policy accepts: the Service
    carries the declared annotations and the record naming them."""
    sim = on_metallb(mesh)
    for cluster in ("kind-west", "kind-east"):
        assert gateway_annotations_of(sim, mesh, cluster) == DECLARED
    assert messages(evaluate(sim, PROD_CONFIG, stack="dev"), "east-west-gateway-not-public") == []


def test_unknown_annotations_without_the_programs_record_are_still_refused() -> None:
    """A gateway annotated by hand (or by another tool) for a platform the pack does not know, or whose
    record names annotations it no longer carries, is judged public."""
    sim = on_metallb("istio")
    refused = (
        "mandatory: the istio east-west gateway of kind-west gets a load balancer that is neither internal nor limited to "
        "source ranges, so whoever can reach its address reaches the mesh; make it internal (gateway.exposure 'internal'; on "
        "an adopted cluster also existing.internalLoadBalancerAnnotations), or list the peers' addresses in gateway.sourceRanges"
    )

    def annotated(annotations: dict[str, str]) -> Callable[[dict[str, Any]], None]:
        def edit(props: dict[str, Any]) -> None:
            if "values" in props:
                props["values"]["service"]["annotations"] = annotations

        return edit

    undeclared = tampered(sim, "kind-west-istio-eastwestgateway", annotated(METALLB))
    assert messages(evaluate(undeclared, PROD_CONFIG, stack="dev"), "east-west-gateway-not-public") == [refused]
    stale = tampered(
        sim, "kind-west-istio-eastwestgateway", annotated({"meshfleet.io/internal-annotations": "metallb.universe.tf/address-pool"})
    )
    assert messages(evaluate(stale, PROD_CONFIG, stack="dev"), "east-west-gateway-not-public") == [refused]
