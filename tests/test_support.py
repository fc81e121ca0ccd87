"""The tests' own helpers (tests/support.py): a shared simulation must not let one test's changes leak."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

import tests.support
from components.simulation import Simulation
from tests.support import simulated


def test_simulated_runs_once_per_input_and_hands_each_caller_its_own_copy(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    runs: list[str] = []
    real = tests.support.simulate

    def counting(stack: str, **inputs: object) -> Simulation:
        runs.append(stack)
        return real(stack, **inputs)  # type: ignore[arg-type]

    monkeypatch.setattr(tests.support, "simulate", counting)
    monkeypatch.setattr(tests.support, "_RUNS", {})
    first = simulated("dev")
    first.resources[0].inputs["changed"] = True
    first.exports.clear()
    second = simulated("dev")
    assert runs == ["dev"]
    assert "changed" not in second.resources[0].inputs and second.exports
    simulated("dev", preview=True)
    assert runs == ["dev", "dev"]
    # The dev stack reads the operator's kubeconfig: another one is another run.
    kubeconfig = tmp_path / "config"
    kubeconfig.write_text(Path(os.environ["KUBECONFIG"]).read_text())
    monkeypatch.setenv("KUBECONFIG", str(kubeconfig))
    simulated("dev")
    assert runs == ["dev", "dev", "dev"]
