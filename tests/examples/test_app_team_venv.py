"""The example programs as an app team installs them: their requirements (the contract and app-team
packages, not the fleet) in a fresh venv, without a cloud SDK, and each program run there against every
mesh's fleet outputs registers what it registers beside the whole fleet."""

from __future__ import annotations

import ast
import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from components.simulation import PROJECT_DIR, Simulation, stack_config
from tests.examples import yaml_name
from tests.examples.test_app_mesh import FLEET as APP_MESH_FLEET
from tests.examples.test_app_mesh import run_orders
from tests.examples.test_app_team import FLEET, OWN, run_app

EXAMPLES = PROJECT_DIR / "examples"
APP_TEAM = EXAMPLES / "app-team"
APP_MESH = EXAMPLES / "app-mesh"
SHOP_ROLE = "arn:aws:iam::123456789012:role/shop"


def installs(requirements: Path) -> list[str]:
    return [line.strip() for line in requirements.read_text().splitlines() if line.strip() and not line.startswith("#")]


@pytest.fixture(scope="module")
def app_venv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh venv with `pip install -r examples/app-team/requirements.txt`, as an app team's."""
    venv = tmp_path_factory.mktemp("app-team") / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    subprocess.run(
        [str(venv / "bin" / "pip"), "install", "-q", "-r", str(APP_TEAM / "requirements.txt")],
        check=True,
        capture_output=True,
        cwd=APP_TEAM,
    )
    return venv


def installed(venv: Path) -> dict[str, str]:
    listing = subprocess.run([str(venv / "bin" / "pip"), "list", "--format=json"], check=True, capture_output=True, text=True)
    # Names as PEP 503 normalises them (pip lists a wheel's own spelling: `pulumi_kubernetes`).
    return {re.sub(r"[-_.]+", "-", p["name"]).lower(): p["version"] for p in json.loads(listing.stdout)}


def test_both_examples_install_the_contract_and_app_team_packages_from_the_checkout() -> None:
    assert installs(APP_TEAM / "requirements.txt") == ["-e ../../contract", "-e ../../appteam"]
    assert installs(APP_MESH / "requirements.txt") == installs(APP_TEAM / "requirements.txt")


def test_the_example_venv_holds_neither_the_cloud_sdks_nor_the_fleet(app_venv: Path) -> None:
    packages = installed(app_venv)
    assert packages["meshfleet-contract"] == packages["meshfleet-appteam"] == "1.1.0"
    assert packages["pulumi"] == "3.272.0"
    # pulumi-kubernetes besides the Pulumi SDK: no pulumi-aws, pulumi-gcp or pulumi-tls, and not `meshfleet`.
    assert sorted(name for name in packages if name.startswith(("pulumi", "meshfleet"))) == [
        "meshfleet-appteam",
        "meshfleet-contract",
        "pulumi",
        "pulumi-kubernetes",
    ]


@pytest.mark.parametrize("example", [APP_TEAM, APP_MESH], ids=lambda path: path.name)
def test_the_examples_import_nothing_from_the_fleet(example: Path) -> None:
    imported = set()
    for source in example.glob("*.py"):
        for node in ast.walk(ast.parse(source.read_text())):
            if isinstance(node, ast.ImportFrom) and node.module:
                imported.add(node.module.split(".")[0])
            elif isinstance(node, ast.Import):
                imported.update(alias.name.split(".")[0] for alias in node.names)
    assert "meshfleet_appteam" in imported and "meshfleet_contract" in imported
    assert "components" not in imported


def run_in_venv(venv: Path, app: Path, config: dict[str, Any], stack_outputs: dict[str, Any], work: Path) -> dict[str, Any]:
    """The program's registrations in the venv (tests/examples/run_in_mocks.py): URN -> inputs (None for a component)."""
    project = yaml_name(app)
    values = {**stack_config(app / "Pulumi.prod.yaml"), **{f"{project}:{key}": value for key, value in config.items()}}
    given = {
        "project": project,
        "config": {key: value if isinstance(value, str) else json.dumps(value) for key, value in values.items()},
        "stack_outputs": stack_outputs,
    }
    (work / "given.json").write_text(json.dumps(given))
    script = PROJECT_DIR / "tests" / "examples" / "run_in_mocks.py"
    run = subprocess.run(
        [str(venv / "bin" / "python"), str(script), str(app), str(work / "given.json")], capture_output=True, text=True, cwd=work
    )
    assert run.returncode == 0, run.stderr
    registered: dict[str, Any] = json.loads(run.stdout.splitlines()[-1])
    return registered


def assert_same_registrations(registered: dict[str, Any], simulated: Simulation) -> None:
    """The same resources (URNs, so the same component types: `meshfleet:<mesh>:ServiceRouting`...) and the
    same mesh objects, field for field, as the program registers in the fleet's own venv."""
    assert sorted(registered) == sorted(r.urn for r in simulated.resources)
    mesh_objects = [
        r for r in simulated.resources if any(group in r.type for group in (".istio.io/", ".linkerd.io/", "consul.hashicorp.com/"))
    ]
    assert mesh_objects, "no mesh objects registered"
    for resource in mesh_objects:
        assert registered[resource.urn]["spec"] == resource.inputs["spec"], resource.urn


@pytest.mark.parametrize("fleet", ["prod", "linkerd", "consul"])
def test_the_shop_runs_in_the_example_venv_against_every_meshs_fleet(
    app_venv: Path, fleet: str, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    outputs = request.getfixturevalue(fleet).exports
    registered = run_in_venv(app_venv, APP_TEAM, {"awsRoleArn": SHOP_ROLE}, {FLEET: outputs, OWN: {}}, tmp_path)
    assert_same_registrations(registered, run_app(outputs, awsRoleArn=SHOP_ROLE))
    types = {urn.split("::")[2].split("$")[-1] for urn in registered}
    assert {f"meshfleet:{outputs['mesh']['type']}:ServiceRouting", f"meshfleet:{outputs['mesh']['type']}:ServiceAccess"} <= types


def test_the_app_mesh_example_runs_in_the_example_venv(app_venv: Path, tmp_path: Path) -> None:
    from tests.support import STACKS, simulated

    outputs = simulated("app-mesh-eks", config_file=STACKS / "Pulumi.app-mesh-eks.yaml").exports
    registered = run_in_venv(app_venv, APP_MESH, {}, {APP_MESH_FLEET: outputs}, tmp_path)
    assert_same_registrations(registered, run_orders(outputs))
