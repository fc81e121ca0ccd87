"""Consul datacenters (components/meshes/consul/control_plane.py): namespace, TLS CA Secrets, the chart, order."""

from __future__ import annotations

import hashlib
import itertools
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization

from components.simulation import Simulation, simulate
from components.simulation.plan import build_plan, render_plan
from components.simulation.state import Deployment
from tests.meshes.consul import chart_model
from tests.meshes.consul.test_discovery import custom_resources
from tests.meshes.helpers import RELEASE, SECRET, depends_on, release
from tests.support import CONSUL, raw_config
from tests.test_storage import adopted_consul
from tests.tls_tools import Workload, issue_server, load_cert, load_certs, new_root, server_tls

CLUSTERS = ("eks-use1", "gke-usc1", "gke-euw1")


def consul_values(sim: Simulation, cluster: str) -> dict[str, Any]:
    return release(sim, cluster, "consul").inputs["values"]


def ca_secret(sim: Simulation, cluster: str, name: str) -> dict[str, str]:
    return sim.named(f"{cluster}-{name}", SECRET).inputs["stringData"]


def ca_rollout(sim: Simulation, cluster: str) -> str:
    """The pod annotations (a YAML string) that servers, injector and gateway get: the CA file's digest."""
    ca_file = ca_secret(sim, cluster, "consul-ca-cert")["tls.crt"]
    return f"meshfleet.io/agent-ca: sha256:{hashlib.sha256(ca_file.encode()).hexdigest()}\n"


def test_the_chart_is_consul_2_0_3_from_hashicorps_repository(consul: Simulation) -> None:
    releases = consul.of_type(RELEASE)
    assert sorted(r.name for r in releases) == sorted(f"{c}-consul" for c in CLUSTERS)
    for r in releases:
        assert (r.inputs["chart"], r.inputs["version"], r.inputs["name"], r.inputs["namespace"]) == ("consul", "2.0.3", "consul", "consul")
        assert r.inputs["repositoryOpts"] == {"repo": "https://helm.releases.hashicorp.com"}, r.name
        assert r.inputs["skipAwait"] is False, r.name  # the peerings start on a ready injector and gateway


@pytest.mark.parametrize("cluster", CLUSTERS)
def test_each_cluster_is_its_own_datacenter_with_tls_peering_injection_and_a_gateway(consul: Simulation, cluster: str) -> None:
    values = consul_values(consul, cluster)
    assert values["global"] == {
        "name": "consul",
        "datacenter": cluster,
        "tls": {
            "enabled": True,
            "caCert": {"secretName": "consul-ca-cert", "secretKey": "tls.crt"},
            "caKey": {"secretName": "consul-ca-key", "secretKey": "tls.key"},
        },
        "peering": {"enabled": True},
        # Secure by default: without ACLs any pod could register as any service (docs/consul.md, ACLs). No
        # bootstrap token is given: server-acl-init makes it and keeps it in a Secret in the cluster.
        "acls": {"manageSystemACLs": True},
        "gossipEncryption": {"autoGenerate": True},
        # The example stack has an EKS cluster, which serves no Gateway API CRDs: it asks the chart for them.
        "installK8sNetworkingCRDs": True,
    }
    rollout = ca_rollout(consul, cluster)
    storage_class = "ebs-gp3" if cluster.startswith("eks") else "standard-rwo"  # the class each created cluster was given
    assert values["server"] == {
        "replicas": 3,
        "storageClass": storage_class,
        "disruptionBudget": {"enabled": True},
        "annotations": rollout,
    }
    assert values["connectInject"] == {
        "enabled": True,
        "default": True,
        "namespaceSelector": "matchLabels:\n  meshfleet.io/consul-inject: enabled\n",
        "annotations": rollout,
        "replicas": 2,
        "disruptionBudget": {"enabled": True, "maxUnavailable": 1},
    }
    assert values["meshGateway"]["enabled"] is True
    assert values["meshGateway"]["annotations"] == rollout


def test_datacenter_names_are_distinct_and_valid_for_consul(consul: Simulation) -> None:
    names = [consul_values(consul, c)["global"]["datacenter"] for c in CLUSTERS]
    assert len(set(names)) == 3
    # agent/config/builder.go: "datacenter can only contain lowercase alphanumeric, - or _ characters."
    assert all(name.replace("-", "").replace("_", "").isalnum() and name == name.lower() for name in names)


