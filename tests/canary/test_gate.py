"""The canary gate against a real Prometheus scraping mesh-shaped metrics of every mesh: it advances and
promotes a healthy canary, rolls back a failing one, and writes the weight through `pulumi config set`."""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from components.canary import main

from . import prometheus_server
from .fake_pulumi import FakePulumi

STACK = "acme/shop/prod"
KEY = "shop:canaryWeight"
MESHES = ("istio", "linkerd", "consul")


@pytest.fixture(scope="module")
def prometheus(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    server = prometheus_server.run_server(request.config)
    if server is None:  # not started with the run (e.g. not installed: the server's start skips or fails)
        with prometheus_server.running(tmp_path_factory.mktemp("prometheus")) as url:
            yield url
        return
    prometheus_server.wait_until_scraped(server)
    yield server.url


def canary_file(tmp_path: Path, mesh: str, app: str, prometheus: str, **thresholds: object) -> str:
    config = {
        "mesh": mesh,
        "prometheus": prometheus,
        "service": app,
        "namespace": "shop",
        "stableVersion": "v1",
        "canaryVersion": "v2",
        "cluster": f"{mesh}-west",
        "window": "30s",
        "stack": STACK,
        "weightKey": KEY,
        "steps": [10, 50, 100],
        "thresholds": {"minRequests": 50, "maxErrorRate": 0.01, "latencyPercentile": 99, "maxLatencyRatio": 1.5, **thresholds},
    }
    path = tmp_path / "canary.yaml"
    path.write_text(yaml.safe_dump(config))
    return str(path)


def gate(tmp_path: Path, config: str, weight: str) -> tuple[int, str, str, FakePulumi]:
    pulumi = FakePulumi(tmp_path, {STACK: {KEY: weight}})
    out, err = io.StringIO(), io.StringIO()
    code = main(["--config", config, "--pulumi", str(pulumi.binary)], out, err)
    return code, out.getvalue(), err.getvalue(), pulumi


@pytest.mark.parametrize("mesh", MESHES)
def test_healthy_canary_advances_to_the_next_step(mesh: str, prometheus: str, tmp_path: Path) -> None:
    code, out, err, pulumi = gate(tmp_path, canary_file(tmp_path, mesh, "shop-healthy", prometheus), "10")
    assert (code, err) == (0, ""), out
    assert pulumi.config[STACK][KEY] == "50"
    assert pulumi.calls == [["config", "get", KEY, "--stack", STACK], ["config", "set", KEY, "50", "--stack", STACK]]
    assert "decision: advance (canary weight 10 -> 50)" in out
    # 0.5% of the healthy canary's responses fail; counters are whole numbers, so a short window sees about that.
    found = re.search(r"ok: canary error rate (\S+) <= 0\.01", out)
    assert found and 0 < float(found[1]) < 0.01, out


@pytest.mark.parametrize("mesh", MESHES)
def test_healthy_canary_at_the_last_step_before_100_is_promoted(mesh: str, prometheus: str, tmp_path: Path) -> None:
    code, out, _, pulumi = gate(tmp_path, canary_file(tmp_path, mesh, "shop-healthy", prometheus), "50")
    assert code == 4, out
    assert pulumi.config[STACK][KEY] == "100"
    assert "decision: promote (canary weight 50 -> 100)" in out


@pytest.mark.parametrize("mesh", MESHES)
def test_failing_canary_is_rolled_back(mesh: str, prometheus: str, tmp_path: Path) -> None:
    code, out, _, pulumi = gate(tmp_path, canary_file(tmp_path, mesh, "shop-failing", prometheus), "10")
    assert code == 1, out
    assert pulumi.config[STACK][KEY] == "0"
    # 20% of the failing canary's responses are server errors (whole-number counters: about that).
    found = re.search(r"FAILED: canary error rate (\S+) > 0\.01", out)
    assert found and 0.19 < float(found[1]) < 0.21, out
    assert "decision: rollback (canary weight 10 -> 0)" in out


def test_evidence_names_every_query_and_value(prometheus: str, tmp_path: Path) -> None:
    _, out, _, _ = gate(tmp_path, canary_file(tmp_path, "istio", "shop-failing", prometheus), "10")
    canary = 'reporter="destination", namespace="shop", app="shop-failing", cluster="istio-west", version="v2"'
    assert f"query: sum(increase(istio_requests_total{{{canary}}}[30s]))" in out
    assert f"query: histogram_quantile(0.99, sum by (le) (rate(istio_request_duration_milliseconds_bucket{{{canary}}}[30s])))" in out
    # All the canary's requests fall in the 1000 ms bucket, the stable's in the 50 ms one.
    assert "FAILED: canary/stable p99 latency ms (maxLatencyRatio) 20 > 1.5" in out


def test_absolute_latency_threshold_rolls_back_a_slow_canary(prometheus: str, tmp_path: Path) -> None:
    config = canary_file(tmp_path, "linkerd", "shop-healthy", prometheus, maxLatencyMs=40, maxLatencyRatio=None)
    code, out, _, pulumi = gate(tmp_path, config, "10")
    assert code == 1, out
    assert "FAILED: canary p99 latency ms (maxLatencyMs) 49.75 > 40" in out
    assert pulumi.config[STACK][KEY] == "0"


def test_too_little_traffic_holds_without_writing(prometheus: str, tmp_path: Path) -> None:
    code, out, _, pulumi = gate(tmp_path, canary_file(tmp_path, "consul", "shop-healthy", prometheus, minRequests=10_000_000), "10")
    assert code == 3, out
    assert pulumi.config[STACK][KEY] == "10"
    assert [call[1] for call in pulumi.calls] == ["get"]
    assert "decision: hold (canary weight stays 10)" in out


def test_fails_on_an_unreachable_prometheus_with_one_line(tmp_path: Path) -> None:
    port = prometheus_server._free_port()
    code, _, err, pulumi = gate(tmp_path, canary_file(tmp_path, "istio", "shop-healthy", f"http://127.0.0.1:{port}"), "10")
    assert code == 2
    assert err.startswith(f"meshfleet canary: cannot read http://127.0.0.1:{port}/api/v1/query: ")
    assert err.count("\n") == 1
    assert pulumi.config[STACK][KEY] == "10"


def test_fails_in_ci_without_prometheus_and_says_how_to_install_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", "")
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match=r"apt-get update && apt-get install -y prometheus"):
        prometheus_server.prometheus_binary()
