"""Run in a venv holding only an example's requirements (meshfleet-contract, meshfleet-appteam): the app
program in argv[1] under the Pulumi SDK's own mocks, with the config and the stack outputs it reads from a
JSON file (argv[2]); print what it registers and reads as JSON: each resource's URN, and its inputs when custom."""

import json
import runpy
import sys
from pathlib import Path
from typing import Any

import pulumi
from google.protobuf import json_format
from pulumi.runtime.mocks import MockMonitor
from pulumi.runtime.stack import run_pulumi_func
from pulumi.runtime.sync_await import _sync_await

app = Path(sys.argv[1])
given = json.loads(Path(sys.argv[2]).read_text())
registered: dict[str, Any] = {}


class Mocks(pulumi.runtime.Mocks):
    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str, dict[str, Any]]:
        if args.typ == "pulumi:pulumi:StackReference":
            name = args.inputs["name"]
            return name, {"name": name, "outputs": given["stack_outputs"].get(name, {}), "secretOutputNames": []}
        return f"{args.name}-id", dict(args.inputs)

    def call(self, args: pulumi.runtime.MockCallArgs) -> tuple[dict[str, Any], list[tuple[str, str]] | None]:
        return {}, None


class Recording(MockMonitor):
    def make_urn(self, parent: str, type_: str, name: str) -> str:
        # As the engine names it: the parent's whole qualified type (the SDK's mock keeps its last type only).
        qualified = parent.split("::")[2] if parent else ""
        if qualified and qualified != "pulumi:pulumi:Stack":
            type_ = f"{qualified}${type_}"
        return f"urn:pulumi:{pulumi.get_stack()}::{pulumi.get_project()}::{type_}::{name}"

    def RegisterResource(self, request: Any) -> Any:
        response = super().RegisterResource(request)
        if request.type != "pulumi:pulumi:Stack":
            registered[response.urn] = json_format.MessageToDict(request.object) if request.custom else None
        return response

    def ReadResource(self, request: Any) -> Any:  # the stack references
        response = super().ReadResource(request)
        registered[response.urn] = json_format.MessageToDict(request.properties)
        return response


mocks = Mocks()
pulumi.runtime.set_mocks(mocks, project=given["project"], stack="prod", preview=False, monitor=Recording(mocks))
pulumi.runtime.set_all_config(given["config"])
sys.path.insert(0, str(app))


def program() -> None:
    runpy.run_path(str(app / "__main__.py"), run_name="__main__")


_sync_await(run_pulumi_func(program))
print(json.dumps(registered))