def test_the_contract_says_how_a_namespace_joins_the_mesh(consul: Simulation) -> None:
    mesh = consul.exports["mesh"]
    assert mesh["injectionLabel"] == {"meshfleet.io/consul-inject": "enabled"}
    assert mesh["injectionAnnotations"] == {}
    assert (mesh["revisions"], mesh["defaultRevision"]) == ({}, None)


@pytest.mark.parametrize("cluster", CLUSTERS)
def test_order_namespace_ca_secrets_then_the_release(consul: Simulation, cluster: str) -> None:
    namespace = consul.named(f"{cluster}-consul", "kubernetes:core/v1:Namespace")
    assert namespace.inputs["metadata"]["name"] == "consul"
    chart = release(consul, cluster, "consul")
    for name in ("consul-ca-cert", "consul-ca-key"):
        secret = consul.named(f"{cluster}-{name}", SECRET)
        assert depends_on(consul, secret, namespace)
        assert depends_on(consul, chart, secret), f"{chart.urn}: tls-init would make a CA of its own before {name} exists"
        assert secret.provider == consul.named(f"{cluster}-k8s").urn


@pytest.mark.parametrize("cluster", CLUSTERS)
def test_tls_ca_is_the_clusters_intermediate_and_its_key_only_in_a_secret(consul: Simulation, cluster: str) -> None:
    cert_secret = consul.named(f"{cluster}-consul-ca-cert", SECRET)
    key_secret = consul.named(f"{cluster}-consul-ca-key", SECRET)
    assert cert_secret.inputs["metadata"] == {"name": "consul-ca-cert", "namespace": "consul"}
    assert key_secret.inputs["metadata"] == {"name": "consul-ca-key", "namespace": "consul"}
    assert set(ca_secret(consul, cluster, "consul-ca-cert")) == {"tls.crt", "ca.crt"}
    assert ca_secret(consul, cluster, "consul-ca-cert")["ca.crt"] == consul.exports["rootCaBundle"]
    assert set(ca_secret(consul, cluster, "consul-ca-key")) == {"tls.key"}
    assert key_secret.is_secret("stringData")
    [root] = load_certs(consul.exports["rootCaBundle"])
    ca = load_cert(ca_secret(consul, cluster, "consul-ca-cert")["tls.crt"])
    ca.verify_directly_issued_by(root)
    assert ca.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    assert ca.subject.get_attributes_for_oid(x509.NameOID.LOCALITY_NAME)[0].value == cluster
    key = serialization.load_pem_private_key(ca_secret(consul, cluster, "consul-ca-key")["tls.key"].encode(), password=None)
    assert key.public_key().public_numbers() == ca.public_key().public_numbers()  # type: ignore[union-attr]
    assert "PRIVATE KEY" not in str(consul_values(consul, cluster))


def test_every_datacenter_has_its_own_ca(consul: Simulation) -> None:
    assert len({ca_secret(consul, c, "consul-ca-cert")["tls.crt"] for c in CLUSTERS}) == 3


def test_servers_certificates_from_tls_init_verify_under_the_datacenters_ca_and_the_fleet_root(consul: Simulation, tmp_path: Path) -> None:
    """Real handshakes with a server certificate signed as tls-init signs it (SAN `server.<dc>.consul`)."""
    cert = ca_secret(consul, "gke-usc1", "consul-ca-cert")["tls.crt"]
    key = ca_secret(consul, "gke-usc1", "consul-ca-key")["tls.key"]
    server = issue_server(cert, key, "server.gke-usc1.consul")
    # Consul's agents trust `ca_file` = the Secret's tls.crt, an anchor that is not self-signed (Go accepts it).
    assert server_tls(server, cert, "server.gke-usc1.consul", tmp_path, partial_chain=True) is None
    # The same certificate with its CA attached verifies against nothing but the fleet's root bundle.
    chained = Workload(chain_pem=server.chain_pem + cert, key_pem=server.key_pem)
    assert server_tls(chained, consul.exports["rootCaBundle"], "server.gke-usc1.consul", tmp_path) is None
    # Another datacenter's CA does not vouch for it, though both chain to the same root.
    other = ca_secret(consul, "eks-use1", "consul-ca-cert")["tls.crt"]
    assert "certificate verify failed" in str(server_tls(server, other, "server.gke-usc1.consul", tmp_path, partial_chain=True))
    # Nor does a name of another datacenter match it.
    assert "certificate verify failed" in str(server_tls(server, cert, "server.eks-use1.consul", tmp_path, partial_chain=True))


