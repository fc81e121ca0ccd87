"""A fake `pulumi` executable: `config get|set <key> [value] --stack <stack>` against a JSON file,
recording every call, so tests can assert what the gate wrote to the app stack."""

from __future__ import annotations

import json
import stat
import sys
from pathlib import Path

SCRIPT = """#!{python}
import json, sys
state_path, calls_path = {state!r}, {calls!r}
args = sys.argv[1:]
with open(calls_path, "a") as calls:
    calls.write(json.dumps(args) + "\\n")
stack = args[args.index("--stack") + 1]
state = json.load(open(state_path))
config = state.setdefault(stack, {{}})
if args[:2] == ["config", "get"]:
    if args[2] not in config:
        sys.exit("error: configuration key '%s' not found for stack '%s'" % (args[2], stack))
    print(config[args[2]])
elif args[:2] == ["config", "set"]:
    config[args[2]] = args[3]
    json.dump(state, open(state_path, "w"))
else:
    sys.exit("fake pulumi: unexpected arguments %r" % args)
"""


class FakePulumi:
    def __init__(self, directory: Path, config: dict[str, dict[str, str]]) -> None:
        self.state = directory / "pulumi-state.json"
        self.calls_file = directory / "pulumi-calls.jsonl"
        self.binary = directory / "pulumi"
        self.state.write_text(json.dumps(config))
        self.calls_file.write_text("")
        self.binary.write_text(SCRIPT.format(python=sys.executable, state=str(self.state), calls=str(self.calls_file)))
        self.binary.chmod(self.binary.stat().st_mode | stat.S_IXUSR)

    @property
    def config(self) -> dict[str, dict[str, str]]:
        return dict(json.loads(self.state.read_text()))

    @property
    def calls(self) -> list[list[str]]:
        return [json.loads(line) for line in self.calls_file.read_text().splitlines()]
