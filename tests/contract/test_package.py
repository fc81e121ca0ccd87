"""The contract package (contract/) on its own: what an app team's venv gets when it installs only it."""

from __future__ import annotations

import dataclasses
import json
import subprocess
import sys
from pathlib import Path

import pytest

from components.simulation import PROJECT_DIR
from meshfleet_contract import parse_contract

CONTRACT = PROJECT_DIR / "contract"


@pytest.fixture(scope="module")
def contract_venv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh venv with `pip install ./contract` (a wheel built from the checkout), as an app team's."""
    venv = tmp_path_factory.mktemp("app-team") / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    subprocess.run([str(venv / "bin" / "pip"), "install", "-q", str(CONTRACT)], check=True, capture_output=True)
    return venv


def installed(venv: Path) -> dict[str, str]:
    listing = subprocess.run([str(venv / "bin" / "pip"), "list", "--format=json"], check=True, capture_output=True, text=True)
    return {p["name"].lower(): p["version"] for p in json.loads(listing.stdout)}


def test_the_contract_package_installs_without_the_cloud_sdks_or_the_fleet(contract_venv: Path) -> None:
    packages = installed(contract_venv)
    assert packages["meshfleet-contract"] == "1.1.0"
    assert packages["pulumi"] == "3.272.0"
    # Neither the cloud SDKs (pulumi-aws, pulumi-gcp) nor any other provider SDK, nor the fleet itself.
    assert sorted(name for name in packages if name.startswith(("pulumi", "meshfleet"))) == ["meshfleet-contract", "pulumi"]


@pytest.mark.parametrize("fleet", ["prod", "linkerd", "consul"])
def test_the_installed_reader_reads_every_meshs_fleet_through_a_stack_reference(
    contract_venv: Path, fleet: str, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    exports = request.getfixturevalue(fleet).exports
    (tmp_path / "outputs.json").write_text(json.dumps(exports))
    script = PROJECT_DIR / "tests" / "contract" / "read_in_mocks.py"
    run = subprocess.run(
        [str(contract_venv / "bin" / "python"), str(script), str(tmp_path / "outputs.json")], capture_output=True, text=True, cwd=tmp_path
    )
    assert run.returncode == 0, run.stderr
    expected = json.loads(json.dumps(dataclasses.asdict(parse_contract(exports, "acme/meshfleet/prod"))))
    assert json.loads(run.stdout.splitlines()[-1]) == expected
