"""The `meshfleet` command (components/cli.py, components/simulation/plan.py). Its entry point runs in
this process: a process of its own pays again for the cloud SDKs' imports (about 2 s CPU for prod) and
proves nothing more than the console-script runs below, which pyproject.toml's declaration starts."""

from __future__ import annotations

import atexit
import configparser
import dataclasses
import functools
import random
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import pulumi
import pulumi_kubernetes as k8s
import pytest
import yaml

import components
from components.cli import build_parser, main
from components.simulation import PROJECT_DIR, Simulation, simulate
from components.simulation.plan import FLEET_WIDE, build_plan, cluster_of, render_plan
from components.simulation.policy_check import stack_run
from tests.support import LINKERD, simulated
from tests.tls_tools import new_root

PROD_CLUSTERS = ["eks-use1", "eks-usw2", "gke-euw1"]


@functools.cache
def built_metadata() -> Path:
    """The package's metadata as setuptools builds it from pyproject.toml (what `pip install -e .` installs)."""
    build = Path(tempfile.mkdtemp(prefix="meshfleet-build-"))
    atexit.register(shutil.rmtree, build, ignore_errors=True)
    shutil.copy(PROJECT_DIR / "pyproject.toml", build)
    shutil.copytree(PROJECT_DIR / "components", build / "components", ignore=shutil.ignore_patterns("__pycache__"))
    subprocess.run(
        [sys.executable, "-c", "from setuptools import setup; setup()", "-q", "egg_info"], cwd=build, check=True, capture_output=True
    )
    return build / "meshfleet.egg-info"


def console_script() -> str:
    entry_points = configparser.ConfigParser()
    entry_points.read(built_metadata() / "entry_points.txt")
    return entry_points["console_scripts"]["meshfleet"]


def test_the_package_declares_the_meshfleet_command_and_its_version() -> None:
    assert console_script() == "components.cli:main"
    assert f"Version: {components.__version__}\n" in (built_metadata() / "PKG-INFO").read_text()


def meshfleet(*args: str) -> subprocess.CompletedProcess[str]:
    """What `venv/bin/meshfleet ARGS` runs: pip's console-script wrapper for the entry point the build declares."""
    module, function = console_script().split(":")
    wrapper = f"import sys; from {module} import {function}; sys.argv[0] = 'meshfleet'; sys.exit({function}())"
    return subprocess.run([sys.executable, "-c", wrapper, *args], cwd=PROJECT_DIR, capture_output=True, text=True, timeout=300)


def test_preview_shows_the_plan_per_cluster_with_counts_unknowns_and_progress(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["preview", "--stack", "prod"])
    result = capsys.readouterr()
    assert code == 0, result.err
    lines = result.out.splitlines()
    assert lines[0] == "meshfleet preview: Pulumi.prod.yaml as stack 'prod', as a first `pulumi preview` shows it; no credentials used"
    # What the markers mean, and why the stack reads itself.
    assert lines[1] == "Legend: + create, > read (an object read, not managed, such as this stack's own last outputs)"
    sizes = {line.split()[1]: int(line.split(": ")[1].split()[0]) for line in lines if line.startswith("cluster ")}
    assert list(sizes) == PROD_CLUSTERS
    assert "cluster gke-euw1 (gcp, europe-west1, primary): " in result.out
    # Each cluster's tree: its components with their children drawn under them.
    assert " +  meshfleet:istio:Cluster  eks-use1" in lines
    assert any(line.startswith(" +  │  ├─ kubernetes:helm.sh/v3:Release  eks-use1-istio-base") for line in lines), result.out
    assert " >  ├─ pulumi:pulumi:StackReference  meshfleet-deployed" in lines  # read, not created
    [totals] = [line for line in lines if line.startswith("Resources: ")]
    assert totals.endswith(f"to read; per cluster: {', '.join(f'{c} {n}' for c, n in sizes.items())}")
    # What a first preview cannot know, grouped by type and property, a few resources named each.
    assert any(line.startswith("Not known until `pulumi up` creates what they depend on: ") for line in lines)
    unknown = {line.split(": ")[0].strip(): line.split(": ")[1] for line in lines[lines.index(totals) + 2 :]}
    assert unknown["kubernetes:core/v1:Secret stringData"].endswith(" and 3 more")  # 3 cacerts, 3 remote secrets
    gateways = unknown["kubernetes:helm.sh/v3:Release values.service.loadBalancerSourceRanges"]
    assert sorted(gateways.split(", ")) == [f"{c}-istio-eastwestgateway" for c in PROD_CLUSTERS]
    # Progress on stderr: the stage, then counted in resources (never timed) per cluster, so it shows on long runs.
    progress = result.err.splitlines()
    [fleet_wide] = [int(line.split()[1]) for line in lines if line.startswith("fleet-wide: ")]
    total = sum(sizes.values()) + fleet_wide  # what the plan lists is what the progress counted
    assert progress[0] == "meshfleet: running the program for stack 'prod' (3 clusters)"
    assert progress[-1] == f"meshfleet: {total} resources planned; drawing the plan"
    counted = progress[1:-1]
    assert [line.split(" (")[0] for line in counted] == [f"  ... {n} resources planned" for n in range(50, total + 1, 50)]
    groups = [group.split() for group in counted[-1].split(" (")[1].rstrip(")").split(", ")]
    assert [name for name, _ in groups] == [*PROD_CLUSTERS, "fleet-wide"]  # the order the SDK registers in varies, the sum not
    assert sum(int(count) for _, count in groups) == len(counted) * 50