@pytest.mark.parametrize("cluster", CLUSTERS)
def test_an_ha_fleets_injector_and_servers_let_a_node_drain_proceed(consul: Simulation, cluster: str) -> None:
    """Rendered through the chart's helpers (chart_model): two injectors and three servers, each budget letting
    a drain evict one pod. The chart's own default for two injectors would be `maxUnavailable: 0`."""
    values = consul_values(consul, cluster)
    assert chart_model.injector_budget(values) == chart_model.Budget(replicas=2, max_unavailable=1)
    assert chart_model.server_budget(values) == chart_model.Budget(replicas=3, max_unavailable=1)
    defaults = {**values, "connectInject": {**values["connectInject"], "disruptionBudget": {"enabled": True}}}
    assert not chart_model.drain_can_proceed(chart_model.injector_budget(defaults))
    one_injector: dict[str, Any] = {"connectInject": {}}  # what the program wrote before: the chart's one replica, budget on
    assert not chart_model.drain_can_proceed(chart_model.injector_budget(one_injector))


def test_one_server_runs_without_a_disruption_budget_that_would_block_drains() -> None:
    mesh = raw_config(CONSUL)["mesh"]
    mesh["controlPlane"] = {"replicas": 1}
    sim = simulate("consul", config_file=CONSUL, config={"meshfleet:mesh": mesh})
    # The chart renders maxUnavailable 0 for one server (_helpers.tpl consul.server.pdb.maxUnavailable).
    values = consul_values(sim, "gke-euw1")
    assert values["server"] == {
        "replicas": 1,
        "storageClass": "standard-rwo",
        "disruptionBudget": {"enabled": False},
        "annotations": ca_rollout(sim, "gke-euw1"),
    }
    # A test fleet runs one injector, without the budget the chart would render with maxUnavailable 0.
    assert (values["connectInject"]["replicas"], values["connectInject"]["disruptionBudget"]) == (1, {"enabled": False})
    assert chart_model.drain_can_proceed(chart_model.injector_budget(values))
    assert chart_model.drain_can_proceed(chart_model.server_budget(values))


# Root rotation (README, docs/consul.md "Rotating the root"): before it one root; then 1. add the new root,
# 2. sign with it, 3. drop the old one. Each step is a `pulumi up` that finishes before the next.
ROTATION = [(["old"], "old"), (["old", "new"], "old"), (["old", "new"], "new"), (["new"], "new")]
ROTATING = "gke-usc1"


ROOTS = {"old": new_root("old-root"), "new": new_root("new-root")}


@pytest.fixture(scope="module")
def rotation() -> list[Simulation]:
    from tests.test_trust import byo_secrets, byo_trust, deployed

    roots = ROOTS
    steps: list[Simulation] = []
    for names, signing in ROTATION:
        # Each step's stack knows the bundle the last one deployed, as a real stack reads its own outputs.
        before = deployed(steps[-1].exports["rootCaBundle"] if steps else roots["old"][0], "consul")
        trust = {"meshfleet:trust": byo_trust(names, signing)}
        secrets = byo_secrets(*[(name, roots[name]) for name in names])
        steps.append(simulate("consul", config_file=CONSUL, config=trust, secrets=secrets, stack_outputs=before))
    return steps


def intermediates(sim: Simulation, cluster: str) -> dict[str, tuple[str, str]]:
    """The cluster's intermediates by root name, (certificate, key): resources `<cluster>-<root>-intermediate-*`.
    A name that stays from one step to the next is the same resource, and so the same certificate and key."""
    found = {}
    for cert in sim.of_type("tls:index/locallySignedCert:LocallySignedCert"):
        root = cert.name.removeprefix(f"{cluster}-").removesuffix("-intermediate-cert")
        if cert.name.startswith(f"{cluster}-") and cert.name.endswith("-intermediate-cert") and "-" not in root:
            key = sim.named(cert.name.removesuffix("-cert") + "-key")
            found[root] = (str(cert.outputs["certPem"]), str(key.outputs["privateKeyPem"]))
    return found


