"""The canary file's validation: every problem named with its key, in one line, exit 2, nothing written."""

from __future__ import annotations

import io
from pathlib import Path

import yaml

from components.canary import main
from components.canary.command import load
from components.simulation import PROJECT_DIR

from .fake_pulumi import FakePulumi


def run(tmp_path: Path, config: object) -> tuple[int, str, FakePulumi]:
    path = tmp_path / "canary.yaml"
    path.write_text(yaml.safe_dump(config))
    pulumi = FakePulumi(tmp_path, {"acme/shop/prod": {"shop:canaryWeight": "10"}})
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
    "weightKey": "shop:canaryWeight",
}


def test_fails_on_every_bad_setting_at_once(tmp_path: Path) -> None:
    config = {
        **VALID,
        "mesh": "kuma",
        "window": "five minutes",
        "steps": [50, 10],
        "canaryVersion": "v1",
        "thresholds": {"maxErrorRate": 2, "latencyPercentile": 90, "maxLatencyRatio": "fast", "minRequest": 5},
    }
    code, err, pulumi = run(tmp_path, config)
    assert code == 2
    assert err == (
        f"meshfleet canary: {tmp_path / 'canary.yaml'}: "
        "canary.mesh: 'kuma' is not supported; use one of 'istio', 'linkerd', 'consul'; "
        "canary.canaryVersion: 'v1' is also the stableVersion; the canary is compared with a different version; "
        "canary.window: 'five minutes' is not a duration such as '5m', '30s' or '1h'; "
        "canary.steps: [50, 10] is not a rising list of percentages ending at 100, e.g. [10, 50, 100]; "
        "canary.thresholds.minRequest: unknown setting; did you mean 'minRequests'? known settings: "
        "'latencyPercentile', 'maxErrorRate', 'maxLatencyMs', 'maxLatencyRatio', 'minRequests'; "
        "canary.thresholds.maxErrorRate: 2 is out of range; allowed: 0 to 1; "
        "canary.thresholds.latencyPercentile: 90 is not supported; use one of 50, 95, 99; "
        "canary.thresholds.maxLatencyRatio: expected a number, got 'fast'\n"
    )
    assert pulumi.calls == []


def test_fails_on_missing_keys(tmp_path: Path) -> None:
    code, err, _ = run(tmp_path, {"mesh": "linkerd"})
    assert code == 2
    assert "canary.prometheus: is required; the Prometheus base URL, e.g. 'http://prometheus.monitoring:9090'" in err
    assert "canary.weightKey: is required; the stack's config key of the canary weight, e.g. 'shop:canaryWeight'" in err
    assert err.count("\n") == 1


def test_fails_on_a_file_that_is_not_yaml(tmp_path: Path) -> None:
    path = tmp_path / "canary.yaml"
    path.write_text("mesh: [istio\n")
    err = io.StringIO()
    assert main(["--config", str(path)], io.StringIO(), err) == 2
    assert err.getvalue().startswith(f"meshfleet canary: {path} is not YAML: ")


def test_fails_when_no_canary_is_in_progress(tmp_path: Path) -> None:
    path = tmp_path / "canary.yaml"
    path.write_text(yaml.safe_dump(VALID))
    pulumi = FakePulumi(tmp_path, {"acme/shop/prod": {"shop:canaryWeight": "0"}})
    err = io.StringIO()
    assert main(["--config", str(path), "--pulumi", str(pulumi.binary)], io.StringIO(), err) == 2
    assert err.getvalue() == (
        "meshfleet canary: shop:canaryWeight of stack acme/shop/prod is 0: no canary in progress to gate (it runs between 1 and 99)\n"
    )


def test_fails_when_pulumi_cannot_read_the_weight(tmp_path: Path) -> None:
    path = tmp_path / "canary.yaml"
    path.write_text(yaml.safe_dump(VALID))
    pulumi = FakePulumi(tmp_path, {"acme/shop/prod": {}})
    err = io.StringIO()
    assert main(["--config", str(path), "--pulumi", str(pulumi.binary)], io.StringIO(), err) == 2
    assert err.getvalue() == (
        f"meshfleet canary: {pulumi.binary} config get shop:canaryWeight --stack acme/shop/prod failed (exit 1): "
        "error: configuration key 'shop:canaryWeight' not found for stack 'acme/shop/prod'\n"
    )


def test_the_app_team_example_is_valid() -> None:
    settings = load(str(PROJECT_DIR / "examples" / "app-team" / "canary.yaml"), None)
    assert (settings.mesh, settings.stack, settings.weight_key, settings.steps) == (
        "istio",
        "acme/shop/prod",
        "shop:canaryWeight",
        (10, 50, 100),
    )
    assert (settings.thresholds.max_latency_ratio, settings.thresholds.max_latency_ms) == (1.5, 800.0)
