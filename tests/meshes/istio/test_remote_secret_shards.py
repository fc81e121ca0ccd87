"""A primary's remote secrets spread over several Secrets (components/meshes/istio/discovery.py,
`remote_secrets`): each under Kubernetes' 1 MiB, every peer seen by istiod, nothing lost as shards come.

The 400-cluster cases run the component itself under the mocks with kubeconfigs of a real size: a legacy
service-account token signed with RSA-2048 (the claims of kubernetes pkg/serviceaccount/legacy.go) and a
CA bundle of two RSA-2048 certificates, as during a cluster CA rotation. Their Secrets are sized as the
API server returns them (JSON, values in base64) and replayed against the istiod and API server model
(tests/meshes/istio/istiod_model.py).
"""

from __future__ import annotations

import asyncio
import base64
import datetime
import hashlib
import json
from collections.abc import Iterable
from functools import cache

import pulumi
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.x509.oid import NameOID

from components.clusters.kubeconfig import pem_to_data, token_kubeconfig
from components.meshes.istio import discovery
from components.simulation import ProgramFailed, Recorded, Simulation, run_program, simulate
from tests.meshes.istio.helpers import SECRET, depends_on
from tests.meshes.istio.istiod_model import Step, replay, up
from tests.support import problems_of, prod_raw

HOLDER = "c000"
PROD = ("eks-use1", "eks-usw2", "gke-euw1")


@cache
def _rsa_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@cache
def rotation_ca_bundle() -> str:
    """Two RSA-2048 cluster CAs (`CN=kubernetes`, as EKS and kubeadm name theirs): the bundle a kubeconfig
    carries while a cluster's CA is rotated, about twice the usual size."""
    now = datetime.datetime.now(datetime.UTC)
    pems = []
    for serial in (1, 2):
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "kubernetes")])
        cert = (
            x509.CertificateBuilder()
            .subject_name(name)
            .issuer_name(name)
            .public_key(key.public_key())
            .serial_number(serial)
            .not_valid_before(now)
            .not_valid_after(now + datetime.timedelta(days=3650))
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .add_extension(x509.KeyUsage(True, False, True, False, False, True, False, False, False), critical=True)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
            .add_extension(x509.SubjectAlternativeName([x509.DNSName("kubernetes")]), critical=False)
            .sign(key, hashes.SHA256())
        )
        pems.append(cert.public_bytes(serialization.Encoding.PEM).decode())
    return "".join(pems)


def _b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def legacy_token(cluster: str) -> str:
    """A token as the token controller writes it into a `kubernetes.io/service-account-token` Secret."""
    header = {"alg": "RS256", "kid": _b64url(hashlib.sha256(cluster.encode()).digest())}
    claims = {
        "iss": "kubernetes/serviceaccount",
        "kubernetes.io/serviceaccount/namespace": "istio-system",
        "kubernetes.io/serviceaccount/secret.name": "istio-reader-service-account-token-g1",
        "kubernetes.io/serviceaccount/service-account.name": "istio-reader-service-account",
        "kubernetes.io/serviceaccount/service-account.uid": str(hashlib.md5(cluster.encode()).hexdigest()),
        "sub": "system:serviceaccount:istio-system:istio-reader-service-account",
    }
    signing_input = f"{_b64url(json.dumps(header).encode())}.{_b64url(json.dumps(claims).encode())}"
    signature = _rsa_key().sign(signing_input.encode(), padding.PKCS1v15(), hashes.SHA256())
    return f"{signing_input}.{_b64url(signature)}"


@cache
def reader_kubeconfig(cluster: str) -> str:
    server = f"https://{hashlib.sha256(cluster.encode()).hexdigest()[:32].upper()}.gr7.us-east-1.eks.amazonaws.com"
    return token_kubeconfig(cluster, server, pem_to_data(rotation_ca_bundle()), legacy_token(cluster))


def fleet(size: int) -> list[str]:
    return [f"c{i:03d}" for i in range(size)]


def shards_of(
    peers: Iterable[str], *, deployed: Iterable[str] = (), at_least: int = 1, kubeconfigs: dict[str, str] | None = None
) -> Simulation:
    """HOLDER's remote secrets for `peers`, as the mesh registers them (into HOLDER through its provider)."""
    peers = list(peers)
    by_peer = kubeconfigs or {peer: reader_kubeconfig(peer) for peer in peers}

    def program() -> None:
        provider = pulumi.ProviderResource("kubernetes", f"{HOLDER}-k8s", {})
        discovery.remote_secrets(
            HOLDER,
            peers,
            pulumi.Output.from_input(by_peer),
            pulumi.Output.from_input(frozenset(deployed)),
            at_least,
            [],
            pulumi.ResourceOptions(provider=provider),
        )

    return run_program(program)


def labelled(sim: Simulation) -> list[Recorded]:
    return [r for r in sim.of_type(SECRET) if r.inputs["metadata"].get("labels", {}).get("istio/multiCluster") == "true"]


