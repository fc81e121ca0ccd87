"""Shared trust (components/trust.py): one root bundle, an intermediate per cluster, real certificates.

Certificates come from the pulumi-tls emulation, which builds them the way the provider does, so what
is verified here (chains, constraints, handshakes) is what a real `pulumi up` would hand the meshes.
"""

from __future__ import annotations

import datetime
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from components.config import FleetConfigError
from components.simulation import ProgramFailed, Simulation, simulate
from tests.tls_tools import issue_workload, load_cert, load_certs, mutual_tls, new_root

CA_KEY_USAGE = {"key_cert_sign": True, "crl_sign": True, "digital_signature": True, "key_encipherment": False}


def root_pem(sim: Simulation) -> str:
    [root] = sim.of_type("tls:index/selfSignedCert:SelfSignedCert")
    return str(root.outputs["certPem"])


def intermediate(sim: Simulation, cluster: str) -> tuple[str, str]:
    """(certificate PEM, private key PEM) of a cluster's intermediate."""
    [cert] = [r for r in sim.of_type("tls:index/locallySignedCert:LocallySignedCert") if r.name.startswith(f"{cluster}-")]
    key = sim.named(cert.name.removesuffix("-cert") + "-key")
    return str(cert.outputs["certPem"]), str(key.outputs["privateKeyPem"])


def bundle(sim: Simulation) -> str:
    return str(sim.exports["rootCaBundle"])


def spiffe(trust_domain: str, namespace: str, account: str) -> str:
    return f"spiffe://{trust_domain}/ns/{namespace}/sa/{account}"


@pytest.mark.parametrize("stack", ["prod", "dev", "linkerd"])
def test_each_intermediate_chains_to_the_root(stack: str, request: pytest.FixtureRequest) -> None:
    sim: Simulation = request.getfixturevalue(stack)
    root = load_cert(root_pem(sim))
    root_key_id = root.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value.digest
    clusters = list(sim.exports["clusters"])
    assert len(clusters) >= 2
    for cluster in clusters:
        cert = load_cert(intermediate(sim, cluster)[0])
        cert.verify_directly_issued_by(root)
        authority = cert.extensions.get_extension_for_class(x509.AuthorityKeyIdentifier).value
        assert authority.key_identifier == root_key_id, cluster
        assert cert.issuer == root.subject, cluster


@pytest.mark.parametrize(
    ("stack", "subject"),
    [("prod", "CN=Example Corp root CA root-2026,O=Example Corp"), ("dev", "CN=meshfleet dev root CA fleet-root,O=meshfleet dev")],
)
def test_root_profile(stack: str, subject: str, request: pytest.FixtureRequest) -> None:
    root = load_cert(root_pem(request.getfixturevalue(stack)))
    constraints = root.extensions.get_extension_for_class(x509.BasicConstraints)
    assert constraints.critical and constraints.value.ca
    assert constraints.value.path_length == 1  # one CA below the root: the clusters' intermediates
    usage = root.extensions.get_extension_for_class(x509.KeyUsage)
    assert usage.critical
    assert {name: getattr(usage.value, name) for name in CA_KEY_USAGE} == CA_KEY_USAGE
    with pytest.raises(x509.ExtensionNotFound):
        root.extensions.get_extension_for_class(x509.ExtendedKeyUsage)
    assert isinstance(root.public_key(), ec.EllipticCurvePublicKey)
    assert root.public_key().curve.name == "secp256r1"  # type: ignore[union-attr]
    assert root.subject.rfc4514_string() == subject


@pytest.mark.parametrize(
    ("stack", "cluster", "organization"), [("prod", "gke-euw1", "Example Corp"), ("dev", "kind-east", "meshfleet dev")]
)
def test_intermediate_profile(stack: str, cluster: str, organization: str, request: pytest.FixtureRequest) -> None:
    sim: Simulation = request.getfixturevalue(stack)
    cert = load_cert(intermediate(sim, cluster)[0])
    constraints = cert.extensions.get_extension_for_class(x509.BasicConstraints)
    assert constraints.critical and constraints.value.ca
    usage = cert.extensions.get_extension_for_class(x509.KeyUsage).value
    assert {name: getattr(usage, name) for name in CA_KEY_USAGE} == CA_KEY_USAGE
    with pytest.raises(x509.ExtensionNotFound):
        cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage)
    assert cert.public_key().curve.name == "secp256r1"  # type: ignore[union-attr]
    assert cert.subject.rfc4514_string() == f"CN=Intermediate CA,O={organization},L={cluster}"
    sans = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert sans.get_values_for_type(x509.DNSName) == ["istiod.istio-system.svc"]


