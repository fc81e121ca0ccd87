"""What `linkerd check` and `linkerd multicluster check` at edge-26.8.3 would say of a fleet meshfleet builds:
Link versions, issuer expiry warnings and trust-anchor curves."""

from __future__ import annotations

from typing import Any

from cryptography.hazmat.primitives.asymmetric import ec

from components.config import RawConfig
from components.fleet import validate_fleet
from components.meshes.linkerd import values
from components.simulation import PROJECT_DIR, Simulation
from components.simulation.mocks import self_signed_ca
from tests.support import LINKERD, FakeEnvironment, problems_of, raw_config

LINK = "kubernetes:multicluster.linkerd.io/v1alpha3:Link"
HOURS_PER_DAY = 24
CHECK_WARNING_DAYS = 60  # pkg/issuercerts/issuercerts.go:22 expirationWarningThresholdInDays


def test_links_carry_the_created_by_annotation_linkerd_mc_check_compares() -> None:
    # multicluster/cmd/check.go:362-385: `linkerd/cli <version>` equal to the CLI's own version passes.
    assert values.created_by("2026.8.3") == "linkerd/cli edge-26.8.3"
    assert values.created_by("2026.12.10") == "linkerd/cli edge-26.12.10"


def test_every_link_is_annotated_with_the_pinned_cli_version(linkerd: Simulation) -> None:
    links = linkerd.of_type(LINK)
    assert len(links) == 6
    for link in links:
        assert link.inputs["metadata"]["annotations"] == {"linkerd.io/created-by": "linkerd/cli edge-26.8.3"}, link.urn


# --- trust: what `linkerd check` warns of or refuses ----------------------------------------------------


def renewal_hours(raw: dict[str, Any]) -> int:
    spec, _ = validate_fleet(RawConfig(**raw), FakeEnvironment())
    return spec.trust.intermediate_early_renewal_hours


def test_the_default_issuer_renewal_comes_before_linkerd_checks_60_day_warning() -> None:
    renewal = renewal_hours(raw_config(LINKERD))
    assert renewal == 70 * HOURS_PER_DAY
    assert renewal > CHECK_WARNING_DAYS * HOURS_PER_DAY
    # Other meshes keep a tenth of the validity; a value given is kept; a short-lived issuer renews at half-life.
    istio = raw_config(PROJECT_DIR / "Pulumi.prod.yaml")
    istio["trust"].pop("intermediateEarlyRenewalHours", None)
    istio["trust"]["intermediateValidityHours"] = 8760
    assert renewal_hours(istio) == 876
    given = raw_config(LINKERD)
    given["trust"]["intermediateEarlyRenewalHours"] = 100
    assert renewal_hours(given) == 100
    short = raw_config(LINKERD)
    short["trust"]["intermediateValidityHours"] = 30 * HOURS_PER_DAY
    assert renewal_hours(short) == 15 * HOURS_PER_DAY


def p384_root() -> tuple[str, str]:
    return self_signed_ca("p384-root", organization="byo", path_length=1, curve=ec.SECP384R1())


def with_root(raw: dict[str, Any]) -> tuple[dict[str, Any], FakeEnvironment]:
    cert, key = p384_root()
    raw["trust"] = {"roots": [{"name": "byo", "certificateSecret": "byo-cert", "privateKeySecret": "byo-key"}], "protectRoots": False}
    env = FakeEnvironment({"byo-cert": cert, "byo-key": key}, ("byo-cert", "byo-key"))
    return raw, env


def test_fails_a_p384_root_on_linkerd_with_the_reason() -> None:
    raw, env = with_root(raw_config(LINKERD))
    assert problems_of(raw, env) == [
        "meshfleet:trust.roots[0].certificateSecret: the provided root certificate has an ECDSA secp384r1 key: `linkerd check` "
        "accepts an ECDSA trust anchor only on P-256 (secp256r1) signed with SHA-256 (pkg/issuercerts/issuercerts.go "
        "checkECDSACertRequirements at edge-26.8.3); bring a P-256 root"
    ]


def test_a_p384_root_stays_valid_where_the_mesh_takes_any_curve() -> None:
    raw, env = with_root(raw_config(PROJECT_DIR / "Pulumi.prod.yaml"))
    spec, _ = validate_fleet(RawConfig(**raw), env)
    assert spec.trust.roots[0].provided
