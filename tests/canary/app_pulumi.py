"""`python -m tests.canary.app_pulumi STATE_DIR <pulumi arguments>`: a `pulumi` for the gate that runs the
real app program (examples/app-team) under the mock runtime, as tests/examples/test_app_team.py does:
`up` deploys with this stack's last outputs (and the gate's MESHFLEET_CANARY_DECISION, if any) and saves
the new outputs; `stack output --json` prints them. STATE_DIR holds `fleet.json` (the fleet stack's
outputs) and `outputs.json` (the app stack's last outputs)."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

from components.canary.state import DECISION_ENV
from components.simulation import ProgramFailed
from tests.examples.test_app_team import run_app


def main(state: Path, args: list[str]) -> int:
    outputs = state / "outputs.json"
    if args[:3] == ["stack", "output", "--json"]:
        print(outputs.read_text())
        return 0
    if args[:1] == ["up"]:
        fleet = json.loads((state / "fleet.json").read_text())
        try:
            app = run_app(fleet, last=json.loads(outputs.read_text()), decision=os.environ.get(DECISION_ENV))
        except ProgramFailed as failed:
            print(f"error: {failed.error}", file=sys.stderr)
            return 255
        outputs.write_text(json.dumps(app.exports))
        return 0
    print(f"app_pulumi: unexpected arguments {args!r}", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1]), sys.argv[2:]))
