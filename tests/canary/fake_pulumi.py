"""A fake `pulumi` executable for the gate: `stack output --json` prints the app stack's outputs from a
JSON file, and `up` applies the gate's decision (MESHFLEET_CANARY_DECISION) to its `canary` output as
meshfleet_appteam/rollout.py (appteam/) does, or fails as often as a test asks (a failed state write). Every call is
recorded with the decision it carried, so tests assert what the gate recorded and how.

tests/examples/test_app_team.py runs the real app program with such decisions and a plain `pulumi up`
after them; this fake stands in for it where the gate's own behaviour is under test."""

from __future__ import annotations

import json
import stat
import sys
from pathlib import Path
from typing import Any

SCRIPT = """#!{python}
import json, os, sys
state_path, calls_path = {state!r}, {calls!r}
args = sys.argv[1:]
decision = os.environ.get("MESHFLEET_CANARY_DECISION")
with open(calls_path, "a") as calls:
    calls.write(json.dumps({{"args": args, "decision": json.loads(decision) if decision else None}}) + "\\n")
stack = args[args.index("--stack") + 1]
state = json.load(open(state_path))
outputs = state["outputs"].setdefault(stack, {{}})
if args[:3] == ["stack", "output", "--json"]:
    print(json.dumps(outputs))
elif args[:1] == ["up"]:
    if state["fail_up"] > 0:
        state["fail_up"] -= 1
        json.dump(state, open(state_path, "w"))
        sys.exit("error: update failed: the Kubernetes API server of cluster south did not answer")
    if decision:
        given = json.loads(decision)
        canary = dict(outputs["canary"], **given)
        if given["phase"] == "promoted":
            canary["stableImage"] = given["canaryImage"]
        outputs["canary"] = canary
    json.dump(state, open(state_path, "w"))
else:
    sys.exit("fake pulumi: unexpected arguments %r" % args)
"""

CANARY_IMAGE = "ghcr.io/stefanprodan/podinfo:6.8.0"
STABLE_IMAGE = "ghcr.io/stefanprodan/podinfo:6.7.1"


def rollout_outputs(weight: int, clusters: tuple[str, ...], phase: str = "progressing", failed_checks: int = 0) -> dict[str, Any]:
    """The outputs of an app stack whose canary is at `weight` (what examples/app-team exports)."""
    return {
        "canary": {
            "phase": phase,
            "weight": weight,
            "stableImage": STABLE_IMAGE,
            "canaryImage": CANARY_IMAGE,
            "baseImage": STABLE_IMAGE,
            "failedChecks": failed_checks,
        },
        "clusters": list(clusters),
    }


class FakePulumi:
    def __init__(self, directory: Path, outputs: dict[str, dict[str, Any]], fail_up: int = 0) -> None:
        self.state = directory / "pulumi-state.json"
        self.calls_file = directory / "pulumi-calls.jsonl"
        self.binary = directory / "pulumi"
        self.state.write_text(json.dumps({"outputs": outputs, "fail_up": fail_up}))
        self.calls_file.write_text("")
        self.binary.write_text(SCRIPT.format(python=sys.executable, state=str(self.state), calls=str(self.calls_file)))
        self.binary.chmod(self.binary.stat().st_mode | stat.S_IXUSR)

    @property
    def outputs(self) -> dict[str, dict[str, Any]]:
        return dict(json.loads(self.state.read_text())["outputs"])

    @property
    def calls(self) -> list[dict[str, Any]]:
        return [json.loads(line) for line in self.calls_file.read_text().splitlines()]

    @property
    def recorded(self) -> list[dict[str, Any]]:
        """The decisions of the `pulumi up` runs, in order (failed ones included)."""
        return [call["decision"] for call in self.calls if call["args"][0] == "up"]