def api_server_json_bytes(secret: Recorded) -> int:
    """The Secret as the API server returns it: JSON with every value in base64."""
    obj = {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": secret.inputs["metadata"],
        "type": secret.inputs["type"],
        "data": {k: base64.b64encode(v.encode()).decode() for k, v in secret.inputs["stringData"].items()},
    }
    return len(json.dumps(obj))


@pytest.fixture(scope="module")
def fleet_of_400() -> Simulation:
    return shards_of(fleet(400)[1:])


@pytest.fixture(scope="module")
def fleet_of_401() -> Simulation:
    return shards_of(fleet(401)[1:])


@pytest.fixture(scope="module")
def fleet_of_402() -> Simulation:
    return shards_of(fleet(402)[1:])


def test_a_reader_kubeconfig_here_is_the_size_of_a_real_one_during_a_ca_rotation() -> None:
    # The figures: about 3 KB a kubeconfig, 4.5 KB during a CA rotation (1 MiB / 234 clusters).
    assert 4_300 < len(reader_kubeconfig("c001")) < 4_800


def test_400_clusters_spread_over_four_secrets_each_under_1_mib(fleet_of_400: Simulation) -> None:
    secrets = labelled(fleet_of_400)
    assert [s.inputs["metadata"]["name"] for s in secrets] == [
        "istio-remote-secrets",
        "istio-remote-secrets-1",
        "istio-remote-secrets-2",
        "istio-remote-secrets-3",
    ]
    for secret in secrets:
        assert api_server_json_bytes(secret) < 1024 * 1024, secret.urn
        # What the program checks before writing counts at least as much as the API server's JSON.
        assert discovery.serialized_bytes(secret.inputs["metadata"]["name"], secret.inputs["stringData"]) >= api_server_json_bytes(secret)
    held = [peer for secret in secrets for peer in secret.inputs["stringData"]]
    assert sorted(held) == fleet(400)[1:]  # every peer once


def test_istiod_sees_every_one_of_399_peers(fleet_of_400: Simulation) -> None:
    controllers = replay(up([], fleet_of_400))  # the API server admits every write, or replay raises
    assert controllers[HOLDER].registered() == set(fleet(400)[1:])
    assert controllers[HOLDER].ignored == []


def test_one_secret_while_it_holds_100_peers() -> None:
    assert [s.inputs["metadata"]["name"] for s in labelled(shards_of(fleet(101)[1:]))] == ["istio-remote-secrets"]
    assert len(labelled(shards_of(fleet(102)[1:]))) == 2


def test_adding_a_cluster_moves_no_other_cluster(fleet_of_400: Simulation, fleet_of_401: Simulation) -> None:
    """399 and 400 peers both take 4 Secrets: the new cluster is added to one, nothing else is written."""
    steps = up(fleet_of_400, fleet_of_401)
    assert [s.describe() for s in steps] == [f"update {HOLDER}/{shard_name(fleet_of_401, 'c400')}"]
    controllers = replay(up([], fleet_of_400), steps)
    assert controllers[HOLDER].dropped == []
    assert controllers[HOLDER].registered() == set(fleet(401)[1:])


def shard_name(sim: Simulation, peer: str) -> str:
    [name] = [s.inputs["metadata"]["name"] for s in labelled(sim) if peer in s.inputs["stringData"]]
    return str(name)


def moved(before: Simulation, after: Simulation) -> set[str]:
    peers = {p for s in labelled(before) for p in s.inputs["stringData"]}
    return {p for p in peers if shard_name(before, p) != shard_name(after, p)}


def test_a_new_shard_takes_clusters_only_from_the_others_and_after_they_let_go(fleet_of_401: Simulation, fleet_of_402: Simulation) -> None:
    """400 to 401 peers: a fifth Secret. The clusters it takes drop out for a moment and come back in the same
    `pulumi up`; none is lost, no other moves."""
    going = moved(fleet_of_401, fleet_of_402)
    assert going and all(shard_name(fleet_of_402, p) == "istio-remote-secrets-4" for p in going)
    assert 40 < len(going) < 120  # about a fifth
    new = fleet_of_402.named(f"{HOLDER}-remote-secrets-4", SECRET)
    assert depends_on(fleet_of_402, new, fleet_of_402.named(f"{HOLDER}-remote-secrets-3", SECRET))
    steps = up(fleet_of_401, fleet_of_402)
    assert steps[-1].describe() == f"create {HOLDER}/istio-remote-secrets-4"
    controllers = replay(up([], fleet_of_401), steps)
    assert controllers[HOLDER].registered() == set(fleet(402)[1:])
    assert set(controllers[HOLDER].dropped) == going


def test_the_new_shard_written_first_would_lose_the_clusters_it_takes(fleet_of_401: Simulation, fleet_of_402: Simulation) -> None:
    """Why the new shard waits for the others: istiod ignores a cluster another Secret still holds, and
    does not look again when that Secret lets go."""
    steps = up(fleet_of_401, fleet_of_402)
    new_first: list[Step] = [steps[-1], *steps[:-1]]
    controllers = replay(up([], fleet_of_401), new_first)
    assert set(fleet(402)[1:]) - controllers[HOLDER].registered() == moved(fleet_of_401, fleet_of_402)