def app_objects(scope: dict[str, Any]) -> None:
    """A user program's group of objects in one of the fleet's clusters (the fleet itself makes no group)."""
    provider = scope["fleet"].clusters["eks-use1"].provider
    config_map = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "app", "namespace": "default"}, "data": {"a": "b"}}
    k8s.yaml.v2.ConfigGroup("eks-use1-app-objects", objs=[config_map], opts=pulumi.ResourceOptions(provider=provider))


def test_preview_says_which_groups_of_objects_only_pulumi_up_makes() -> None:
    """A first preview of a stack that creates its clusters: a group's provider cannot reach the new cluster, so the
    Kubernetes provider registers none of its objects, and the plan says so; `pulumi up` registers them."""
    clusters = ["eks-use1", "eks-euc1", "gke-usc1"]
    info = {c: {"cloud": "aws", "region": "r", "role": "primary"} for c in clusters}
    preview = render_plan(build_plan(simulate("linkerd", config_file=LINKERD, preview=True, then=app_objects), clusters), info)
    assert (
        "The Kubernetes provider registers the objects of 1 ConfigGroups (eks-use1-app-objects) once their inputs are known: "
        "`pulumi up` makes them"
    ) in preview
    up = simulate("linkerd", config_file=LINKERD, then=app_objects)
    assert [r.name for r in up.resources if r.parent == up.named("eks-use1-app-objects").urn] == ["eks-use1-app-objects:default/app"]
    assert not [line for line in render_plan(build_plan(up, clusters), info) if "ConfigGroups" in line]
    # The fleet alone makes no group: its preview has no such line.
    assert not [
        line
        for line in render_plan(build_plan(simulated("linkerd", config_file=LINKERD, preview=True), clusters), info)
        if "ConfigGroups" in line
    ]


def test_plan_counts_match_what_the_program_registers(prod: Simulation) -> None:
    plan = build_plan(prod, PROD_CLUSTERS)
    assert sum(len(g) for g in plan.groups.values()) == len(prod.resources)
    assert all(r.name.startswith("eks-use1") for r in plan.groups["eks-use1"])
    assert {r.name for r in plan.groups[FLEET_WIDE]} >= {"meshfleet", "trust", "istio"}


def test_the_plan_reads_the_same_in_whatever_order_the_sdk_registered(prod: Simulation) -> None:
    """Independent resources reach the engine concurrently, in an order that differs between runs."""
    clusters = {c: {"cloud": "aws", "region": "r", "role": "primary"} for c in PROD_CLUSTERS}
    plan = render_plan(build_plan(prod, PROD_CLUSTERS), clusters)
    for seed in range(3):
        shuffled = list(prod.resources)
        random.Random(seed).shuffle(shuffled)
        assert render_plan(build_plan(dataclasses.replace(prod, resources=shuffled), PROD_CLUSTERS), clusters) == plan
    # What waits for nothing comes first, then what waits for it: a cluster's network before its control plane.
    eks = [r.name for r in build_plan(prod, PROD_CLUSTERS).groups["eks-use1"]]
    assert eks.index("eks-use1-vpc") < eks.index("eks-use1-eks") < eks.index("eks-use1-nodes") < eks.index("eks-use1-istio-base")


