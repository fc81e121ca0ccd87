"""The canary gate against a real Prometheus (Debian's package) on 127.0.0.1 scraping three clusters of
every mesh's real label sets (tests/canary/mesh_exporter.py): each scenario decides as Flagger would, and
each decision is recorded in the app stack's `canary` output (a fake `pulumi`, tests/canary/fake_pulumi.py;
tests/examples/test_app_team.py shows the real program keeping a recorded decision on a plain `pulumi up`)."""

from __future__ import annotations

import base64
import dataclasses
import datetime
import io
import ipaddress
import json
import re
import ssl
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import yaml
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from components.canary import main, run_gate
from components.canary.command import load
from components.canary.prometheus import Prometheus, PrometheusError
from components.simulation import Simulation
from tests.examples.test_app_team import MESH_FLEETS, images_and_replicas, live_split, run_app

from . import mesh_exporter, prometheus_server
from .app_pulumi import AppProgramStack
from .fake_pulumi import CANARY_IMAGE, STABLE_IMAGE, FakePulumi, rollout_outputs

STACK = "acme/shop/prod"
MESHES = mesh_exporter.MESHES
CLUSTERS = mesh_exporter.CLUSTERS


@pytest.fixture(scope="module")
def prometheus(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    server = prometheus_server.run_server(request.config)
    if server is None:  # not started with the run (e.g. not installed: the server's start skips or fails)
        with prometheus_server.running(tmp_path_factory.mktemp("prometheus")) as url:
            yield url
        return
    prometheus_server.wait_until_scraped(server)
    yield server.url


def canary_file(tmp_path: Path, mesh: str, scenario: str, prometheus: str, **overrides: Any) -> str:
    config: dict[str, Any] = {
        "mesh": mesh,
        "prometheus": prometheus,
        "service": f"shop-{scenario}",
        "namespace": "shop",
        "stableVersion": "v1",
        "canaryVersion": "v2",
        "window": "30s",
        "stack": STACK,
        "steps": [10, 50, 100],
        "analysis": {"interval": "0s", "checks": 3, "threshold": 2},
        "record": {"attempts": 3, "delay": "0s"},
        "thresholds": {"minRequests": 50, "maxErrorRate": 0.02, "latencyPercentile": 99, "maxLatencyRatio": 1.5, "maxLatencyMs": 2500},
    }
    for key, value in overrides.items():
        config[key] = {**config[key], **value} if isinstance(value, dict) and key in config else value
    path = tmp_path / "canary.yaml"
    path.write_text(yaml.safe_dump(config))
    return str(path)


def gate(tmp_path: Path, config: str, weight: int = 10, *extra: str, fail_up: int = 0) -> tuple[int, str, str, FakePulumi]:
    pulumi = FakePulumi(tmp_path, {STACK: rollout_outputs(weight, CLUSTERS)}, fail_up=fail_up)
    out, err = io.StringIO(), io.StringIO()
    code = main(["--config", config, "--pulumi", str(pulumi.binary), *extra], out, err)
    return code, out.getvalue(), err.getvalue(), pulumi


def recorded(phase: str, weight: int, failed: int) -> dict[str, Any]:
    return {"phase": phase, "weight": weight, "failedChecks": failed, "canaryImage": CANARY_IMAGE}


# --- every scenario on every mesh ----------------------------------------------------------------------

ROLLED_BACK = (1, "rolled-back", 0)
SCENARIOS = {
    "healthy": (0, "progressing", 50),
    "failing": ROLLED_BACK,  # 10% 5xx everywhere
    "slow": ROLLED_BACK,  # 5x slower in one cluster, hidden fleet-wide by a naturally slow other cluster
    "idle": ROLLED_BACK,  # no traffic: no data is a failed check, not a hold
    "onebad": ROLLED_BACK,  # 10% 5xx in one cluster of three with a tenth of the traffic
    "dead": ROLLED_BACK,  # no Ready pod: the callers' 503s and the readiness check
}


@pytest.mark.parametrize("scenario", list(SCENARIOS))
@pytest.mark.parametrize("mesh", MESHES)
def test_each_scenario_decides_as_flagger_would_and_is_recorded(mesh: str, scenario: str, prometheus: str, tmp_path: Path) -> None:
    code, out, err, pulumi = gate(tmp_path, canary_file(tmp_path, mesh, scenario, prometheus))
    expected_code, phase, weight = SCENARIOS[scenario]
    assert (code, err) == (expected_code, ""), out
    failed = 0 if scenario == "healthy" else 2
    assert pulumi.recorded == [recorded(phase, weight, failed)], out
    assert pulumi.outputs[STACK]["canary"]["phase"] == phase
    assert pulumi.outputs[STACK]["canary"]["weight"] == weight
    assert f"recorded: {pulumi.binary} up --yes --skip-preview --stack {STACK}" in out


def failed_lines(out: str) -> set[str]:
    return {line.strip() for line in out.splitlines() if line.strip().startswith("FAILED:")}


def about_ten_percent(line: str, prefix: str) -> bool:
    """Whole-number counters and scrape timing: a 10% error rate reads within half a point of it (a
    loaded machine's late scrapes read 0.1017 and 0.1022 over a 30s window), far from the fleet-wide
    ratio under 1% that hid the bad cluster."""
    found = re.match(re.escape(prefix) + r"(\S+) \(> 0\.02\)$", line)
    return bool(found) and 0.095 <= float(found[1]) <= 0.105  # type: ignore[index]


def test_one_bad_cluster_is_named_and_the_others_pass(prometheus: str, tmp_path: Path) -> None:
    _, out, _, _ = gate(tmp_path, canary_file(tmp_path, "istio", "onebad", prometheus))
    failures = failed_lines(out)
    assert failures and all(line.startswith("FAILED: south: ") for line in failures), out
    assert any(about_ten_percent(line, "FAILED: south: canary error rate ") for line in failures), out


def test_a_slow_canary_fails_in_its_cluster_and_the_naturally_slow_cluster_passes(prometheus: str, tmp_path: Path) -> None:
    _, out, _, _ = gate(tmp_path, canary_file(tmp_path, "consul", "slow", prometheus))
    # All the west canary's requests fall in the 100-250 ms bucket, the stable's in the 25-50 ms one.
    assert "FAILED: west: canary/stable p99 latency ms 4.99497 (248.5 vs 49.75; fails above 1.5 when also 50 ms slower)" in out
    assert not [line for line in failed_lines(out) if not line.startswith("FAILED: west:")], out


def test_a_dead_canary_is_seen_by_its_callers_and_by_its_readiness(prometheus: str, tmp_path: Path) -> None:
    _, out, _, _ = gate(tmp_path, canary_file(tmp_path, "istio", "dead", prometheus))
    failures = failed_lines(out)
    assert "FAILED: west: canary available replicas 0 (needs 1 or more)" in failures
    assert "FAILED: west: callers' error rate to the canary 1 (> 0.02)" in failures
    assert "FAILED: west: canary requests no data (< minRequests 50)" in failures


def test_linkerds_admin_port_traffic_does_not_count_as_the_canarys(prometheus: str, tmp_path: Path) -> None:
    """Without the readiness check a dead Linkerd canary still fails: its probes' and scrapes' successes on
    port 4191 are inbound series, left out by `target_port`."""
    config = canary_file(tmp_path, "linkerd", "dead", prometheus, analysis={"readiness": False})
    code, out, _, pulumi = gate(tmp_path, config)
    assert code == 1, out
    assert "FAILED: south: canary error rate no data (> 0.02)" in failed_lines(out)
    assert 'target_port!="4191"' in out
    assert pulumi.outputs[STACK]["canary"]["phase"] == "rolled-back"


def test_the_whole_progression_runs_in_one_invocation(prometheus: str, tmp_path: Path) -> None:
    code, out, _, pulumi = gate(tmp_path, canary_file(tmp_path, "linkerd", "healthy", prometheus), 10, "--all-steps")
    assert code == 4, out
    assert pulumi.recorded == [recorded("progressing", 50, 0), recorded("promoted", 100, 0)]
    assert pulumi.outputs[STACK]["canary"]["stableImage"] == CANARY_IMAGE
    assert out.count("check 3/3 at weight 10: passed") == 1 and out.count("check 3/3 at weight 50: passed") == 1


def test_the_last_step_promotes(prometheus: str, tmp_path: Path) -> None:
    code, _, _, pulumi = gate(tmp_path, canary_file(tmp_path, "consul", "healthy", prometheus), 50)
    assert code == 4
    assert pulumi.recorded == [recorded("promoted", 100, 0)]


@pytest.mark.parametrize(("scenario", "code", "phase", "weight"), [("healthy", 4, "promoted", 100), ("failing", 1, "rolled-back", 0)])
def test_a_blue_green_switch_is_gated_from_the_dark_phase(
    prometheus: str, tmp_path: Path, scenario: str, code: int, phase: str, weight: int
) -> None:
    """At weight 0 the canary takes header-routed or mirrored requests only; `steps: [100]` switches all
    traffic at once when it passes (Flagger's blue/green), or leaves it on the stable version."""
    config = canary_file(tmp_path, "istio", scenario, prometheus, steps=[100])
    found, out, _, pulumi = gate(tmp_path, config, 0)
    assert found == code, out
    assert pulumi.recorded == [recorded(phase, weight, 0 if code == 4 else 2)]


# --- blue-green with a post-promotion analysis (Argo Rollouts' postPromotionAnalysis) -------------------

SWITCHED = "switched: all traffic on the canary, the stable version still running; the post-promotion checks decide next"


def blue_green(tmp_path: Path, mesh: str, scenario: str, prometheus: str) -> str:
    return canary_file(tmp_path, mesh, scenario, prometheus, steps=[100], analysis={"postPromotion": True})


def again(pulumi: FakePulumi, config: str) -> tuple[int, str, str]:
    """The next invocation of the gate on the same app stack (what the workflow's next run does)."""
    out, err = io.StringIO(), io.StringIO()
    code = main(["--config", config, "--pulumi", str(pulumi.binary)], out, err)
    return code, out.getvalue(), err.getvalue()


@pytest.mark.parametrize("mesh", MESHES)
def test_a_healthy_switch_is_analysed_after_it_switches_then_promoted(mesh: str, prometheus: str, tmp_path: Path) -> None:
    """The dark phase passes: the switch is recorded (weight 100, still progressing: the stable version
    keeps running); the next run's checks judge the canary serving everything, and promote it."""
    config = blue_green(tmp_path, mesh, "healthy", prometheus)
    code, out, err, pulumi = gate(tmp_path, config, 0)
    assert (code, err) == (0, ""), out
    assert pulumi.recorded == [recorded("progressing", 100, 0)]
    assert SWITCHED in out
    assert pulumi.outputs[STACK]["canary"]["stableImage"] == STABLE_IMAGE  # not promoted yet
    code, out, err = again(pulumi, config)
    assert (code, err) == (4, ""), out
    assert "check 3/3 at weight 100: passed (failed checks 0/2)" in out
    assert pulumi.recorded == [recorded("progressing", 100, 0), recorded("promoted", 100, 0)]
    assert pulumi.outputs[STACK]["canary"]["stableImage"] == CANARY_IMAGE


@pytest.mark.parametrize("mesh", MESHES)
def test_a_bad_canary_after_the_switch_rolls_back_to_the_stable_that_kept_running(mesh: str, prometheus: str, tmp_path: Path) -> None:
    """10% 5xx once the canary serves everything: two failed checks at 100 route all back to stable."""
    code, out, err, pulumi = gate(tmp_path, blue_green(tmp_path, mesh, "failing", prometheus), 100)
    assert (code, err) == (1, ""), out
    assert "check 2/3 at weight 100: FAILED (failed checks 2/2)" in out
    assert "decision: rollback (canary weight 100 -> 0, failed checks 2)" in out
    assert pulumi.recorded == [recorded("rolled-back", 0, 2)]
    assert pulumi.outputs[STACK]["canary"]["stableImage"] == STABLE_IMAGE


def test_a_blue_green_rollout_with_its_post_promotion_analysis_runs_in_one_invocation(prometheus: str, tmp_path: Path) -> None:
    code, out, _, pulumi = gate(tmp_path, blue_green(tmp_path, "consul", "healthy", prometheus), 0, "--all-steps")
    assert code == 4, out
    assert pulumi.recorded == [recorded("progressing", 100, 0), recorded("promoted", 100, 0)]
    assert out.count("check 3/3 at weight 0: passed") == 1 and out.count("check 3/3 at weight 100: passed") == 1


def test_without_post_promotion_analysis_reaching_100_promotes_at_once(prometheus: str, tmp_path: Path) -> None:
    code, out, _, pulumi = gate(tmp_path, canary_file(tmp_path, "linkerd", "healthy", prometheus, steps=[100]), 0)
    assert code == 4, out
    assert pulumi.recorded == [recorded("promoted", 100, 0)]
    assert SWITCHED not in out


def test_failed_checks_carry_over_from_the_recorded_position(prometheus: str, tmp_path: Path) -> None:
    pulumi = FakePulumi(tmp_path, {STACK: rollout_outputs(50, CLUSTERS, failed_checks=1)})
    out = io.StringIO()
    code = main(["--config", canary_file(tmp_path, "istio", "failing", prometheus), "--pulumi", str(pulumi.binary)], out, io.StringIO())
    assert code == 1
    assert pulumi.recorded == [recorded("rolled-back", 0, 2)]
    assert "check 1/3 at weight 50: FAILED (failed checks 2/2)" in out.getvalue()


# --- Prometheus down, or behind authentication ---------------------------------------------------------


def test_prometheus_down_counts_as_failed_checks_and_rolls_back(tmp_path: Path) -> None:
    port = prometheus_server._free_port()
    code, out, err, pulumi = gate(tmp_path, canary_file(tmp_path, "istio", "healthy", f"http://127.0.0.1:{port}"))
    assert (code, err) == (1, ""), out
    assert f"cannot read http://127.0.0.1:{port}/api/v1/query: " in out
    assert pulumi.recorded == [recorded("rolled-back", 0, 2)]


TOKEN = "s3cr3t-token-value"
PASSWORD = "hunter2-password"


@contextmanager
def guarded(upstream: str, authorization: str, tenant: str = "shop") -> Iterator[str]:
    """A reverse proxy on 127.0.0.1 that asks for one Authorization value and a tenant header, as an
    authenticating gateway in front of Prometheus does (Prometheus 2.42 has basic auth only, with bcrypt)."""

    class Gateway(mesh_exporter.Handler):
        def do_GET(self) -> None:
            if self.headers.get("Authorization") != authorization or self.headers.get("X-Scope-OrgID") != tenant:
                self.answer(401, b'{"status":"error","error":"unauthorized"}')
                return
            with urllib.request.urlopen(upstream + self.path, timeout=10) as response:
                self.answer(200, response.read())

    with mesh_exporter.on_loopback(Gateway) as address:
        yield f"http://{address}"


def test_a_bearer_token_from_the_environment_and_a_tenant_header(prometheus: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SHOP_PROMETHEUS_TOKEN", TOKEN)
    auth = {"bearerTokenEnv": "SHOP_PROMETHEUS_TOKEN", "headers": {"X-Scope-OrgID": "shop"}}
    with guarded(prometheus, f"Bearer {TOKEN}") as url:
        code, out, err, pulumi = gate(tmp_path, canary_file(tmp_path, "istio", "healthy", url, prometheusAuth=auth))
    assert (code, err) == (0, ""), out
    assert pulumi.recorded == [recorded("progressing", 50, 0)]
    assert TOKEN not in out


def test_basic_auth_from_a_file_and_credentials_in_the_url_are_never_printed(prometheus: str, tmp_path: Path) -> None:
    secret = tmp_path / "password"
    secret.write_text(PASSWORD + "\n")
    expected = "Basic " + base64.b64encode(f"gate:{PASSWORD}".encode()).decode()
    with guarded(prometheus, expected) as url:
        auth = {"basicAuth": {"username": "gate", "passwordFile": str(secret)}, "headers": {"X-Scope-OrgID": "shop"}}
        code, out, err, _ = gate(tmp_path, canary_file(tmp_path, "consul", "healthy", url, prometheusAuth=auth))
        assert (code, err) == (0, ""), out
        # The same credentials in the URL: used as basic auth, printed without the password.
        in_url = url.replace("http://", f"http://gate:{PASSWORD}@")
        code, out, err, _ = gate(
            tmp_path, canary_file(tmp_path, "consul", "healthy", in_url, prometheusAuth={"headers": {"X-Scope-OrgID": "shop"}})
        )
        assert (code, err) == (0, ""), out
        assert "http://gate:***@127.0.0.1:" in out
        # Refused credentials are failed checks, and the refusal is printed without them.
        code, out, _, _ = gate(tmp_path, canary_file(tmp_path, "consul", "healthy", url.replace("http://", "http://gate:wrong@")))
    assert code == 1
    assert "refused the query: HTTP 401 unauthorized" in out
    assert PASSWORD not in out and "wrong" not in out


def tls_server_context(directory: Path) -> ssl.SSLContext:
    """A private CA (written to `directory/ca.pem`) and a server certificate it signed for 127.0.0.1."""
    now = datetime.datetime.now(datetime.UTC)
    ca_key, server_key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "private prometheus ca")])

    def certificate(subject: x509.Name, key: ec.EllipticCurvePrivateKey, ca: bool) -> x509.CertificateBuilder:
        return (
            x509.CertificateBuilder()
            .subject_name(subject)
            .issuer_name(ca_name)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=5))
            .not_valid_after(now + datetime.timedelta(hours=1))
            .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
        )

    ca = certificate(ca_name, ca_key, True).sign(ca_key, hashes.SHA256())
    server = (
        certificate(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")]), server_key, False)
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    (directory / "ca.pem").write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    (directory / "server.pem").write_bytes(server.public_bytes(serialization.Encoding.PEM))
    (directory / "server-key.pem").write_bytes(
        server_key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(directory / "server.pem", directory / "server-key.pem")
    return context


def test_an_https_prometheus_behind_a_private_ca(prometheus: str, tmp_path: Path) -> None:
    class Forward(mesh_exporter.Handler):
        def do_GET(self) -> None:
            with urllib.request.urlopen(prometheus + self.path, timeout=10) as response:
                self.answer(200, response.read())

    with mesh_exporter.on_loopback(Forward, tls_server_context(tmp_path)) as address:
        url = f"https://{address}"
        config = canary_file(tmp_path, "linkerd", "healthy", url, prometheusAuth={"caFile": str(tmp_path / "ca.pem")})
        code, out, err, _ = gate(tmp_path, config)
        assert (code, err) == (0, ""), out
        # Without the CA the certificate is not trusted: failed checks, rolled back, the reason printed.
        code, out, _, _ = gate(tmp_path, canary_file(tmp_path, "linkerd", "healthy", url))
    assert code == 1
    assert "CERTIFICATE_VERIFY_FAILED" in out


def test_an_unset_token_variable_is_bad_input(prometheus: str, tmp_path: Path) -> None:
    config = canary_file(tmp_path, "istio", "healthy", prometheus, prometheusAuth={"bearerTokenEnv": "NOT_SET_ANYWHERE"})
    code, _, err, pulumi = gate(tmp_path, config)
    assert (code, err) == (2, "meshfleet canary: prometheusAuth bearer token: the environment variable NOT_SET_ANYWHERE is not set\n")
    assert pulumi.calls == []


# --- recording -------------------------------------------------------------------------------------------


def test_a_failed_state_write_is_retried(prometheus: str, tmp_path: Path) -> None:
    code, out, err, pulumi = gate(tmp_path, canary_file(tmp_path, "istio", "failing", prometheus), fail_up=2)
    assert (code, err) == (1, ""), out
    assert pulumi.recorded == [recorded("rolled-back", 0, 2)] * 3
    assert pulumi.outputs[STACK]["canary"]["phase"] == "rolled-back"


def test_a_rollback_that_cannot_be_recorded_is_printed_with_its_evidence_and_exit_5(prometheus: str, tmp_path: Path) -> None:
    code, out, err, pulumi = gate(tmp_path, canary_file(tmp_path, "istio", "failing", prometheus), fail_up=3)
    assert code == 5, out
    assert any(about_ten_percent(line, "FAILED: west: canary error rate ") for line in failed_lines(out)), out
    assert "try 3: " in out and "the Kubernetes API server of cluster south did not answer" in out
    decision = json.dumps(recorded("rolled-back", 0, 2), sort_keys=True)
    assert err == (
        "meshfleet canary: rollback to weight 0 was decided but NOT recorded after 3 tries; apply it: "
        f"MESHFLEET_CANARY_DECISION='{decision}' {pulumi.binary} up --yes --skip-preview --stack {STACK}\n"
    )
    assert pulumi.outputs[STACK]["canary"]["weight"] == 10  # nothing was recorded, and the gate says so


def test_no_canary_in_progress_is_bad_input(prometheus: str, tmp_path: Path) -> None:
    pulumi = FakePulumi(tmp_path, {STACK: rollout_outputs(100, CLUSTERS, phase="promoted")})
    err = io.StringIO()
    code = main(["--config", canary_file(tmp_path, "istio", "healthy", prometheus), "--pulumi", str(pulumi.binary)], io.StringIO(), err)
    assert code == 2
    assert err.getvalue() == (
        f"meshfleet canary: stack {STACK}: no canary in progress to gate (the rollout of {CANARY_IMAGE} is promoted at weight 100); "
        "a new canaryImage in the stack's config starts the next one\n"
    )


# --- answers that are not a per-cluster vector ------------------------------------------------------------


def test_a_matrix_answer_is_an_error_not_a_traceback(prometheus: str) -> None:
    with pytest.raises(PrometheusError, match=r"answered a 'matrix', not an instant vector"):
        Prometheus(prometheus).by_cluster("up[1m]")


@contextmanager
def answering(body: bytes) -> Iterator[str]:
    class Odd(mesh_exporter.Handler):
        def do_GET(self) -> None:
            self.answer(200, body)

    with mesh_exporter.on_loopback(Odd) as address:
        yield f"http://{address}"


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b'{"status":"success","data":{"resultType":"vector","result":[{"metric":{"cluster":"west"}}]}}', "a sample without a value"),
        (b'{"status":"success","data":{"resultType":"vector","result":[{"metric":{},"value":[1,"x"]}]}}', "a value that is not a number"),
        (b'{"status":"error","error":"bad_data"}', "did not answer the query: bad_data"),
        (b"<html>proxy error</html>", "cannot read"),
        (b"[]", "did not answer the query"),
    ],
)
def test_odd_answers_are_errors_not_tracebacks(body: bytes, message: str) -> None:
    with answering(body) as url, pytest.raises(PrometheusError, match=message):
        Prometheus(url).by_cluster("up")