def test_fails_fewer_shards_than_the_last_deployment() -> None:
    """Removing a cluster across a multiple of 100 would merge Secrets: refused, with the setting that keeps them."""
    with pytest.raises(ProgramFailed) as caught:
        shards_of(fleet(401)[1:], deployed=fleet(402))
    assert str(caught.value) == (
        "meshfleet:mesh.istio.remoteSecretShards: with 4 remote secret(s) instead of 5, the clusters of 'istio-remote-secrets-4' "
        "in 'c000' would move to Secrets written before Pulumi deletes it, and istiod ignores a cluster another Secret still "
        "holds: they would drop out of discovery for good; set mesh.istio.remoteSecretShards to 5 to keep the 5 Secrets "
        "(an extra Secret costs nothing)"
    )
    assert len(labelled(shards_of(fleet(401)[1:], deployed=fleet(402), at_least=5))) == 5


def test_fails_fewer_shards_at_preview_even_before_the_tokens_exist() -> None:
    """The refusal needs only the clusters, so the pull request's preview shows it even when the
    kubeconfigs are unknown (new tokens)."""

    def program() -> None:
        async def nothing() -> dict[str, str]:
            return {}  # never read: the Output is unknown

        async def unknown() -> bool:
            return False

        provider = pulumi.ProviderResource("kubernetes", f"{HOLDER}-k8s", {})
        kubeconfigs: pulumi.Output[dict[str, str]] = pulumi.Output(
            set(), asyncio.ensure_future(nothing()), asyncio.ensure_future(unknown())
        )
        discovery.remote_secrets(
            HOLDER,
            fleet(401)[1:],
            kubeconfigs,
            pulumi.Output.from_input(frozenset(fleet(402))),
            1,
            [],
            pulumi.ResourceOptions(provider=provider),
        )

    with pytest.raises(ProgramFailed, match=r"with 4 remote secret\(s\) instead of 5"):
        run_program(program, preview=True)


def test_fails_a_secret_over_1_mib_with_the_setting_that_spreads_it() -> None:
    """Kubeconfigs far larger than usual (an adopted cluster's CA bundle of many certificates): refused
    before the API server would, naming the setting."""
    with pytest.raises(ProgramFailed) as caught:
        shards_of(["a", "b", "c"], kubeconfigs={"a": "x" * 400_000, "b": "y" * 400_000, "c": "z" * 400_000})
    assert str(caught.value) == (
        "meshfleet:mesh.istio.remoteSecretShards: the remote secret 'istio-remote-secrets' in 'c000' would be 1,600,310 bytes "
        "with its 3 kubeconfigs, over Kubernetes' 1,048,576 for a Secret; spread the peers over more Secrets: set "
        "mesh.istio.remoteSecretShards to 3"
    )


# --- the example fleet, through the whole program ----------------------------------------------------


@pytest.fixture(scope="module")
def two_shards() -> Simulation:
    mesh = prod_raw()["mesh"]
    mesh["istio"] = {**mesh["istio"], "remoteSecretShards": 2}
    return simulate("prod", config={"meshfleet:mesh": mesh})


def test_remote_secret_shards_setting_spreads_every_primary(two_shards: Simulation) -> None:
    for holder in PROD:
        first, second = (two_shards.named(f"{holder}-remote-secrets", SECRET), two_shards.named(f"{holder}-remote-secrets-1", SECRET))
        assert second.inputs["metadata"] == {
            "name": "istio-remote-secrets-1",
            "namespace": "istio-system",
            "labels": {"istio/multiCluster": "true"},
        }
        assert second.is_secret("stringData")
        assert sorted([*first.inputs["stringData"], *second.inputs["stringData"]]) == sorted(c for c in PROD if c != holder)
        assert depends_on(two_shards, second, first)


def test_spreading_a_fleet_drops_and_resyncs_the_peers_that_move(prod: Simulation, two_shards: Simulation) -> None:
    """The layout change (here by the setting; by itself past 100 peers): every peer that moves to the new
    Secret drops out and comes back within the `pulumi up`, in every primary at once; the others stay."""
    steps = up(prod, two_shards)
    controllers = replay(up([], prod), steps)
    for holder in PROD:
        assert controllers[holder].registered() == {c for c in PROD if c != holder}
        going = set(two_shards.named(f"{holder}-remote-secrets-1", SECRET).inputs["stringData"])
        assert set(controllers[holder].dropped) == going, holder


def test_fails_remote_secret_shards_below_one() -> None:
    raw = prod_raw()
    raw["mesh"]["istio"] = {**raw["mesh"]["istio"], "remoteSecretShards": 0}
    assert problems_of(raw) == ["meshfleet:mesh.istio.remoteSecretShards: 0 is out of range; allowed: 1 to 1000"]
