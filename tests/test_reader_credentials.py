"""Reader kubeconfigs (components/k8s/reader_credentials.py) trust the CA of the endpoint the peer dials.

An adopted cluster whose API server presents a certificate from another CA than the cluster's own (an
API behind a proxy or a load balancer with a corporate certificate) is the case where the token
Secret's `ca.crt` is wrong: the test gives the adopted cluster such an endpoint, then shakes hands with
it over loopback using the CA each kubeconfig carries, as istiod's or the service mirror's client would.
"""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from components.simulation import Simulation, simulate
from components.simulation.mocks import api_server_ca
from tests.meshes.helpers import SECRET
from tests.support import LINKERD, raw_config
from tests.tls_tools import Workload, issue_server, new_root, server_tls

WEST_HOST = "api.west.corp.example"
ENDPOINT_CA, ENDPOINT_CA_KEY = new_root("corporate API CA")


def adopted_kubeconfig(cluster: str, server: str, ca_pem: str | None) -> str:
    entry: dict[str, Any] = {"server": server}
    if ca_pem is not None:
        entry["certificate-authority-data"] = base64.b64encode(ca_pem.encode()).decode()
    return json.dumps(
        {
            "apiVersion": "v1",
            "kind": "Config",
            "clusters": [{"name": cluster, "cluster": entry}],
            "users": [{"name": cluster, "user": {"token": "operator"}}],
            "contexts": [{"name": cluster, "context": {"cluster": cluster, "user": cluster}}],
            "current-context": cluster,
        }
    )


def adopted_fleet(
    mesh: dict[str, Any] | None = None, west_ca: str | None = ENDPOINT_CA, west_server: str = f"https://{WEST_HOST}:6443", **west: Any
) -> Simulation:
    """Two adopted clusters, each from a kubeconfig held as a secret; kind-west's kubeconfig names
    `west_server` and `west_ca` (None: no CA), and `west` adds to its `existing` settings."""
    private: dict[str, Any] = {"internalLoadBalancerAnnotations": {}}
    clusters: list[dict[str, Any]] = [
        {
            "name": name,
            "cloud": "existing",
            "region": f"local-{side}",
            "network": f"net-{side}",
            "existing": {"kubeconfigSecret": f"{side}-kubeconfig", **private},
        }
        for name, side in (("kind-west", "west"), ("kind-east", "east"))
    ]
    clusters[0]["existing"].update(west)
    config: dict[str, Any] = {"meshfleet:clusters": clusters}
    if mesh is not None:
        config["meshfleet:mesh"] = mesh
    return simulate(
        "dev",
        config=config,
        secrets={
            "meshfleet:west-kubeconfig": adopted_kubeconfig("west", west_server, west_ca),
            "meshfleet:east-kubeconfig": adopted_kubeconfig("east", "https://api.east.corp.example:6443", api_server_ca("kind-east")),
        },
    )


@pytest.fixture(scope="module")
def istio() -> Simulation:
    return adopted_fleet()


@pytest.fixture(scope="module")
def linkerd() -> Simulation:
    return adopted_fleet(raw_config(LINKERD)["mesh"])


@pytest.fixture(scope="module")
def west_endpoint() -> Workload:
    """What kind-west's API endpoint presents: a certificate of the corporate CA, not of the cluster's own."""
    return issue_server(ENDPOINT_CA, ENDPOINT_CA_KEY, WEST_HOST)


def istio_kubeconfig(sim: Simulation, holder: str, observed: str) -> dict[str, Any]:
    [secret] = [
        s
        for s in sim.of_type(SECRET)
        if s.provider == sim.named(f"{holder}-k8s").urn
        and observed in s.inputs.get("stringData", {})
        and s.inputs["metadata"]["namespace"] == "istio-system"
    ]
    parsed: dict[str, Any] = yaml.safe_load(secret.inputs["stringData"][observed])
    return parsed


