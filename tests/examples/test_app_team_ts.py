"""examples/app-team-ts: a TypeScript app team's program, typed by the contract's JSON Schema and checked by tsc.

Needs npm (node 20 or newer) and the npm registry; without npm the tests skip and say so. CI has npm.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from components.simulation import PROJECT_DIR
from meshfleet_contract import CONTRACT_VERSION

APP = PROJECT_DIR / "examples" / "app-team-ts"
NPM = shutil.which("npm")
pytestmark = pytest.mark.skipif(NPM is None, reason="npm is not installed: the TypeScript example is type-checked where npm is present")


@pytest.fixture(scope="module")
def installed() -> Path:
    """`npm install` (the lockfile's versions) and the types generated from the schema (`npm run types`)."""
    assert NPM is not None
    for command in ([NPM, "install", "--no-audit", "--no-fund"], [NPM, "run", "types"]):
        run = subprocess.run(command, cwd=APP, capture_output=True, text=True)
        assert run.returncode == 0, run.stdout + run.stderr
    return APP


def tsc(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(APP / "node_modules" / ".bin" / "tsc"), *args], cwd=cwd, capture_output=True, text=True)


def test_the_types_come_from_the_schema_of_the_version_the_fleet_writes() -> None:
    scripts = json.loads((APP / "package.json").read_text())["scripts"]
    assert f"--input ../../contract/schema/v{CONTRACT_VERSION}.json" in scripts["types"]


def test_the_example_type_checks_against_the_generated_types(installed: Path) -> None:
    generated = (installed / "contract.d.ts").read_text()
    assert "export interface FleetContract" in generated and "export interface Cluster" in generated
    run = tsc(installed, "--noEmit", "-p", "tsconfig.json")
    assert run.returncode == 0, run.stdout + run.stderr


def test_fails_type_check_on_a_key_the_contract_does_not_have(installed: Path, tmp_path: Path) -> None:
    """The generated types are closed: a misspelt key is a compile error, not an undefined at run time."""
    shutil.copy(installed / "contract.d.ts", tmp_path / "contract.d.ts")
    (tmp_path / "wrong.ts").write_text(
        'import type { FleetContract } from "./contract";\n'
        "export const endpoint = (fleet: FleetContract): string => fleet.clusters.a.apiEndpointUrl;\n"
    )
    run = tsc(tmp_path, "--noEmit", "--strict", "wrong.ts")
    assert run.returncode != 0
    assert "Property 'apiEndpointUrl' does not exist on type 'Cluster'" in run.stdout