def ca_file(sim: Simulation, cluster: str) -> list[str]:
    """The roots whose intermediates the agent TLS CA file (`consul-ca-cert` tls.crt) lists, in its order."""
    by_certificate = {load_cert(cert): root for root, (cert, _) in intermediates(sim, cluster).items()}
    return [by_certificate[cert] for cert in load_certs(ca_secret(sim, cluster, "consul-ca-cert")["tls.crt"])]


def trusted_pem(roots: list[str], *sims: Simulation) -> str:
    """The CA file listing these roots' intermediates, each taken from the first simulation that still has it."""
    return "".join(next(i[root][0] for i in (intermediates(sim, ROTATING) for sim in sims) if root in i) for root in roots)


def test_root_rotation_keeps_the_next_intermediate_in_the_agent_ca_file_before_it_signs(rotation: list[Simulation]) -> None:
    """The CA file lists the signing intermediate first (tls-init signs with it) and, while two roots have keys,
    the cluster's intermediate under the other one, issued at step 1 under the name it signs with at step 2."""
    expected = [["old"], ["old", "new"], ["new", "old"], ["new"]]
    for step, roots in zip(rotation, expected, strict=True):
        for cluster in CLUSTERS:
            assert ca_file(step, cluster) == roots, cluster
            assert sorted(intermediates(step, cluster)) == sorted(roots), cluster
            _, signing_key = intermediates(step, cluster)[roots[0]]
            assert ca_secret(step, cluster, "consul-ca-key")["tls.key"] == signing_key, cluster
            for root, (cert, _) in intermediates(step, cluster).items():
                load_cert(cert).verify_directly_issued_by(load_cert(ROOTS[root][0]))
            # A new CA file is a new digest in the release: Helm upgrades it, tls-init re-issues the servers'
            # certificates under the first certificate, and servers, injector and gateway restart on the new file.
            values = consul_values(step, cluster)
            assert values["server"]["annotations"] == values["connectInject"]["annotations"] == ca_rollout(step, cluster)
            assert values["meshGateway"]["annotations"] == ca_rollout(step, cluster)


def test_root_rotation_keeps_every_server_verifiable_at_every_step(rotation: list[Simulation], tmp_path: Path) -> None:
    """Real handshakes, as Go's crypto/x509 verifies (any certificate of `ca_file` is an anchor). During each
    step's roll some servers still hold the certificate tls-init issued at the previous step and some the new
    one, and some verifiers (servers, injector, gateway, dataplanes) still run on the previous CA file while
    restarted ones run on the new file: every pair must verify."""
    name = f"server.{ROTATING}.consul"
    for number, (before, now) in enumerate(itertools.pairwise(rotation), start=1):
        # A name that persists is the same intermediate: the previous signer is still issued at this step.
        current = intermediates(now, ROTATING)
        servers = {
            "previous": issue_server(*current[ca_file(before, ROTATING)[0]], name),
            "current": issue_server(*current[ca_file(now, ROTATING)[0]], name),
        }
        files = {
            "previous": trusted_pem(ca_file(before, ROTATING), now, before),
            "current": ca_secret(now, ROTATING, "consul-ca-cert")["tls.crt"],
        }
        for issued, server in servers.items():
            for trusted, pem in files.items():
                error = server_tls(server, pem, name, tmp_path, partial_chain=True)
                assert error is None, f"step {number}: {issued} server certificate against the {trusted} CA file: {error}"
    # Why the next intermediate is trusted from step 1 on: a verifier still on the CA file from before the
    # rotation (a pod injected before step 1 and never restarted) refuses the servers of step 2.
    step2_server = issue_server(*intermediates(rotation[2], ROTATING)["new"], name)
    refused = server_tls(step2_server, trusted_pem(["old"], rotation[2]), name, tmp_path, partial_chain=True)
    assert "certificate verify failed" in str(refused)


