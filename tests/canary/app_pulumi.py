"""The app stack for the gate, deployed by the real app program (examples/app-team) under the mock
runtime, as tests/examples/test_app_team.py runs it: `up` deploys with this stack's last outputs (and the
gate's MESHFLEET_CANARY_DECISION, if any) and keeps the new outputs; `stack output --json` prints them.
Run in the test's process instead of as a `pulumi` executable: the gate's subprocess is the one thing
it replaces (components/canary/state.py AppStack._run)."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Mapping, Sequence
from typing import Any

from components.canary.state import DECISION_ENV, AppStack
from components.simulation import ProgramFailed
from tests.examples.test_app_team import run_app


class AppProgramStack(AppStack):
    def __init__(self, stack: str, fleet_outputs: dict[str, Any], outputs: dict[str, Any]) -> None:
        super().__init__(stack, "pulumi")
        self.fleet_outputs = fleet_outputs
        self.last_outputs = outputs

    def _run(self, command: Sequence[str], env: Mapping[str, str] | None, timeout: float) -> subprocess.CompletedProcess[str]:
        args = list(command[1:])
        if args[:3] == ["stack", "output", "--json"]:
            return subprocess.CompletedProcess(list(command), 0, json.dumps(self.last_outputs), "")
        assert args[:1] == ["up"], args
        try:
            app = run_app(self.fleet_outputs, last=self.last_outputs, decision=(env or {}).get(DECISION_ENV))
        except ProgramFailed as failed:
            return subprocess.CompletedProcess(list(command), 255, "", f"error: {failed.error}")
        self.last_outputs = json.loads(json.dumps(app.exports))
        return subprocess.CompletedProcess(list(command), 0, "", "")
