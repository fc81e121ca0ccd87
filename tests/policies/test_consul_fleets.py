"""The policy pack on Consul fleets (policies/meshfleet_policies/facts/consul.py), run as the engine runs it
at `pulumi preview`: every mesh-neutral policy checks the Consul stack, and catches each broken fleet."""

from __future__ import annotations

import base64
import json
from typing import Any

import pulumi
import pulumi_kubernetes as k8s

from components.simulation import Simulation, simulate
from components.simulation.policy_check import evaluate
from tests.policies.helpers import messages, tampered
from tests.policies.test_policy_pack import DEV_CONFIG, PROD_CONFIG
from tests.support import CONSUL, raw_config, simulated

CLUSTERS = ("eks-use1", "gke-euw1", "gke-usc1")


def consul_with(**mesh: Any) -> Simulation:
    config = raw_config(CONSUL)["mesh"]
    config.update(mesh)
    return simulate("consul", config_file=CONSUL, config={"meshfleet:mesh": config}, preview=True)


def consul_plus(extra: Any) -> Simulation:
    return simulate("consul", config_file=CONSUL, then=lambda scope: extra(scope["fleet"]))


def on(fleet: Any, cluster: str) -> pulumi.ResourceOptions:
    return pulumi.ResourceOptions(provider=fleet.clusters[cluster].provider)


def in_values(props: dict[str, Any], section: str, key: str, value: Any, drop: str | None = None) -> None:
    """Edit a release's chart values (`tampered` also visits the namespace, which shares the release's name)."""
    if "values" not in props:
        return
    if drop is not None:
        props["values"][section][key].pop(drop)
    else:
        props["values"][section][key] = value


def at_preview(sim: Simulation) -> Any:
    return evaluate(sim, PROD_CONFIG, stack="consul", preview=True)


def test_compliant_consul_fleet_passes_every_policy(consul: Simulation) -> None:
    assert evaluate(consul, PROD_CONFIG, stack="consul").violations == []
    assert at_preview(consul).violations == []


def test_first_preview_of_a_consul_fleet_says_what_it_could_not_check() -> None:
    report = at_preview(simulated("consul", config_file=CONSUL, preview=True))
    assert report.mandatory == []
    unchecked = {v.policy for v in report.violations if "can't be known during preview" in v.message}
    assert unchecked == {"mesh-fleet-consistency", "east-west-gateway-not-public", "ca-keys-only-in-secrets"}


def test_a_single_server_is_caught_and_advised_on_dev() -> None:
    sim = consul_with(controlPlane={"replicas": 1})
    expected = [
        f"the consul control plane of {cluster} (revision default) runs as few as 1 replica; set mesh.controlPlane.replicas to 2 or more"
        for cluster in ("eks-use1", "gke-euw1", "gke-usc1")
    ]
    assert messages(at_preview(sim), "control-plane-high-availability") == [f"mandatory: {m}" for m in expected]
    assert messages(evaluate(sim, DEV_CONFIG, stack="consul", preview=True), "control-plane-high-availability") == [
        f"advisory: {m}" for m in expected
    ]


def test_servers_without_a_disruption_budget_are_caught(consul: Simulation) -> None:
    sim = tampered(consul, "gke-usc1-consul", lambda props: in_values(props, "server", "disruptionBudget", {"enabled": False}))
    assert messages(at_preview(sim), "control-plane-high-availability") == [
        "mandatory: the consul control plane of gke-usc1 has no PodDisruptionBudget, so a node drain can take it down; "
        "run it with more than one replica (meshfleet then enables the budget)"
    ]


def test_a_mesh_gateway_open_to_everyone_is_caught() -> None:
    gateway = {"meshfleet:gateway": {"exposure": "public", "sourceRanges": ["0.0.0.0/0"]}}
    report = at_preview(simulate("consul", config_file=CONSUL, config=gateway))
    assert messages(report, "east-west-gateway-not-public") == [
        f"mandatory: the consul east-west gateway of {cluster} admits ['0.0.0.0/0']; list only the peer clusters' egress ranges "
        "in gateway.sourceRanges"
        for cluster in CLUSTERS
    ]
    # On a brand-new stack the peers' addresses are unknown, so the policy says it could not check.
    first = at_preview(simulate("consul", config_file=CONSUL, config=gateway, preview=True))
    assert {v.level for v in first.of("east-west-gateway-not-public")} == {"advisory"}