def test_a_resource_belongs_to_the_longest_cluster_name_it_starts_with() -> None:
    assert cluster_of("eks-use1-vpc", ["eks", "eks-use1"]) == "eks-use1"
    assert cluster_of("eks-vpc", ["eks", "eks-use1"]) == "eks"
    assert cluster_of("trust", ["eks"]) == FLEET_WIDE


def test_check_is_the_policy_check(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["check", "--stack", "prod"])
    out, err = capsys.readouterr()
    assert code == 0, out + err
    assert out.splitlines()[-1] == "152 resources checked; 0 violations, 0 mandatory"


def test_fails_preview_of_a_stack_without_a_config_file() -> None:
    result = meshfleet("preview", "--stack", "staging")
    assert result.returncode == 2
    assert result.stderr == (
        "error: Pulumi.staging.yaml does not exist; give the stack's config file with --config-file, "
        "or create it with `pulumi stack init`\n"
    )


def test_canary_is_a_subcommand_that_refuses_bad_input_in_one_line(tmp_path: Path) -> None:
    config = tmp_path / "canary.yaml"
    config.write_text("mesh: kuma\n")
    result = meshfleet("canary", "--config", str(config))
    assert result.returncode == 2
    assert result.stderr.startswith(
        f"meshfleet canary: {config}: canary.mesh: 'kuma' is not supported; use one of 'istio', 'linkerd', 'consul'; "
    )
    assert result.stderr.count("\n") == 1 and result.stdout == ""


# --- the command as a tool: help, version, stacks, secrets, hints ---------------------------------------


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["--version"])
    assert exited.value.code == 0
    assert capsys.readouterr().out == f"meshfleet {components.__version__}\n"


@pytest.mark.parametrize(
    ("command", "says"),
    [
        ("preview", "Run the program (__main__.py) for a stack under Pulumi's mock runtime"),
        ("check", "evaluate the CrossGuard policy pack (policies/)"),
        ("canary", "A metrics-gated canary"),
    ],
)
def test_every_command_help_has_a_description_examples_and_exit_codes(capsys: pytest.CaptureFixture[str], command: str, says: str) -> None:
    with pytest.raises(SystemExit):
        main([command, "--help"])
    text = " ".join(capsys.readouterr().out.split())  # argparse rewraps the description to the terminal
    assert says in text
    examples = text.split("examples: ")[1]
    assert examples.startswith(f"meshfleet {command} --")
    assert "exit codes: 0 " in text


def dev_copy(directory: Path, name: str = "Pulumi.dev.yaml", config: dict[str, Any] | None = None) -> Path:
    document = yaml.safe_load((PROJECT_DIR / "Pulumi.dev.yaml").read_text())
    document["config"].update(config or {})
    path = directory / name
    path.write_text(yaml.safe_dump(document))
    return path