def test_help_lists_the_exit_codes(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["--help"])
    shown = capsys.readouterr().out
    assert "5  decided but NOT recorded after every try" in shown and "2  bad input" in shown
    assert "with analysis.postPromotion, weight 100 is the switch: all traffic on the canary, the stable still" in shown


def test_fails_in_ci_without_prometheus_and_says_how_to_install_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", "")
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match=r"apt-get update && apt-get install -y prometheus"):
        prometheus_server.prometheus_binary()


# --- the gate and the real app program together --------------------------------------------------------


@pytest.mark.parametrize(("scenario", "weight", "phase"), [("healthy", 50, "promoted"), ("failing", 10, "rolled-back")])
def test_a_recorded_decision_survives_a_plain_pulumi_up_of_the_real_app(
    prod: Simulation, prometheus: str, tmp_path: Path, scenario: str, weight: int, phase: str
) -> None:
    """The gate records through `pulumi up` of examples/app-team (under the mock runtime, in this process);
    a plain `pulumi up` afterwards, with the committed config (canaryWeight 10), keeps what was recorded."""
    first = run_app(prod.exports, decision=json.dumps({"phase": "progressing", "weight": weight, "canaryImage": CANARY_IMAGE}))
    stack = AppProgramStack(STACK, prod.exports, first.exports)
    # The example fleet's cluster names are not the exporter's: the file names the clusters to judge.
    settings = load(canary_file(tmp_path, "istio", scenario, prometheus, clusters=list(mesh_exporter.CLUSTERS)), None)
    outcome = run_gate(settings, Prometheus(settings.prometheus), stack, io.StringIO(), sleep=lambda _: None)
    assert (outcome.decision.exit_code, outcome.not_recorded) == (4 if phase == "promoted" else 1, [])
    recorded_outputs = stack.last_outputs
    assert recorded_outputs["canary"]["phase"] == phase
    plain = run_app(prod.exports, last=recorded_outputs)
    routes = plain.named("gke-euw1-routing-routes").inputs["spec"]["http"]
    assert [(r["destination"]["subset"], r["weight"]) for r in routes[-1]["route"]] == [("v1", 100), ("v2", 0)]
    assert len(routes) == 1  # no header route to the canary
    stable = plain.named("gke-euw1-v1").inputs["spec"]["template"]["spec"]["containers"][0]["image"]
    assert stable == (CANARY_IMAGE if phase == "promoted" else STABLE_IMAGE)
    assert plain.named("gke-euw1-v2").inputs["spec"]["replicas"] == 0
    assert plain.exports["canary"] == recorded_outputs["canary"]


