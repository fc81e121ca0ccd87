"""The credential-free policy check as users run it: `python -m components.simulation.policy_check`."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from components.simulation import PROJECT_DIR, Simulation, simulate
from components.simulation.policy_check import PACK_DIR, any_remediating, evaluate, main, reconcile_config, shared_pack


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "components.simulation.policy_check", *args], cwd=PROJECT_DIR, capture_output=True, text=True, timeout=300
    )


def reported(output: str) -> list[tuple[str, str, str]]:
    """(level, policy, resource) of every violation line the command printed."""
    lines = output.splitlines()
    return sorted(tuple(line.split()[:3]) for line in lines if line.split()[:1] in (["mandatory"], ["advisory"]))  # type: ignore[misc]


def test_compliant_prod_passes(capsys: pytest.CaptureFixture[str]) -> None:
    # In this process: the pack this session already runs for prod serves the command and stays up.
    # The command as its own process is proven below (exit code 0 without a kubeconfig, 2 on bad config).
    pack = shared_pack(PACK_DIR, "prod", False)
    code = main(["--stack", "prod"])
    out, err = capsys.readouterr()
    assert code == 0, out + err
    assert out.splitlines()[-1] == "152 resources checked; 0 violations, 0 mandatory"
    assert "no credentials used" in out.splitlines()[0]
    assert shared_pack(PACK_DIR, "prod", False) is pack


def test_unsafe_stack_fails_with_the_violations_the_engine_would_report(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    stack = yaml.safe_load((PROJECT_DIR / "Pulumi.prod.yaml").read_text())
    stack["config"]["meshfleet:mesh"]["mtls"] = "PERMISSIVE"
    stack["config"]["meshfleet:mesh"]["controlPlane"] = {"replicas": 1}
    stack_file = tmp_path / "Pulumi.unsafe.yaml"
    stack_file.write_text(yaml.safe_dump(stack))

    # main() returns the exit code; that the command's process exits with it, the tests of exit codes 0
    # and 2 below prove.
    code = main(["--stack", "unsafe", "--config-file", str(stack_file), "--policy-config", str(PACK_DIR / "config" / "prod.json")])
    out, err = capsys.readouterr()

    assert code == 1, out + err
    expected = evaluate(
        simulate("unsafe", config_file=stack_file), json.loads((PACK_DIR / "config" / "prod.json").read_text()), stack="unsafe"
    )
    assert reported(out) == sorted((v.level, v.policy, v.urn.rsplit("::", 1)[-1]) for v in expected.violations)
    assert reported(out) == sorted(
        [("mandatory", "control-plane-high-availability", f"{c}-istiod-1-30-5") for c in ("eks-use1", "eks-usw2", "gke-euw1")]
        + [("mandatory", "strict-mtls-mesh-wide", f"{c}-mesh-mtls") for c in ("eks-use1", "eks-usw2", "gke-euw1")]
    )
    assert "cluster eks-use1 accepts plain text (mesh-wide mTLS is PERMISSIVE); set mesh.mtls: STRICT" in out


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
    assert "meshfleet:mesh.version: '1.29.0' is outside Istio 1.30" in result.stderr
    assert "Traceback" not in result.stderr


# --- bad input: one line, exit code 2, no traceback -------------------------------------------------------


def fails(capsys: pytest.CaptureFixture[str], *args: str) -> str:
    """Run the command in this process; it must exit 2 with exactly one line on stderr besides its progress."""
    assert main(list(args)) == 2
    err = [line for line in capsys.readouterr().err.splitlines() if not line.startswith(("meshfleet: ", "  ... "))]
    assert len(err) == 1, err
    return err[0]


def stack_file(tmp_path: Path, text: str) -> str:
    path = tmp_path / "Pulumi.x.yaml"
    path.write_text(text)
    return str(path)


def test_fails_missing_stack_file(capsys: pytest.CaptureFixture[str]) -> None:
    assert fails(capsys, "--stack", "nosuch") == (
        "error: Pulumi.nosuch.yaml does not exist; give the stack's config file with --config-file, or create it with `pulumi stack init`"
    )


def test_fails_missing_policy_config(capsys: pytest.CaptureFixture[str]) -> None:
    assert fails(capsys, "--stack", "prod", "--policy-config", "nosuch.json") == (
        "error: nosuch.json does not exist; pass the policy pack config with --policy-config"
    )


def test_fails_yaml_error_with_file_and_line(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    path = stack_file(tmp_path, "config:\n  meshfleet:mesh:\n    type: istio\n   version: [1.30.5\n")
    message = fails(capsys, "--config-file", path)
    assert message.startswith(f"error: {path}:4:") and "not valid YAML" in message, message


def test_fails_secret_without_equals(capsys: pytest.CaptureFixture[str]) -> None:
    assert fails(capsys, "--stack", "prod", "--secret", "meshfleet:root-cert") == (
        "error: --secret 'meshfleet:root-cert' is not KEY=VALUE; write it as --secret meshfleet:root-cert=<value>"
    )


def test_fails_secure_values_in_the_stack_file(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    stack = yaml.safe_load((PROJECT_DIR / "Pulumi.prod.yaml").read_text())
    stack["config"]["meshfleet:root-cert"] = {"secure": "v1:AAAA"}
    stack["config"]["meshfleet:root-key"] = {"secure": "v1:BBBB"}
    path = stack_file(tmp_path, yaml.safe_dump(stack))
    assert fails(capsys, "--config-file", path, "--secret", "meshfleet:root-key=pem") == (
        f"error: {path} holds meshfleet:root-cert as secure values, which only the stack's secrets provider can decrypt; "
        "pass them in plain with --secret-file meshfleet:root-cert=<file> (or --secret KEY=VALUE)"
    )


def test_fails_policy_config_that_is_not_json(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    config = tmp_path / "pack.json"
    config.write_text('{\n  "all": mandatory\n}\n')
    assert fails(capsys, "--stack", "prod", "--policy-config", str(config)) == (f"error: {config}:2:10: not valid JSON: Expecting value")


def test_fails_unknown_policy_level(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    config = tmp_path / "pack.json"
    config.write_text(json.dumps({"all": "strict"}))
    assert fails(capsys, "--stack", "prod", "--policy-config", str(config)) == (
        f"error: {config}: policy pack config sets 'all' to 'strict', which is not an enforcement level; "
        "use one of 'advisory', 'mandatory', 'disabled', 'remediate'"
    )


def test_fails_unknown_policy_name(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    config = tmp_path / "pack.json"
    config.write_text(json.dumps({"all": "mandatory", "strict-mtls-meshwide": "advisory"}))
    message = fails(capsys, "--stack", "dev", "--simulate-kubeconfig", "--policy-config", str(config))
    assert message.startswith(
        f"error: {config}: policy pack config names 'strict-mtls-meshwide', which is not a policy of the pack; "
        "did you mean 'strict-mtls-mesh-wide'? policies: "
    ), message


def test_first_preview_summarises_what_it_could_not_check(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["--stack", "prod", "--preview"])
    out, err = capsys.readouterr()
    assert code == 0, out + err
    assert "can't run policy" not in out
    lines = out.splitlines()
    start = lines.index("not checked: values a first preview cannot know yet (they are checked by `pulumi up`):")
    assert lines[start + 1 : -1] == [
        "  api-server-not-public: 3 resources (.masterAuthorizedNetworksConfig.cidrBlocks, .vpcConfig.publicAccessCidrs)",
        "  east-west-gateway-not-public: 3 resources (.values.service.loadBalancerSourceRanges)",
        "  mesh-fleet-consistency: 1 resource (.stringData)",
        "  remote-kubeconfigs-token-only: 3 resources (.stringData)",  # one remote secret per primary
    ]
    assert lines[-1] == "149 resources checked; 0 violations, 0 mandatory; 10 checks could not run in this preview"
    # The gateways' source ranges are unknown (the peers' NAT addresses), but they are CIDRs the API server
    # validates, not a place for a key: the CA-key policy checks those charts instead of blaming that field.
    assert not [line for line in lines if "ca-keys-only-in-secrets" in line], out
    assert err.splitlines()[-1] == "  ... 142 of 142 resources checked (eks-use1 53/53, eks-usw2 53/53, gke-euw1 31/31, fleet-wide 5/5)"


def test_evaluations_in_one_process_share_one_pack_process(prod: Simulation) -> None:
    config = json.loads((PACK_DIR / "config" / "prod.json").read_text())
    first = evaluate(prod, config)
    pack = shared_pack(PACK_DIR, "prod", False)
    second = evaluate(prod, config)
    assert shared_pack(PACK_DIR, "prod", False) is pack  # started once, configured anew each time
    assert (first.violations, first.not_applicable) == (second.violations, second.not_applicable)
    assert shared_pack(PACK_DIR, "prod", True) is not pack  # a first preview is another engine run


def test_the_check_asks_the_pack_to_remediate_only_when_a_policy_is_configured_to() -> None:
    """The pack's Remediate skips every policy not at `remediate` (pulumi_policy/policy.py), and the reconciled
    config gives every policy a level: with none at `remediate` a call would answer nothing."""
    from google.protobuf import empty_pb2

    info = shared_pack(PACK_DIR, "prod", False).stub.GetAnalyzerInfo(empty_pb2.Empty())
    prod = json.loads((PACK_DIR / "config" / "prod.json").read_text())
    assert not any_remediating(reconcile_config(info, prod))
    assert not any_remediating(reconcile_config(info, {}))
    assert any_remediating(reconcile_config(info, {**prod, "api-server-not-public": "remediate"}))
    assert any_remediating(reconcile_config(info, {"all": "remediate"}))
