"""The credential-free policy check as users run it: `python -m components.simulation.policy_check`."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import yaml

from components.simulation import PROJECT_DIR, Simulation, simulate
from components.simulation.policy_check import PACK_DIR, evaluate, shared_pack


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "components.simulation.policy_check", *args], cwd=PROJECT_DIR, capture_output=True, text=True, timeout=300
    )


def reported(output: str) -> list[tuple[str, str, str]]:
    """(level, policy, resource) of every violation line the command printed."""
    lines = output.splitlines()
    return sorted(tuple(line.split()[:3]) for line in lines if line.split()[:1] in (["mandatory"], ["advisory"]))  # type: ignore[misc]


def test_compliant_prod_passes() -> None:
    result = run("--stack", "prod")
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.splitlines()[-1] == "148 resources checked; 0 violations, 0 mandatory"
    assert "no credentials used" in result.stdout.splitlines()[0]


def test_unsafe_stack_fails_with_the_violations_the_engine_would_report(tmp_path: Path) -> None:
    stack = yaml.safe_load((PROJECT_DIR / "Pulumi.prod.yaml").read_text())
    stack["config"]["meshfleet:mesh"]["mtls"] = "PERMISSIVE"
    stack["config"]["meshfleet:mesh"]["controlPlane"] = {"replicas": 1}
    stack_file = tmp_path / "Pulumi.unsafe.yaml"
    stack_file.write_text(yaml.safe_dump(stack))

    result = run("--stack", "unsafe", "--config-file", str(stack_file), "--policy-config", "policies/config/prod.json")

    assert result.returncode == 1, result.stdout + result.stderr
    expected = evaluate(
        simulate("unsafe", config_file=stack_file), json.loads((PACK_DIR / "config" / "prod.json").read_text()), stack="unsafe"
    )
    assert reported(result.stdout) == sorted((v.level, v.policy, v.urn.rsplit("::", 1)[-1]) for v in expected.violations)
    assert reported(result.stdout) == sorted(
        [("mandatory", "control-plane-high-availability", f"{c}-istiod-1-30-5") for c in ("eks-use1", "eks-usw2", "gke-euw1")]
        + [("mandatory", "strict-mtls-mesh-wide", f"{c}-mesh-mtls") for c in ("eks-use1", "eks-usw2", "gke-euw1")]
    )
    assert "cluster eks-use1 accepts plain text (mesh-wide mTLS is PERMISSIVE); set mesh.mtls: STRICT" in result.stdout


def test_dev_stack_checks_without_the_operators_kubeconfig(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "components.simulation.policy_check", "--stack", "dev", "--simulate-kubeconfig"],
        cwd=PROJECT_DIR,
        capture_output=True,
        text=True,
        timeout=300,
        env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "KUBECONFIG": str(tmp_path / "missing")},
    )
    assert result.returncode == 0, result.stdout + result.stderr  # dev's pack config is advisory
    assert ("advisory", "control-plane-high-availability", "kind-west-istiod-1-30-5") in reported(result.stdout)


def test_bad_configuration_is_reported_before_any_check(tmp_path: Path) -> None:
    stack = yaml.safe_load((PROJECT_DIR / "Pulumi.prod.yaml").read_text())
    stack["config"]["meshfleet:mesh"]["version"] = "1.29.0"
    stack_file = tmp_path / "Pulumi.bad.yaml"
    stack_file.write_text(yaml.safe_dump(stack))
    result = run("--stack", "bad", "--config-file", str(stack_file), "--policy-config", "policies/config/prod.json")
    assert result.returncode == 2
    assert "meshfleet:mesh.version: '1.29.0' is outside Istio 1.30" in result.stdout


def test_evaluations_in_one_process_share_one_pack_process(prod: Simulation) -> None:
    config = json.loads((PACK_DIR / "config" / "prod.json").read_text())
    first = evaluate(prod, config)
    pack = shared_pack(PACK_DIR, "prod", False)
    second = evaluate(prod, config)
    assert shared_pack(PACK_DIR, "prod", False) is pack  # started once, configured anew each time
    assert (first.violations, first.not_applicable) == (second.violations, second.not_applicable)
    assert shared_pack(PACK_DIR, "prod", True) is not pack  # a first preview is another engine run