def test_a_public_mesh_gateway_without_source_ranges_is_caught(consul: Simulation) -> None:
    sim = tampered(consul, "eks-use1-consul", lambda props: in_values(props, "meshGateway", "service", None, drop="additionalSpec"))
    assert messages(at_preview(sim), "east-west-gateway-not-public") == [
        "mandatory: the consul east-west gateway of eks-use1 gets a load balancer that is neither internal nor limited to "
        "source ranges, so whoever can reach its address reaches the mesh; make it internal (gateway.exposure 'internal'; on "
        "an adopted cluster also existing.internalLoadBalancerAnnotations), or list the peers' addresses in gateway.sourceRanges"
    ]


def test_a_connect_ca_key_in_server_extra_config_is_caught() -> None:
    """The anti-pattern docs/consul.md warns about: `server.extraConfig` lands in a ConfigMap."""

    def extra(fleet: Any) -> None:
        ca = fleet.trust.clusters["eks-use1"]
        config = pulumi.Output.all(ca.certificate_pem, ca.private_key_pem).apply(
            lambda pems: json.dumps({"connect": {"ca_config": {"root_cert": pems[0], "private_key": pems[1]}}})
        )
        k8s.helm.v3.Release(
            "eks-use1-consul-connect-ca",
            chart="consul",
            version="2.0.3",
            repository_opts=k8s.helm.v3.RepositoryOptsArgs(repo="https://helm.releases.hashicorp.com"),
            namespace="consul",
            values={"server": {"extraConfig": config}},
            opts=on(fleet, "eks-use1"),
        )

    assert messages(at_preview(consul_plus(extra)), "ca-keys-only-in-secrets") == [
        "mandatory: kubernetes:helm.sh/v3:Release eks-use1-consul-connect-ca holds private key material at values.server.extraConfig, "
        "which is not a secret property; put it in a Kubernetes Secret (e.g. Istio's `cacerts`, Linkerd's external-CA issuer Secret, "
        "Consul's CA and peering-token Secrets) and reference it"
    ]


def test_a_peering_token_outside_a_secret_is_caught() -> None:
    def extra(fleet: Any) -> None:
        token = fleet.mesh.tokens[("eks-use1", "gke-usc1")].data.apply(lambda data: data["data"])
        k8s.core.v1.ConfigMap(
            "gke-usc1-token-backup",
            metadata={"name": "token-backup", "namespace": "consul"},
            data={"eks-use1": token},
            opts=on(fleet, "gke-usc1"),
        )

    assert messages(at_preview(consul_plus(extra)), "ca-keys-only-in-secrets") == [
        "mandatory: ConfigMap gke-usc1-token-backup carries a Consul peering token at data.eks-use1; ConfigMaps are readable by "
        "anyone who can read the namespace: move it into a Secret"
    ]


def test_a_server_ca_from_another_root_is_caught(consul: Simulation, dev: Simulation) -> None:
    foreign = dev.named("kind-west-cacerts", "kubernetes:core/v1:Secret").inputs["stringData"]
    sim = tampered(consul, "gke-euw1-consul-ca-cert", lambda props: props["stringData"].__setitem__("tls.crt", foreign["ca-cert.pem"]))
    assert messages(at_preview(sim), "mesh-fleet-consistency") == [
        "mandatory: the CA certificate of gke-euw1 is not issued by a root of the fleet's bundle; issue every cluster's intermediate from trust.signingRoot"
    ]
    # A CA file that keeps its own intermediate first but also trusts a foreign CA (after it, as a rotation's standby).
    own = consul.named("gke-euw1-consul-ca-cert", "kubernetes:core/v1:Secret").inputs["stringData"]["tls.crt"]
    sim = tampered(
        consul, "gke-euw1-consul-ca-cert", lambda props: props["stringData"].__setitem__("tls.crt", own + foreign["ca-cert.pem"])
    )
    assert messages(at_preview(sim), "mesh-fleet-consistency") == [
        "mandatory: the CA certificate of gke-euw1 is not issued by a root of the fleet's bundle; issue every cluster's intermediate from trust.signingRoot"
    ]
    sim = tampered(
        consul,
        "gke-euw1-consul-ca-cert",
        lambda props: props["stringData"].update({"tls.crt": foreign["ca-cert.pem"], "ca.crt": foreign["root-cert.pem"]}),
    )
    assert messages(at_preview(sim), "mesh-fleet-consistency") == [
        "mandatory: the clusters trust different root bundles (eks-use1, gke-usc1; gke-euw1); every cluster must trust the fleet's one root bundle (trust.roots)"
    ]


