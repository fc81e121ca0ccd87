"""How runs use the garbage collector and end (components/gc_policy.py, components/simulation/runner.py)."""

from __future__ import annotations

import gc
import subprocess
import sys
from collections.abc import Iterator

import pytest

from components.gc_policy import OLDER_THRESHOLD, YOUNG_THRESHOLD, collect_young_objects_only
from components.simulation import PROJECT_DIR, run_program


@pytest.fixture
def default_thresholds() -> Iterator[None]:
    previous = gc.get_threshold()
    gc.set_threshold(700, 10, 10)
    yield
    gc.set_threshold(*previous)


def test_the_policy_collects_young_objects_and_returns_what_it_replaced(default_thresholds: None) -> None:
    assert collect_young_objects_only() == (700, 10, 10)
    assert gc.get_threshold() == (YOUNG_THRESHOLD, OLDER_THRESHOLD, OLDER_THRESHOLD)


def test_a_simulated_run_applies_the_policy_and_then_restores_the_thresholds(default_thresholds: None) -> None:
    during: list[tuple[int, int, int]] = []
    run_program(lambda: during.append(gc.get_threshold()))
    assert during == [(YOUNG_THRESHOLD, OLDER_THRESHOLD, OLDER_THRESHOLD)]
    assert gc.get_threshold() == (700, 10, 10)  # the next test's program starts from the same state


def test_a_command_leaves_without_teardown_but_with_its_output_and_exit_code() -> None:
    script = "from components.simulation.runner import exit_without_teardown\nprint('report', end='')\nexit_without_teardown(3)"
    result = subprocess.run([sys.executable, "-c", script], cwd=PROJECT_DIR, capture_output=True, text=True, timeout=60)
    assert (result.returncode, result.stdout) == (3, "report")
