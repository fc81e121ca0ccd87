"""`meshfleet preview --state FILE` and `meshfleet check --state FILE`: a preview against the stack's last
deployment as `pulumi stack export` writes it (tests/stack_export.py), grouped per cluster as `pulumi preview`
lists it, and the policy pack on exactly what that preview registers."""

from __future__ import annotations

import functools
import json
from pathlib import Path

import pytest
import yaml

from components.cli import main
from components.simulation import simulate
from components.simulation.policy_check import PACK_DIR
from components.simulation.state import read_stack_export
from tests.stack_export import stack_export
from tests.support import LINKERD


@functools.cache
def exported(show_secrets: bool) -> str:
    """The linkerd example stack after its first `pulumi up`, exported."""
    return json.dumps(stack_export(simulate("linkerd", config_file=LINKERD), show_secrets=show_secrets))


def state_file(tmp_path: Path, show_secrets: bool = False) -> Path:
    path = tmp_path / "linkerd.json"
    path.write_text(exported(show_secrets))
    return path


def preview(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(["preview", "--stack", "linkerd", *args])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.parametrize("show_secrets", [True, False], ids=["show-secrets", "encrypted"])
def test_an_unchanged_stack_previews_as_no_change(tmp_path: Path, capsys: pytest.CaptureFixture[str], show_secrets: bool) -> None:
    code, out, _ = preview(capsys, "--config-file", str(LINKERD), "--state", str(state_file(tmp_path, show_secrets)))
    assert code == 0
    assert "against the state in" in out.splitlines()[0]
    summary = next(line for line in out.splitlines() if line.startswith("Resources:"))
    assert summary.startswith("Resources: 0 to create, 0 to update, 0 to replace, 0 to delete, ")
    not_compared = [line for line in out.splitlines() if "were not compared" in line]
    assert bool(not_compared) is (not show_secrets)


def test_adding_a_cluster_lists_its_creates_and_its_peers_updates_and_no_delete(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    document = yaml.safe_load(LINKERD.read_text())
    clusters = document["config"]["meshfleet:clusters"]
    added = {**clusters[0], "name": "eks-usw2", "region": "us-west-2", "zones": ["us-west-2a", "us-west-2b"], "network": "net-eks-usw2"}
    added["create"] = {**clusters[0]["create"], "vpcCidr": "10.42.0.0/16"}
    document["config"]["meshfleet:clusters"] = [*clusters, added]
    config = tmp_path / "Pulumi.linkerd.yaml"
    config.write_text(yaml.safe_dump(document))
    code, out, _ = preview(capsys, "--config-file", str(config), "--state", str(state_file(tmp_path, True)))
    assert code == 0, out
    lines = out.splitlines()
    assert " - " not in "\n".join(line[:4] for line in lines if line.startswith(" "))
    summary = next(line for line in lines if line.startswith("Resources:"))
    assert ", 0 to replace, 0 to delete, " in summary
    new_cluster = lines.index(next(line for line in lines if line.startswith("cluster eks-usw2 ")))
    assert lines[new_cluster + 1].startswith("  +  ")
    # Each existing cluster links to the new one: its Link and credentials are created, nothing of its own links changes.
    for source in ("eks-use1", "eks-euc1", "gke-usc1"):
        assert f"  +  kubernetes:multicluster.linkerd.io/v1alpha3:Link  {source}-link-eks-usw2" in lines
        assert not [line for line in lines if f"{source}-link-" in line and not line.endswith("-eks-usw2")]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (
            "{not json",
            "{path}:1:2: not valid JSON (Expecting property name enclosed in double quotes); give the output of `pulumi stack export`",
        ),
        (
            '{"version": 2, "deployment": {}}',
            "{path}: not a `pulumi stack export` file (version 3 with a 'deployment'); give the output of `pulumi stack export`",
        ),
        (
            '{"version": 3, "deployment": {"resources": [{"urn": "urn:pulumi:linkerd::shop::pulumi:pulumi:Stack::shop-linkerd", "type": "pulumi:pulumi:Stack"}]}}',
            "{path} is the state of project 'shop', not 'meshfleet'; export the meshfleet stack",
        ),
        (
            '{"version": 3, "deployment": {"resources": [{"urn": "urn:pulumi:prod::meshfleet::pulumi:pulumi:Stack::meshfleet-prod", "type": "pulumi:pulumi:Stack"}]}}',
            "{path} is the state of stack 'prod', not 'linkerd'; pass --stack prod or export stack 'linkerd'",
        ),
    ],
    ids=["not-json", "not-an-export", "another-project", "another-stack"],
)
def test_fails_on_a_bad_or_foreign_state_file(tmp_path: Path, capsys: pytest.CaptureFixture[str], content: str, message: str) -> None:
    path = tmp_path / "state.json"
    path.write_text(content)
    code, _, err = preview(capsys, "--config-file", str(LINKERD), "--state", str(path))
    assert code == 2
    assert err == f"error: {message.format(path=path)}\n"


def test_check_against_the_state_checks_what_that_preview_registers(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    state = state_file(tmp_path, True)
    policy = PACK_DIR / "config" / "prod.json"
    code = main(["check", "--stack", "linkerd", "--config-file", str(LINKERD), "--state", str(state), "--policy-config", str(policy)])
    out = capsys.readouterr().out
    assert code == 0, out
    assert ", a preview against " in out.splitlines()[0]
    previous = read_stack_export(state, project="meshfleet", stack="linkerd")
    registered = simulate("linkerd", config_file=LINKERD, preview=True, previous=previous).resources
    assert out.splitlines()[-1].startswith(f"{len(registered)} resources checked; 0 violations")
