"""Where a rollout's position lives: the app stack's own `canary` output, not its config.

Config holds the intent (images, the first weight); the deployment records the position. The gate reads
it with `pulumi stack output --json` and records a decision by running the deployment itself, `pulumi up`
with the decision in MESHFLEET_CANARY_DECISION, which the program applies and exports
(meshfleet_appteam.rollout, appteam/). A plain `pulumi up` later reads that output back through a self stack
reference and continues from it, whatever the committed config says. Nothing is written to
`Pulumi.<stack>.yaml`, so stacks whose config lives in Pulumi Cloud or ESC are gated alike.

A record is trusted only once read back: after each `pulumi up` the output must show the decision.
"""

from __future__ import annotations

import json
import os
import subprocess
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from meshfleet_appteam.rollout import DECISION_ENV, OUTPUT


class StateError(ValueError):
    """The app stack's state cannot be read, or holds no rollout to gate: bad input, nothing decided."""


class NotRecorded(Exception):
    """Every try to record a decision failed; `attempts` says how each one did."""

    def __init__(self, attempts: list[str]) -> None:
        super().__init__("; ".join(attempts))
        self.attempts = attempts


@dataclass(frozen=True)
class Rollout:
    phase: str
    weight: int
    failed_checks: int
    canary_image: str
    clusters: tuple[str, ...]


class AppStack:
    def __init__(self, stack: str, binary: str = "pulumi", cwd: str | None = None, timeout_seconds: float = 1800) -> None:
        self.stack = stack
        self.binary = binary
        self.cwd = cwd
        self.timeout_seconds = timeout_seconds

    def up_command(self) -> list[str]:
        return [self.binary, "up", "--yes", "--skip-preview", "--stack", self.stack]

    def outputs(self) -> dict[str, Any]:
        command = [self.binary, "stack", "output", "--json", "--stack", self.stack]
        done = self._run(command, None, 120)
        if done.returncode != 0:
            raise StateError(f"{' '.join(command)} failed (exit {done.returncode}): {_last_line(done)}")
        try:
            outputs = json.loads(done.stdout or "{}")
        except ValueError:
            raise StateError(f"{' '.join(command)} printed no JSON") from None
        if not isinstance(outputs, dict):
            raise StateError(f"{' '.join(command)} printed {type(outputs).__name__}, not the stack's outputs")
        return outputs

    def read(self) -> Rollout:
        outputs = self.outputs()
        canary = outputs.get(OUTPUT)
        if not isinstance(canary, Mapping):
            raise StateError(
                f"stack {self.stack} has no `{OUTPUT}` output: deploy the app with meshfleet_appteam.rollout first (docs/app-teams.md)"
            )
        try:
            rollout = Rollout(
                phase=str(canary["phase"]),
                weight=int(canary["weight"]),
                failed_checks=int(canary.get("failedChecks", 0)),
                canary_image=str(canary["canaryImage"]),
                clusters=tuple(str(c) for c in outputs.get("clusters") or ()),
            )
        except (KeyError, TypeError, ValueError):
            raise StateError(f"stack {self.stack}'s `{OUTPUT}` output is not a rollout's position: {json.dumps(canary)[:200]}") from None
        # Weight 0 while progressing is a dark phase: the canary runs and takes header-routed or mirrored
        # requests only; the next step gives it traffic (steps [100]: a gated blue-green switch). Weight 100
        # while progressing is a switch under post-promotion analysis: the stable version still runs.
        if rollout.phase != "progressing" or not 0 <= rollout.weight <= 100:
            raise StateError(
                f"stack {self.stack}: no canary in progress to gate (the rollout of {rollout.canary_image} is {rollout.phase} "
                f"at weight {rollout.weight}); a new canaryImage in the stack's config starts the next one"
            )
        return rollout

    def record(self, decision: Mapping[str, Any], attempts: int, delay_seconds: float, sleep: Callable[[float], None] = time.sleep) -> None:
        """Run the deployment with the decision until its output shows it; NotRecorded after `attempts` tries."""
        payload = json.dumps(dict(decision), sort_keys=True)
        env = {**os.environ, DECISION_ENV: payload}
        failures: list[str] = []
        for attempt in range(1, attempts + 1):
            if attempt > 1:
                sleep(delay_seconds)
            done = self._run(self.up_command(), env, self.timeout_seconds)
            if done.returncode != 0:
                failures.append(f"try {attempt}: {' '.join(self.up_command())} failed (exit {done.returncode}): {_last_line(done)}")
                continue
            try:
                recorded = self.outputs().get(OUTPUT) or {}
            except StateError as error:
                failures.append(f"try {attempt}: {error}")
                continue
            mismatched = [key for key in ("phase", "weight", "canaryImage") if recorded.get(key) != decision[key]]
            if not mismatched:
                return
            failures.append(f"try {attempt}: the stack's `{OUTPUT}` output does not show the decision ({', '.join(mismatched)} differ)")
        raise NotRecorded(failures)

    def _run(self, command: Sequence[str], env: Mapping[str, str] | None, timeout: float) -> subprocess.CompletedProcess[str]:
        try:
            return subprocess.run(command, cwd=self.cwd, env=env, capture_output=True, text=True, timeout=timeout, check=False)
        except (OSError, subprocess.TimeoutExpired) as error:
            return subprocess.CompletedProcess(list(command), 127, "", f"cannot run {command[0]}: {error}")


def _last_line(done: subprocess.CompletedProcess[str]) -> str:
    lines = (done.stderr.strip() or done.stdout.strip()).splitlines()
    return lines[-1] if lines else ""
