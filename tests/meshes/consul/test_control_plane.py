"""Consul datacenters (components/meshes/consul/control_plane.py): namespace, TLS CA Secrets, the chart, order."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization

from components.simulation import Simulation, simulate
from tests.meshes.helpers import RELEASE, SECRET, depends_on, release
from tests.support import CONSUL, raw_config
from tests.tls_tools import Workload, issue_server, load_cert, load_certs, server_tls

CLUSTERS = ("eks-use1", "gke-usc1", "gke-euw1")


def consul_values(sim: Simulation, cluster: str) -> dict[str, Any]:
    return release(sim, cluster, "consul").inputs["values"]


def ca_secret(sim: Simulation, cluster: str, name: str) -> dict[str, str]:
    return sim.named(f"{cluster}-{name}", SECRET).inputs["stringData"]


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
    }
    assert values["server"] == {"replicas": 3, "disruptionBudget": {"enabled": True}}
    assert values["connectInject"] == {
        "enabled": True,
        "default": True,
        "namespaceSelector": "matchLabels:\n  meshfleet.io/consul-inject: enabled\n",
    }
    assert values["meshGateway"]["enabled"] is True


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


def test_one_server_runs_without_a_disruption_budget_that_would_block_drains() -> None:
    mesh = raw_config(CONSUL)["mesh"]
    mesh["controlPlane"] = {"replicas": 1}
    sim = simulate("consul", config_file=CONSUL, config={"meshfleet:mesh": mesh})
    # The chart renders maxUnavailable 0 for one server (_helpers.tpl consul.server.pdb.maxUnavailable).
    assert consul_values(sim, "gke-euw1")["server"] == {"replicas": 1, "disruptionBudget": {"enabled": False}}