def test_datacenters_at_two_chart_versions_and_a_floating_chart_are_caught(consul: Simulation) -> None:
    sim = tampered(consul, "gke-euw1-consul", lambda props: props.__setitem__("version", "2.0.2"))
    assert messages(at_preview(sim), "mesh-fleet-consistency") == [
        "mandatory: the clusters disagree on the chart version of revision 'default': '2.0.2' in gke-euw1; '2.0.3' in eks-use1, gke-usc1; "
        "run each revision at one version in every cluster (mesh.version, mesh.istio.revisions[].version)"
    ]
    sim = tampered(consul, "gke-euw1-consul", lambda props: props.__setitem__("version", "2.0"))
    assert messages(at_preview(sim), "helm-chart-pinned") == [
        "mandatory: chart 'consul' has version '2.0'; pin an exact chart version (e.g. '1.30.5') so every cluster gets the reviewed chart"
    ]


def test_permissive_or_missing_mesh_wide_mtls_is_caught(consul: Simulation) -> None:
    assert messages(at_preview(consul_with(mtls="PERMISSIVE")), "strict-mtls-mesh-wide") == [
        f"mandatory: cluster {cluster} accepts plain text (mesh-wide mTLS is PERMISSIVE); set mesh.mtls: STRICT" for cluster in CLUSTERS
    ]
    sim = Simulation([r for r in consul.resources if r.name != "gke-usc1-proxydefaults"], consul.exports, consul.secret_exports)
    assert messages(at_preview(sim), "strict-mtls-mesh-wide") == [
        "mandatory: cluster gke-usc1 has no mesh-wide mTLS policy; set mesh.mtls: STRICT"
    ]


def test_a_consul_object_on_the_default_provider_is_caught() -> None:
    def extra(fleet: Any) -> None:
        k8s.apiextensions.CustomResource(
            "stray-exports", api_version="consul.hashicorp.com/v1alpha1", kind="ExportedServices", metadata={"name": "default"}, spec={}
        )

    assert messages(at_preview(consul_plus(extra)), "kubernetes-explicit-provider") == [
        "mandatory: stray-exports would use the default Kubernetes provider, i.e. whatever cluster the ambient kubeconfig points at; "
        "pass the cluster's provider (parent it under the cluster's component or set `provider=`)"
    ]


def test_only_peering_tokens_count_as_tokens(consul: Simulation) -> None:
    from policies.meshfleet_policies.facts.consul import is_peering_token

    read = consul.named("eks-use1-peering-token-gke-usc1", "kubernetes:core/v1:Secret").outputs["data"]["data"]
    assert is_peering_token(read)  # as a Secret's data holds it
    assert is_peering_token(base64.b64decode(read).decode())  # as Consul hands it out
    for other in ("", "not base64!", base64.b64encode(b'{"CA": []}').decode(), base64.b64encode(b"plain").decode()):
        assert not is_peering_token(other), other


def test_a_datacenter_without_acls_is_caught_as_mtls_between_identities_anyone_may_claim(consul: Simulation) -> None:
    sim = tampered(consul, "gke-euw1-consul", lambda props: in_values(props, "global", "acls", None, drop="manageSystemACLs"))
    assert messages(at_preview(sim), "strict-mtls-mesh-wide") == [
        "mandatory: cluster gke-euw1 binds mesh identities to no workload: Consul runs without ACLs (global.acls.manageSystemACLs "
        "is off), so any pod may register as any service and get its certificate; turn ACLs on (meshfleet's Consul module does) "
        "and run each service as a service account of its name"
    ]