def test_the_stack_is_named_by_its_config_file_and_the_header_says_so(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    path = dev_copy(tmp_path, "Pulumi.staging.yaml")
    assert main(["preview", "--config-file", str(path), "--simulate-kubeconfig"]) == 0
    assert capsys.readouterr().out.splitlines()[0] == (
        f"meshfleet preview: {path} as stack 'staging' (from the file's name), as a first `pulumi preview` shows it; no credentials used"
    )
    # So `check` reads staging's policy config, not prod's.
    assert main(["check", "--config-file", str(path), "--simulate-kubeconfig"]) == 2
    assert (
        capsys.readouterr().err == "error: policies/config/staging.json does not exist; pass the policy pack config with --policy-config\n"
    )


def test_fails_a_config_file_not_named_for_its_stack(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    path = dev_copy(tmp_path, "fleet.yaml")
    assert main(["preview", "--config-file", str(path)]) == 2
    assert capsys.readouterr().err == f"error: {path} is not named Pulumi.<stack>.yaml, so its stack is not known: give it with --stack\n"


def test_fails_a_directory_for_a_file(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    assert main(["preview", "--config-file", str(tmp_path)]) == 2
    assert capsys.readouterr().err == (f"error: {tmp_path} is a directory, not a file; give the stack's config file with --config-file\n")


def test_stack_files_are_looked_up_in_the_current_directory_first(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    # A stack file only the checkout has is found there.
    assert stack_run(build_parser().parse_args(["preview", "--stack", "prod"])).config_file == PROJECT_DIR / "Pulumi.prod.yaml"
    # One in the current directory wins: this one pins another chart, which the program refuses.
    mesh = {**yaml.safe_load((PROJECT_DIR / "Pulumi.dev.yaml").read_text())["config"]["meshfleet:mesh"], "version": "1.29.0"}
    dev_copy(tmp_path, config={"meshfleet:mesh": mesh})
    assert main(["preview", "--stack", "dev", "--simulate-kubeconfig"]) == 2
    out, err = capsys.readouterr()
    assert out.startswith("meshfleet preview: Pulumi.dev.yaml as stack 'dev', ")
    assert "meshfleet:mesh.version: '1.29.0' is outside Istio 1.30" in err
    assert main(["preview", "--stack", "staging"]) == 2
    assert capsys.readouterr().err == (
        f"error: Pulumi.staging.yaml is neither in the current directory nor in the meshfleet checkout ({PROJECT_DIR}); give "
        "the stack's config file with --config-file, or create it with `pulumi stack init`\n"
    )


def test_a_missing_kubeconfig_hints_at_simulating_one(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KUBECONFIG", str(tmp_path))  # a directory, as a mistyped KUBECONFIG may be
    assert main(["preview", "--stack", "dev"]) == 2
    err = capsys.readouterr().err.splitlines()
    assert err[-3:] == [
        f"  - meshfleet:clusters[0] (kind-west).existing.context: context 'kind-mesh-west' needs a kubeconfig, and {tmp_path} is a "
        "directory, not a kubeconfig file",
        f"  - meshfleet:clusters[1] (kind-east).existing.context: context 'kind-mesh-east' needs a kubeconfig, and {tmp_path} is a "
        "directory, not a kubeconfig file",
        "hint: to plan without these clusters (no kubeconfig needed), add --simulate-kubeconfig: it stands in a kubeconfig for "
        "the contexts 'kind-mesh-west', 'kind-mesh-east'",
    ]


def test_secrets_come_from_files(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    """`--secret-file KEY=PATH`: a provided root's PEM files, kept out of shell history and `ps`."""
    cert, key = new_root("byo")
    (tmp_path / "root.pem").write_text(cert)
    (tmp_path / "root-key.pem").write_text(key)
    trust = {"protectRoots": False, "roots": [{"name": "byo", "certificateSecret": "byo-cert", "privateKeySecret": "byo-key"}]}
    path = dev_copy(tmp_path, config={"meshfleet:trust": trust, "meshfleet:byo-cert": {"secure": "v1:AAAA"}})
    files = ["--secret-file", f"meshfleet:byo-cert={tmp_path / 'root.pem'}", "--secret-file", f"byo-key={tmp_path / 'root-key.pem'}"]
    args = build_parser().parse_args(["preview", "--config-file", str(path), *files])
    assert stack_run(args).secrets == {"meshfleet:byo-cert": cert, "meshfleet:byo-key": key}
    code = main(["preview", "--config-file", str(path), "--simulate-kubeconfig", *files])
    out, err = capsys.readouterr()
    assert code == 0, err  # validation read both files: the certificate is a CA and the key is its own
    assert out.startswith(f"meshfleet preview: {path} as stack 'dev' (from the file's name), ")
    assert main(["preview", "--config-file", str(path), "--secret-file", f"byo-cert={tmp_path / 'nosuch.pem'}"]) == 2
    assert capsys.readouterr().err == (
        f"error: {tmp_path / 'nosuch.pem'} does not exist; --secret-file byo-cert names the file holding the secret's value\n"
    )


def test_fails_a_key_set_both_with_and_without_its_namespace(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    gateway = yaml.safe_load((PROJECT_DIR / "Pulumi.dev.yaml").read_text())["config"]["meshfleet:gateway"]
    path = dev_copy(tmp_path, config={"gateway": {**gateway, "replicas": 3}})
    assert main(["preview", "--config-file", str(path)]) == 2
    assert capsys.readouterr().err == (
        f"error: {path} sets both 'gateway' and 'meshfleet:gateway'; Pulumi reads a key without a namespace as the project's, "
        "and which of the two it keeps is not defined: keep one\n"
    )