def linkerd_kubeconfig(sim: Simulation, source: str, target: str) -> dict[str, Any]:
    """The service mirror's credentials for `target` in `source` (mirror.linkerd.io/remote-kubeconfig)."""
    [secret] = [
        s
        for s in sim.of_type(SECRET)
        if s.provider == sim.named(f"{source}-k8s").urn
        and s.inputs.get("type") == "mirror.linkerd.io/remote-kubeconfig"
        and s.inputs["metadata"] == {"name": f"cluster-credentials-{target}", "namespace": "linkerd-multicluster"}
    ]
    parsed: dict[str, Any] = yaml.safe_load(secret.inputs["stringData"]["kubeconfig"])
    return parsed


def trusted_ca(kubeconfig: dict[str, Any]) -> str:
    [cluster] = kubeconfig["clusters"]
    return base64.b64decode(cluster["cluster"]["certificate-authority-data"]).decode()


def token_secret_ca(sim: Simulation, reader: str) -> str:
    """What the token controller wrote into the reader's token Secret as `ca.crt`: the cluster's own CA."""
    return base64.b64decode(sim.named(reader, SECRET).outputs["data"]["ca.crt"]).decode()


@pytest.mark.parametrize(
    ("mesh", "kubeconfig_of", "reader"),
    [("istio", istio_kubeconfig, "kind-west-istio-reader"), ("linkerd", linkerd_kubeconfig, "kind-west-linkerd-reader")],
)
def test_reader_kubeconfig_trusts_the_ca_of_the_endpoint_the_peer_dials(
    mesh: str, kubeconfig_of: Any, reader: str, west_endpoint: Workload, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    sim: Simulation = request.getfixturevalue(mesh)
    kubeconfig = kubeconfig_of(sim, "kind-east", "kind-west")
    [cluster] = kubeconfig["clusters"]
    assert cluster["cluster"]["server"] == f"https://{WEST_HOST}:6443"
    assert trusted_ca(kubeconfig) == ENDPOINT_CA == sim.exports["clusters"]["kind-west"]["caCertificate"]
    # The handshake kind-east's control plane makes with kind-west's API: verified with the endpoint's CA...
    assert server_tls(west_endpoint, trusted_ca(kubeconfig), WEST_HOST, tmp_path) is None
    # ...and refused with the token Secret's `ca.crt`, as istioctl create-remote-secret would copy it.
    assert token_secret_ca(sim, reader) != ENDPOINT_CA
    assert "certificate verify failed" in str(server_tls(west_endpoint, token_secret_ca(sim, reader), WEST_HOST, tmp_path))


def test_endpoint_without_a_ca_in_its_kubeconfig_is_checked_against_the_system_roots() -> None:
    """A publicly trusted endpoint: the operator's kubeconfig names no CA, and neither does the reader's,
    as link-gen would copy it (an empty `certificate-authority-data` would be an invalid bundle)."""
    sim = adopted_fleet(west_ca=None)
    [cluster] = istio_kubeconfig(sim, "kind-east", "kind-west")["clusters"]
    assert cluster["cluster"] == {"server": f"https://{WEST_HOST}:6443"}


def test_api_server_reached_elsewhere_is_trusted_with_its_own_ca(west_endpoint: Workload, tmp_path: Path) -> None:
    """The operator reaches kind-west directly (its kubeconfig: the cluster's own CA), the peers through a
    proxy presenting the corporate certificate (`apiServer`, `apiServerCa`)."""
    sim = adopted_fleet(
        west_ca=api_server_ca("kind-west"),
        west_server="https://10.0.0.1:6443",
        apiServer=f"https://{WEST_HOST}:6443",
        apiServerCa=ENDPOINT_CA,
    )
    kubeconfig = istio_kubeconfig(sim, "kind-east", "kind-west")
    assert kubeconfig["clusters"][0]["cluster"]["server"] == f"https://{WEST_HOST}:6443"
    assert trusted_ca(kubeconfig) == ENDPOINT_CA
    assert server_tls(west_endpoint, trusted_ca(kubeconfig), WEST_HOST, tmp_path) is None