def test_root_rotation_leaves_the_peerings_alone(rotation: list[Simulation]) -> None:
    """Peering never sees the agent TLS CA: a token carries the acceptor's Connect CA roots, and the servers
    answer peers with a certificate from that CA (docs/consul.md, "Rotating the root"). No step re-issues a token."""
    for kind in ("PeeringAcceptor", "PeeringDialer"):
        per_step = [
            {r.name: (without_wait(r.inputs["metadata"]), r.inputs["spec"]) for r in custom_resources(step, kind)} for step in rotation
        ]
        assert per_step[0] and all(step == per_step[0] for step in per_step), kind


def without_wait(metadata: dict[str, Any]) -> dict[str, Any]:
    """A dialer's wait names its token Secret's resourceVersion. The simulated acceptor makes its token anew in
    every run (each step here is a first run), from the agent CA file; a live acceptor keeps its token until its
    version is bumped, and its copy keeps its resourceVersion (tests/meshes/consul/test_peering.py)."""
    annotations = {k: v for k, v in metadata.get("annotations", {}).items() if k != "pulumi.com/waitFor" or "latestPeeringVersion" in v}
    return {**metadata, "annotations": annotations}


# --- the Gateway API CRDs (mesh.consul.installGatewayApiCrds), through chart_model ---------------------------

GKE_STANDARD_CHANNEL = chart_model.STANDARD_KINDS | {"grpcroutes.gateway.networking.k8s.io"}
"""What GKE's managed Gateway API serves on its standard channel (GKE's documentation, not source read here)."""


def served_by(sim: Simulation, cluster: str) -> frozenset[str]:
    """The Gateway API CRDs a cluster serves before the release: GKE's, when the program asked for them."""
    if not cluster.startswith("gke"):
        return frozenset()
    config = sim.named(f"{cluster}-gke").inputs.get("gatewayApiConfig")
    return GKE_STANDARD_CHANNEL if config == {"channel": "CHANNEL_STANDARD"} else frozenset()


def gke_only_fleet(previous: Deployment | None = None, preview: bool = False, **consul: Any) -> Simulation:
    raw = raw_config(CONSUL)
    mesh = raw["mesh"]
    mesh.pop("locality")
    mesh["consul"] = {"peeringTokenGeneration": 1, **consul}
    config = {"meshfleet:mesh": mesh, "meshfleet:clusters": raw["clusters"][1:]}
    return simulate("consul", config_file=CONSUL, config=config, previous=previous, preview=preview)


def test_by_default_the_cluster_serves_the_gateway_api_crds_and_the_injector_starts() -> None:
    sim = gke_only_fleet()
    for cluster in ("gke-usc1", "gke-euw1"):
        values = consul_values(sim, cluster)
        assert values["global"]["installK8sNetworkingCRDs"] is False
        assert values["global"]["crds"] == {"enableTcpRoute": False}  # no experimental TCPRoute watch
        assert chart_model.rendered_gateway_api_crds(values) == frozenset()  # nothing to delete with the release
        assert sim.named(f"{cluster}-gke").inputs["gatewayApiConfig"] == {"channel": "CHANNEL_STANDARD"}
        assert chart_model.injector_starts(values, served_by(sim, cluster)), cluster
        # The chart's default (installK8sNetworkingCRDs true) would install them over GKE's own: what failed before.
        assert chart_model.rendered_gateway_api_crds({"connectInject": {"enabled": True}}) & served_by(sim, cluster)


GKE_CLUSTERS = ("gke-usc1", "gke-euw1")
CRDS_KEY = "meshfleet:mesh.consul.installGatewayApiCrds"


@pytest.fixture(scope="module")
def installed_before_1_1() -> Deployment:
    """A Consul fleet deployed by meshfleet 1.0, whose release kept the chart's default (the CRDs installed):
    its outputs have no `consulGatewayApiCrds`."""
    deployed = gke_only_fleet(installGatewayApiCrds=True).deployment()
    assert deployed.exports.pop("consulGatewayApiCrds") is True
    return deployed


