"""The canary file's validation: every problem named with its key, in one line, exit 2, nothing run."""

from __future__ import annotations

import io
from pathlib import Path

import yaml

from components.canary import main
from components.canary.command import load
from components.simulation import PROJECT_DIR

from .fake_pulumi import FakePulumi, rollout_outputs


def run(tmp_path: Path, config: object) -> tuple[int, str, FakePulumi]:
    path = tmp_path / "canary.yaml"
    path.write_text(yaml.safe_dump(config))
    pulumi = FakePulumi(tmp_path, {"acme/shop/prod": rollout_outputs(10, ("west",))})
    err = io.StringIO()
    code = main(["--config", str(path), "--pulumi", str(pulumi.binary)], io.StringIO(), err)
    return code, err.getvalue(), pulumi


VALID = {
    "mesh": "istio",
    "prometheus": "http://127.0.0.1:9",
    "service": "shop",
    "namespace": "shop",
    "stableVersion": "v1",
    "canaryVersion": "v2",
    "stack": "acme/shop/prod",
}


def test_fails_on_every_bad_setting_at_once(tmp_path: Path) -> None:
    config = {
        **VALID,
        "mesh": "kuma",
        "prometheus": "ftp://gate:hunter2@prometheus",
        "weightKey": "shop:canaryWeight",
        "window": "five minutes",
        "steps": [50, 10],
        "canaryVersion": "v1",
        "prometheusAuth": {"bearerTokenEnv": "TOKEN", "basicAuth": {"username": "gate"}, "headers": {"Authorization": "x"}},
        "analysis": {"interval": "soon", "threshold": 0, "postPromotion": "after"},
        "thresholds": {"maxErrorRate": 2, "latencyPercentile": 90, "maxLatencyRatio": "fast", "minRequest": 5},
    }
    code, err, pulumi = run(tmp_path, config)
    assert code == 2
    assert err == (
        f"meshfleet canary: {tmp_path / 'canary.yaml'}: "
        "canary.weightKey: is gone: the gate records its decisions in the app stack's `canary` output (docs/app-teams.md); "
        "canary.mesh: 'kuma' is not supported; use one of 'istio', 'linkerd', 'consul'; "
        "canary.prometheus: 'ftp://gate:***@prometheus' is not an http:// or https:// URL; "
        "canary.prometheusAuth.basicAuth.passwordEnv: give one of passwordEnv (an environment variable) or passwordFile (a file holding it); "
        "canary.prometheusAuth.basicAuth: give a bearer token or basic auth, not both; "
        "canary.prometheusAuth.headers: Authorization is not a plain header here: use bearerTokenEnv/File or basicAuth (never in the file); "
        "canary.canaryVersion: 'v1' is also the stableVersion; the canary is compared with a different version; "
        "canary.window: 'five minutes' is not a duration such as '5m', '30s' or '1h'; "
        "canary.steps: [50, 10] is not a rising list of percentages ending at 100, e.g. [10, 50, 100]; "
        "canary.analysis.interval: 'soon' is not a duration such as '30s', '1m' or '500ms'; "
        "canary.analysis.threshold: 0 is out of range; allowed: 1 to 100; "
        "canary.analysis.postPromotion: expected true or false, got 'after'; "
        "canary.thresholds.minRequest: unknown setting; did you mean 'minRequests'? known settings: "
        "'latencyPercentile', 'maxErrorRate', 'maxLatencyMs', 'maxLatencyRatio', 'minLatencyDifferenceMs', 'minRequests'; "
        "canary.thresholds.maxErrorRate: 2 is out of range; allowed: 0 to 1; "
        "canary.thresholds.latencyPercentile: 90 is not supported; use one of 50, 95, 99; "
        "canary.thresholds.maxLatencyRatio: expected a number, got 'fast'\n"
    )
    assert "hunter2" not in err
    assert pulumi.calls == []


def test_fails_on_missing_keys(tmp_path: Path) -> None:
    code, err, _ = run(tmp_path, {"mesh": "linkerd"})
    assert code == 2
    assert "canary.prometheus: is required; the Prometheus base URL, e.g. 'http://prometheus.monitoring:9090'" in err
    assert "canary.stack: is required; the app's stack, e.g. 'acme/shop/prod'" in err
    assert err.count("\n") == 1


def test_fails_on_a_file_that_is_not_yaml(tmp_path: Path) -> None:
    path = tmp_path / "canary.yaml"
    path.write_text("mesh: [istio\n")
    err = io.StringIO()
    assert main(["--config", str(path)], io.StringIO(), err) == 2
    assert err.getvalue().startswith(f"meshfleet canary: {path} is not YAML: ")


def test_fails_when_the_app_stack_has_no_rollout(tmp_path: Path) -> None:
    path = tmp_path / "canary.yaml"
    path.write_text(yaml.safe_dump(VALID))
    pulumi = FakePulumi(tmp_path, {"acme/shop/prod": {"clusters": ["west"]}})
    err = io.StringIO()
    assert main(["--config", str(path), "--pulumi", str(pulumi.binary)], io.StringIO(), err) == 2
    assert err.getvalue() == (
        "meshfleet canary: stack acme/shop/prod has no `canary` output: deploy the app with meshfleet_appteam.rollout first "
        "(docs/app-teams.md)\n"
    )


def test_fails_when_pulumi_cannot_read_the_stack(tmp_path: Path) -> None:
    path = tmp_path / "canary.yaml"
    path.write_text(yaml.safe_dump(VALID))
    err = io.StringIO()
    missing = tmp_path / "no-pulumi-here"
    assert main(["--config", str(path), "--pulumi", str(missing)], io.StringIO(), err) == 2
    assert err.getvalue().startswith(
        f"meshfleet canary: {missing} stack output --json --stack acme/shop/prod failed (exit 127): cannot run "
    )


def test_the_app_team_example_is_valid() -> None:
    settings = load(str(PROJECT_DIR / "examples" / "app-team" / "canary.yaml"), None)
    assert (settings.mesh, settings.stack, settings.steps) == ("istio", "acme/shop/prod", (10, 25, 50, 100))
    assert (settings.analysis.interval_seconds, settings.analysis.checks, settings.analysis.threshold) == (60, 5, 2)
    assert settings.analysis.post_promotion is False  # reaching 100 promotes; `postPromotion: true` switches first
    assert (settings.thresholds.max_latency_ratio, settings.thresholds.max_latency_ms) == (1.5, 800.0)
    assert settings.auth.bearer_token_env == "PROMETHEUS_TOKEN"
