"""Run in a venv holding only meshfleet-contract: read a fleet's outputs (JSON file, argv[1]) through a
StackReference under the Pulumi SDK's own mocks, and print the typed contract as JSON."""

import asyncio
import dataclasses
import json
import sys
from pathlib import Path
from typing import Any

import pulumi
from pulumi.runtime.stack import run_pulumi_func
from pulumi.runtime.sync_await import _sync_await

from meshfleet_contract import FleetContract, read_fleet

STACK = "acme/meshfleet/prod"
outputs = json.loads(Path(sys.argv[1]).read_text())


class Mocks(pulumi.runtime.Mocks):
    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str, dict[str, Any]]:
        if args.typ == "pulumi:pulumi:StackReference":
            return STACK, {"name": STACK, "outputs": outputs, "secretOutputNames": []}
        return f"{args.name}-id", dict(args.inputs)

    def call(self, args: pulumi.runtime.MockCallArgs) -> tuple[dict[str, Any], list[tuple[str, str]] | None]:
        return {}, None


pulumi.runtime.set_mocks(Mocks(), project="shop", stack="prod", preview=False)
found: list[FleetContract] = []
_sync_await(run_pulumi_func(lambda: found.append(read_fleet(STACK))))
asyncio.set_event_loop(asyncio.new_event_loop())
print(json.dumps(dataclasses.asdict(found[0])))