def test_upgrading_a_fleet_whose_chart_installed_the_crds_keeps_them_unless_told(installed_before_1_1: Deployment) -> None:
    sim = gke_only_fleet(installed_before_1_1, preview=True)
    for cluster in GKE_CLUSTERS:
        values = consul_values(sim, cluster)
        assert chart_model.rendered_gateway_api_crds(values) == chart_model.STANDARD_KINDS | {chart_model.TCP_ROUTES}
        assert sim.named(f"{cluster}-gke").op == "same"  # GKE is not asked to install them on top
        assert release(sim, cluster, "consul").op == "same", "the release, and with it every Gateway API object, stays"
    assert not sim.deletes
    [warning] = sim.warnings
    assert warning.startswith(
        f"{CRDS_KEY} is unset; keeping true because the last deployment's Consul chart installed the Gateway API CRDs. "
        "Set it to true to keep them and silence this warning. Setting it to false removes them: Helm deletes CRDs that "
        "leave a release, and the API server then deletes every object of their kinds"
    )
    # `meshfleet preview --state` prints it after the steps, as `pulumi preview` does under Diagnostics.
    plan = render_plan(build_plan(sim, list(sim.exports["clusters"]), installed_before_1_1), sim.exports["clusters"])
    assert plan[-1] == f"warning: {warning}"
    # What the next deployment reads back: it keeps them again.
    assert gke_only_fleet(installed_before_1_1).exports["consulGatewayApiCrds"] is True


def test_turning_installed_crds_off_says_what_the_update_deletes(installed_before_1_1: Deployment) -> None:
    sim = gke_only_fleet(installed_before_1_1, preview=True, installGatewayApiCrds=False)
    for cluster in GKE_CLUSTERS:
        assert chart_model.rendered_gateway_api_crds(consul_values(sim, cluster)) == frozenset()
        assert release(sim, cluster, "consul").op == "update"
    [warning] = sim.warnings
    assert warning.startswith(
        f"{CRDS_KEY} is false and the last deployment's Consul chart installed the Gateway API CRDs: this update removes them"
    )
    assert "every Gateway, HTTPRoute, GatewayClass, ReferenceGrant and TCPRoute in the cluster" in warning


def test_crds_the_chart_never_installed_stay_off_without_a_warning() -> None:
    first = gke_only_fleet()
    assert first.warnings == [] and first.exports["consulGatewayApiCrds"] is False
    again = gke_only_fleet(first.deployment(), preview=True)
    assert again.warnings == []
    assert all(chart_model.rendered_gateway_api_crds(consul_values(again, c)) == frozenset() for c in GKE_CLUSTERS)
    # Set explicitly to true over a deployment that installed them: kept, nothing to warn about.
    kept = gke_only_fleet(gke_only_fleet(installGatewayApiCrds=True).deployment(), preview=True, installGatewayApiCrds=True)
    assert kept.warnings == []


def test_asked_for_the_chart_installs_them_and_the_injector_starts_on_eks(consul: Simulation) -> None:
    for cluster in CLUSTERS:
        values = consul_values(consul, cluster)
        assert chart_model.rendered_gateway_api_crds(values) == chart_model.STANDARD_KINDS | {chart_model.TCP_ROUTES}
        assert chart_model.injector_starts(values, served_by(consul, cluster)), cluster
    assert "gatewayApiConfig" not in consul.named("gke-usc1-gke").inputs  # GKE is not asked to install them too
    # Off on a created EKS cluster, nothing would serve them: the setting refuses that (test_settings.py).
    off = {**consul_values(consul, "eks-use1"), "global": {"installK8sNetworkingCRDs": False, "crds": {"enableTcpRoute": False}}}
    assert not chart_model.injector_starts(off, served_by(consul, "eks-use1"))


def test_an_adopted_clusters_gateway_api_crds_are_read_before_the_release() -> None:
    sim = adopted_consul(None)
    for cluster in ("kind-west", "kind-east"):
        reads = [r for r in sim.of_type("kubernetes:apiextensions.k8s.io/v1:CustomResourceDefinition") if r.name.startswith(f"{cluster}-")]
        assert sorted(r.name for r in reads) == [
            f"{cluster}-crd-{kind}" for kind in ("gatewayclasses", "gateways", "httproutes", "referencegrants")
        ]
        chart = release(sim, cluster, "consul")
        assert all(r.read and depends_on(sim, chart, r) for r in reads), "a missing CRD fails its read, before an injector that exits"
        # What the reads prove served is what the injector watches.
        assert chart_model.injector_starts(chart.inputs["values"], chart_model.STANDARD_KINDS)