@pytest.mark.parametrize(("scenario", "phase"), [("healthy", "promoted"), ("failing", "rolled-back")])
@pytest.mark.parametrize("mesh", sorted(MESH_FLEETS))
def test_a_post_promotion_decision_survives_a_plain_pulumi_up_of_the_real_app(
    mesh: str, request: pytest.FixtureRequest, prometheus: str, tmp_path: Path, scenario: str, phase: str
) -> None:
    """A blue-green rollout of examples/app-team from its dark phase: the gate records the switch (all
    traffic on v2, v1 still running its image), a plain `pulumi up` keeps the switch, the post-promotion
    checks promote or roll back, and a plain `pulumi up` afterwards keeps that."""
    fleet, clusters = MESH_FLEETS[mesh]
    outputs = request.getfixturevalue(fleet).exports
    dark = run_app(outputs, canaryWeight=0)
    stack = AppProgramStack(STACK, outputs, dark.exports)
    # The switch is gated on healthy series; the post-promotion checks on the scenario's.
    switch = load(blue_green(tmp_path, mesh, "healthy", prometheus), None)
    switch = dataclasses.replace(switch, clusters=mesh_exporter.CLUSTERS)
    outcome = run_gate(switch, Prometheus(switch.prometheus), stack, io.StringIO(), sleep=lambda _: None)
    assert (outcome.decision.exit_code, outcome.not_recorded, stack.last_outputs["canary"]["weight"]) == (0, [], 100)
    switched = run_app(outputs, last=stack.last_outputs)
    assert switched.exports["weights"] == {"v1": 0, "v2": 100}
    for cluster in clusters:
        assert traffic(switched, mesh, cluster) == {"v2": 100}, cluster
        assert images_and_replicas(switched, cluster) == {"v1": (STABLE_IMAGE, 2), "v2": (CANARY_IMAGE, 2)}
    after = dataclasses.replace(switch, service=f"shop-{scenario}")
    outcome = run_gate(after, Prometheus(after.prometheus), stack, io.StringIO(), sleep=lambda _: None)
    assert (outcome.decision.exit_code, outcome.not_recorded) == (4 if phase == "promoted" else 1, [])
    assert stack.last_outputs["canary"]["phase"] == phase
    plain = run_app(outputs, last=stack.last_outputs)
    assert plain.exports["canary"] == stack.last_outputs["canary"]
    assert plain.exports["weights"] == {"v1": 100, "v2": 0}
    stable = CANARY_IMAGE if phase == "promoted" else STABLE_IMAGE
    for cluster in clusters:
        assert traffic(plain, mesh, cluster) == {"v1": 100}, cluster
        assert images_and_replicas(plain, cluster) == {"v1": (stable, 2), "v2": (CANARY_IMAGE, 0)}, cluster


def traffic(app: Simulation, mesh: str, cluster: str) -> dict[str, int]:
    """The versions that take live traffic in the mesh's own split object, with their weights."""
    found = {}
    backends = live_split(app, mesh, cluster)
    assert isinstance(backends, list), backends
    for backend in backends:
        version = backend.get("serviceSubset") or backend.get("destination", {}).get("subset") or backend["name"].removeprefix("shop-")
        found[version] = backend["weight"]
    return {version: weight for version, weight in found.items() if weight}