@pytest.mark.parametrize(("stack", "root_hours", "intermediate_hours"), [("prod", 87600, 8760), ("dev", 8760, 720)])
def test_validity_is_as_configured(stack: str, root_hours: int, intermediate_hours: int, request: pytest.FixtureRequest) -> None:
    sim: Simulation = request.getfixturevalue(stack)
    root = load_cert(root_pem(sim))
    assert root.not_valid_after_utc - root.not_valid_before_utc == datetime.timedelta(hours=root_hours)
    for cluster in sim.exports["clusters"]:
        cert = load_cert(intermediate(sim, cluster)[0])
        assert cert.not_valid_after_utc - cert.not_valid_before_utc == datetime.timedelta(hours=intermediate_hours), cluster
        assert cert.not_valid_after_utc <= root.not_valid_after_utc


def test_intermediates_renew_early_as_configured(prod: Simulation) -> None:
    for cert in prod.of_type("tls:index/locallySignedCert:LocallySignedCert"):
        assert cert.inputs["earlyRenewalHours"] == 720, cert.name
        assert cert.outputs["readyForRenewal"] is False, cert.name


@pytest.mark.parametrize(
    ("stack", "client", "server", "domain"),
    [("prod", "eks-use1", "gke-euw1", "prod.meshfleet.internal"), ("dev", "kind-west", "kind-east", "cluster.local")],
)
def test_workloads_of_two_clusters_complete_mutual_tls(
    stack: str, client: str, server: str, domain: str, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    sim: Simulation = request.getfixturevalue(stack)
    trust = bundle(sim)
    caller = issue_workload(*intermediate(sim, client), spiffe(domain, "shop", "frontend"))
    callee = issue_workload(*intermediate(sim, server), spiffe(domain, "shop", "checkout"))
    result = mutual_tls(server=callee, server_trust=trust, client=caller, client_trust=trust, directory=tmp_path)
    assert result.ok, result.error
    assert result.server_saw == f"spiffe://{domain}/ns/shop/sa/frontend"


def test_certificate_from_a_foreign_root_is_refused(prod: Simulation, dev: Simulation, tmp_path: Path) -> None:
    trust = bundle(prod)
    member = issue_workload(*intermediate(prod, "eks-usw2"), spiffe("prod.meshfleet.internal", "shop", "checkout"))
    stranger = issue_workload(*intermediate(dev, "kind-west"), spiffe("prod.meshfleet.internal", "shop", "frontend"))
    result = mutual_tls(server=member, server_trust=trust, client=stranger, client_trust=bundle(dev) + trust, directory=tmp_path)
    assert not result.ok
    assert "certificate verify failed" in str(result.error)


def test_an_intermediate_cannot_mint_further_cas(prod: Simulation, tmp_path: Path) -> None:
    """The root's pathlen:1 stands in for pathlen:0 on intermediates, which pulumi-tls cannot write."""
    rogue_ca = issue_workload(*intermediate(prod, "eks-use1"), "spiffe://prod.meshfleet.internal/ns/x/sa/ca", is_ca=True)
    ca_cert_pem = rogue_ca.chain_pem.split("-----END CERTIFICATE-----")[0] + "-----END CERTIFICATE-----\n"
    leaf = issue_workload(ca_cert_pem, rogue_ca.key_pem, "spiffe://prod.meshfleet.internal/ns/x/sa/leaf")
    leaf = type(leaf)(chain_pem=leaf.chain_pem + intermediate(prod, "eks-use1")[0], key_pem=leaf.key_pem)
    member = issue_workload(*intermediate(prod, "gke-euw1"), spiffe("prod.meshfleet.internal", "shop", "checkout"))
    result = mutual_tls(server=member, server_trust=bundle(prod), client=leaf, client_trust=bundle(prod), directory=tmp_path)
    assert not result.ok
    assert "path length constraint exceeded" in str(result.error)


def test_rsa_is_an_option() -> None:
    trust = {"algorithm": "RSA", "rsaBits": 2048, "protectRoots": False}
    sim = simulate("dev", config={"meshfleet:trust": trust})
    root = load_cert(root_pem(sim))
    public_key = root.public_key()
    assert isinstance(public_key, rsa.RSAPublicKey)
    assert public_key.key_size == 2048
    for cluster in ("kind-west", "kind-east"):
        cert = load_cert(intermediate(sim, cluster)[0])
        assert isinstance(cert.public_key(), rsa.RSAPublicKey)
        cert.verify_directly_issued_by(root)


def test_root_is_protected_in_prod_only(prod: Simulation, dev: Simulation) -> None:
    for sim, root, protected in ((prod, "root-2026", True), (dev, "fleet-root", False)):
        root_resources = [r for r in sim.resources if r.name in (f"{root}-key", f"{root}-cert")]
        assert {r.type for r in root_resources} == {"tls:index/privateKey:PrivateKey", "tls:index/selfSignedCert:SelfSignedCert"}
        assert all(r.protect is protected for r in root_resources), [(r.name, r.protect) for r in root_resources]
        intermediates = [r for r in sim.resources if r.type.startswith("tls:") and "-intermediate-" in r.name]
        assert intermediates and not any(r.protect for r in intermediates)


@pytest.mark.parametrize("stack", ["prod", "dev", "primary_remote", "linkerd"])
def test_private_keys_exist_only_as_secrets(stack: str, request: pytest.FixtureRequest) -> None:
    """Every property anywhere that holds private key material is a Pulumi secret."""
    sim: Simulation = request.getfixturevalue(stack)
    seen = 0
    for resource in sim.resources:
        for kind, properties in (("input", resource.inputs), ("output", resource.outputs)):
            for prop, value in properties.items():
                if "PRIVATE KEY-----" in str(value):
                    seen += 1
                    secret = (
                        resource.is_secret(prop)
                        if kind == "input"
                        else prop in resource.additional_secret_outputs or resource.is_secret(prop)
                    )
                    assert secret, f"{resource.urn}: {kind} {prop} holds a private key in plain text"
    assert seen >= 8  # root and intermediate keys, CSRs, signing inputs, cacerts


@pytest.mark.parametrize("stack", ["prod", "dev", "linkerd"])
def test_exports_hold_no_credentials(stack: str, request: pytest.FixtureRequest) -> None:
    sim: Simulation = request.getfixturevalue(stack)
    text = str(sim.exports)
    for marker in ("PRIVATE KEY", "token", "client-key-data", "get-token", "password"):
        assert marker not in text, marker
    assert load_certs(bundle(sim))  # the bundle is certificates only


# --- bring your own root, and rotating it -------------------------------------------------------


def byo_secrets(*roots: tuple[str, tuple[str, str]]) -> dict[str, str]:
    secrets = {}
    for name, (cert, key) in roots:
        secrets[f"meshfleet:{name}-cert"] = cert
        secrets[f"meshfleet:{name}-key"] = key
    return secrets


def byo_trust(names: list[str], signing: str) -> dict[str, object]:
    return {
        "protectRoots": False,
        "intermediateValidityHours": 720,
        "roots": [{"name": n, "certificateSecret": f"{n}-cert", "privateKeySecret": f"{n}-key"} for n in names],
        "signingRoot": signing,
    }


def test_root_rotation_keeps_workloads_talking(tmp_path: Path) -> None:
    """Each step is one `pulumi up`; workloads holding certificates from the previous step keep working."""
    old, new = new_root("old-root"), new_root("new-root")
    secrets = byo_secrets(("old", old), ("new", new))
    step1 = simulate("dev", config={"meshfleet:trust": byo_trust(["old", "new"], "old")}, secrets=secrets, stack_outputs=deployed(old[0]))
    step2 = simulate(
        "dev", config={"meshfleet:trust": byo_trust(["old", "new"], "new")}, secrets=secrets, stack_outputs=deployed(bundle(step1))
    )
    step3 = simulate(
        "dev",
        config={"meshfleet:trust": byo_trust(["new"], "new")},
        secrets=byo_secrets(("new", new)),
        stack_outputs=deployed(bundle(step2)),
    )

    assert load_certs(bundle(step1)) == load_certs(bundle(step2)) == [load_cert(old[0]), load_cert(new[0])]
    assert load_certs(bundle(step3)) == [load_cert(new[0])]
    assert not step1.of_type("tls:index/selfSignedCert:SelfSignedCert")  # provided roots are not generated

    before = issue_workload(*intermediate(step1, "kind-west"), spiffe("cluster.local", "shop", "frontend"))
    after = issue_workload(*intermediate(step2, "kind-east"), spiffe("cluster.local", "shop", "checkout"))
    load_cert(intermediate(step2, "kind-east")[0]).verify_directly_issued_by(load_cert(new[0]))
    # Mid-rotation: an old-root workload and a new-root workload, both trusting the two-root bundle.
    assert mutual_tls(after, bundle(step2), before, bundle(step1), tmp_path).ok
    # Once the old root is dropped, only certificates under the new root are trusted.
    latest = issue_workload(*intermediate(step3, "kind-west"), spiffe("cluster.local", "shop", "frontend"))
    assert mutual_tls(after, bundle(step3), latest, bundle(step3), tmp_path).ok
    refused = mutual_tls(after, bundle(step3), before, bundle(step1), tmp_path)
    assert not refused.ok and "certificate verify failed" in str(refused.error)


def deployed(bundle_pem: str, stack: str = "dev") -> dict[str, dict[str, str]]:
    """What the stack's last deployment exported, as its reference to itself reads it."""
    return {f"organization/meshfleet/{stack}": {"rootCaBundle": bundle_pem}}


def test_fails_root_swap_that_is_neither_a_superset_nor_a_subset_of_the_deployed_bundle() -> None:
    old, new = new_root("old-root"), new_root("new-root")
    with pytest.raises(ProgramFailed) as caught:
        simulate(
            "dev", config={"meshfleet:trust": byo_trust(["new"], "new")}, secrets=byo_secrets(("new", new)), stack_outputs=deployed(old[0])
        )
    assert str(caught.value.error) == (
        "meshfleet:trust.roots: the root bundle would change from ['CN=old-root,O=byo'] to ['CN=new-root,O=byo'], and neither contains the "
        "other: workloads under the old and the new roots could no longer verify each other (and Istio's istiod ignores such "
        "a change: 'Updating new ROOT-CA not supported'); rotate in steps, each a `pulumi up` that finishes before the next: 1. add "
        "the new root to trust.roots beside the current ones; 2. set trust.signingRoot to it (intermediates are re-issued "
        "under it); 3. remove the old roots"
    )
    assert not [r for r in caught.value.resources if r.type == "kubernetes:core/v1:Secret" and r.name.endswith("-cacerts")]


def test_first_deployment_and_unchanged_bundle_pass(dev: Simulation) -> None:
    """The dev fixture ran as a first deployment (no outputs yet); re-running with its own bundle passes."""
    old = new_root("old-root")
    simulate(
        "dev", config={"meshfleet:trust": byo_trust(["old"], "old")}, secrets=byo_secrets(("old", old)), stack_outputs=deployed(old[0])
    )
    assert dev.named("meshfleet-deployed").read


def test_fails_provided_root_that_does_not_match_its_key() -> None:
    cert, _ = new_root("one")
    _, other_key = new_root("two")
    with pytest.raises(ProgramFailed) as caught:
        simulate("dev", config={"meshfleet:trust": byo_trust(["one"], "one")}, secrets=byo_secrets(("one", (cert, other_key))))
    assert isinstance(caught.value.error, FleetConfigError)
    assert caught.value.error.problems[0].key == "meshfleet:trust.roots[0].certificateSecret"
    assert caught.value.error.problems[0].message == "the provided root certificate private key does not match the certificate's public key"
    assert caught.value.resources == []


def test_fails_provided_root_that_is_expired_or_not_a_ca() -> None:
    expired_cert, expired_key = new_root("expired", days=-1)
    with pytest.raises(ProgramFailed) as caught:
        simulate(
            "dev",
            config={"meshfleet:trust": byo_trust(["expired"], "expired")},
            secrets=byo_secrets(("expired", (expired_cert, expired_key))),
        )
    assert [p.message for p in caught.value.error.problems] == [  # type: ignore[attr-defined]
        f"the provided root certificate expired on {load_cert(expired_cert).not_valid_after_utc:%Y-%m-%d}"
    ]


def test_fails_provided_root_given_as_plain_config() -> None:
    cert, key = new_root("plain")
    with pytest.raises(ProgramFailed) as caught:
        simulate("dev", config={"meshfleet:trust": byo_trust(["plain"], "plain"), **byo_secrets(("plain", (cert, key)))})
    assert [str(p) for p in caught.value.error.problems] == [  # type: ignore[attr-defined]
        "meshfleet:trust.roots[0].certificateSecret: config key 'meshfleet:plain-cert' is not a secret; "
        "set it again with `pulumi config set --secret plain-cert < root.pem`",
        "meshfleet:trust.roots[0].privateKeySecret: config key 'meshfleet:plain-key' is not a secret; "
        "set it again with `pulumi config set --secret plain-key < root-key.pem`",
    ]


def test_fails_provided_root_of_another_algorithm_naming_both() -> None:
    from components.config.pem import root_certificate_problems

    cert, key = new_root("ec")  # an ECDSA P-256 root
    assert root_certificate_problems(cert, key, "RSA") == ["has an ECDSA key but trust.algorithm is 'RSA'"]
