"""The exact Helm values every cluster's charts receive, kept as reviewed golden files (tests/golden/).

A change in what a cluster receives shows up in review as a diff of these files. Regenerate them with
`UPDATE_GOLDEN=1 venv/bin/python -m pytest tests/meshes/test_golden_values.py` and read the diff.
Every example stack of every mesh is listed in STACKS (a session fixture of tests/conftest.py each).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
import yaml

from components.simulation import Simulation
from tests.meshes.helpers import RELEASE

GOLDEN = Path(__file__).resolve().parents[1] / "golden"
STACKS = ["prod", "primary_remote", "dev", "linkerd", "consul"]


def stable(value: Any) -> Any:
    """Certificates are made anew by every run (real keys), so the golden files say how many stand there;
    the mesh tests check that they are the fleet's own (e.g. Linkerd's identityTrustAnchorsPEM)."""
    if isinstance(value, str) and "-----BEGIN CERTIFICATE-----" in value:
        return f"<{value.count('-----BEGIN CERTIFICATE-----')} PEM certificate(s)>"
    if isinstance(value, dict):
        return {key: stable(item) for key, item in value.items()}
    if isinstance(value, list):
        return [stable(item) for item in value]
    return value


def rendered_releases(sim: Simulation) -> dict[str, object]:
    return {
        r.name: {
            "release": r.inputs["name"],
            "chart": r.inputs["chart"],
            "version": r.inputs["version"],
            "repository": r.inputs["repositoryOpts"]["repo"],
            "namespace": r.inputs["namespace"],
            "values": stable(r.inputs["values"]),
        }
        for r in sim.of_type(RELEASE)
    }


@pytest.mark.parametrize("stack", STACKS)
def test_chart_values_match_the_reviewed_golden_file(stack: str, request: pytest.FixtureRequest) -> None:
    sim: Simulation = request.getfixturevalue(stack)
    path = GOLDEN / f"{stack.replace('_', '-')}.helm-values.yaml"
    rendered = rendered_releases(sim)
    if os.environ.get("UPDATE_GOLDEN"):
        path.write_text(yaml.safe_dump(rendered, sort_keys=True, width=120))
    assert rendered == yaml.safe_load(path.read_text()), f"chart values changed; review and regenerate {path.name}"
