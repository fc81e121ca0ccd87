"""Evaluate the CrossGuard policy pack against what the program would create, with no credentials.

    venv/bin/python -m components.simulation.policy_check --stack prod
    venv/bin/python -m components.simulation.policy_check --stack dev --simulate-kubeconfig
    venv/bin/python -m components.simulation.policy_check --config-file examples/stacks/Pulumi.primary-remote.yaml \
        --policy-config policies/config/prod.json

It runs the program under the mock runtime (components.simulation) and talks to the policy pack the way
the Pulumi engine does (pkg/resource/plugin/analyzer_plugin.go): start `python -u -m pulumi.policy
<engine> .` in the pack's directory, read the port from its first line of output, then over gRPC
GetAnalyzerInfo, Configure (the pack config reconciled as the engine does, `all` expanded), Remediate
and Analyze for every resource (its inputs, secrets wrapped, unknowns as the engine's sentinel), and
AnalyzeStack. It prints every violation and exits 1 when one is mandatory.
"""

from __future__ import annotations

import argparse
import atexit
import json
import os
import subprocess
import sys
import tempfile
import threading
from collections.abc import Iterator, Mapping, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import grpc
import yaml
from google.protobuf import empty_pb2, json_format, struct_pb2
from pulumi.runtime.proto import analyzer_pb2, analyzer_pb2_grpc

from ..config import FleetConfigError
from .mocks import simulated_kubeconfig
from .recorder import SECRET_SIG, SIG_KEY, PropertyPath, Recorded
from .runner import PROJECT, PROJECT_DIR, ProgramFailed, Simulation, exit_without_teardown, simulate, stack_config

PACK_DIR = PROJECT_DIR / "policies"
LEVELS = {"advisory": 0, "mandatory": 1, "disabled": 2, "remediate": 3}
LEVEL_NAMES = {value: name for name, value in LEVELS.items()}
# The provider the engine would use for a resource that names none.
DEFAULT_KUBERNETES_PROVIDER = "default_4_34_2"


@dataclass(frozen=True)
class Violation:
    policy: str
    level: str
    message: str
    """What the policy reported (the pack's description line is left off)."""
    urn: str


@dataclass
class PolicyReport:
    violations: list[Violation] = field(default_factory=list)
    not_applicable: list[tuple[str, str]] = field(default_factory=list)

    @property
    def mandatory(self) -> list[Violation]:
        return [v for v in self.violations if v.level == "mandatory"]

    def of(self, policy: str) -> list[Violation]:
        return [v for v in self.violations if v.policy == policy]


# --- properties on the wire ----------------------------------------------------------------------


def _wrap(value: Any, path: PropertyPath, secrets: frozenset[PropertyPath]) -> Any:
    if isinstance(value, dict):
        value = {k: _wrap(v, (*path, k), secrets) for k, v in value.items()}
    elif isinstance(value, list):
        value = [_wrap(v, (*path, i), secrets) for i, v in enumerate(value)]
    return {SIG_KEY: SECRET_SIG, "value": value} if path in secrets else value


def wire_properties(props: Mapping[str, Any], secrets: frozenset[PropertyPath]) -> struct_pb2.Struct:
    """Properties as the engine marshals them for analyzers: secrets in the secret envelope, unknowns as sentinels."""
    struct = struct_pb2.Struct()
    struct.update({k: _wrap(v, (k,), secrets) for k, v in props.items() if not k.startswith("__")})
    return struct


def _output_secrets(resource: Recorded) -> frozenset[PropertyPath]:
    return resource.secret_inputs | {(name,) for name in resource.additional_secret_outputs if name in resource.outputs}


# --- the pack process --------------------------------------------------------------------------------


@dataclass
class PackProcess:
    stub: analyzer_pb2_grpc.AnalyzerStub
    output: list[str]


@contextmanager
def running_pack(
    pack_dir: Path, stack: str, dry_run: bool, config: Mapping[str, str], python: str = sys.executable
) -> Iterator[PackProcess]:
    env = {
        **os.environ,
        "PULUMI_CONFIG": json.dumps(dict(config)),
        "PULUMI_PROJECT": PROJECT,
        "PULUMI_STACK": stack,
        "PULUMI_DRY_RUN": "true" if dry_run else "false",
        "PYTHONUNBUFFERED": "1",
    }
    process = subprocess.Popen(
        [python, "-u", "-m", "pulumi.policy", "127.0.0.1:1", "."],
        cwd=pack_dir,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    output: list[str] = []
    try:
        assert process.stdout is not None
        first = process.stdout.readline()
        if not first.strip().isdigit():
            rest = process.stdout.read() if process.poll() is not None else ""
            raise RuntimeError(f"the policy pack did not start: {first}{rest}")
        # Keep draining: policies may print, and a full pipe would block the pack.
        threading.Thread(target=lambda: output.extend(process.stdout or []), daemon=True).start()
        with grpc.insecure_channel(f"127.0.0.1:{first.strip()}") as channel:
            grpc.channel_ready_future(channel).result(timeout=30)
            yield PackProcess(analyzer_pb2_grpc.AnalyzerStub(channel), output)
    finally:
        process.kill()
        process.wait()


_packs: dict[tuple[Path, str, bool], PackProcess] = {}
_pack_exits = ExitStack()


def shared_pack(pack_dir: Path, stack: str, dry_run: bool) -> PackProcess:
    """The pack process for `stack`, started on first use and kept for the next evaluation in this
    process: a start costs about a second of CPU (Python and the pack's imports), which a test session
    evaluating thirty times would pay thirty times. The pack holds no state between evaluations
    besides what `Configure` replaces. `close_packs` ends them, as does this process's normal exit."""
    key = (pack_dir, stack, dry_run)
    if key not in _packs:
        if not _packs:
            atexit.register(close_packs)
        _packs[key] = _pack_exits.enter_context(running_pack(pack_dir, stack, dry_run, {}))
    return _packs[key]


def close_packs() -> None:
    _packs.clear()
    _pack_exits.close()


def _file_entry(value: Any) -> tuple[int | None, dict[str, Any]]:
    if isinstance(value, str):
        return LEVELS[value.lower()], {}
    properties = dict(value)
    level = properties.pop("enforcementLevel", None)
    return (LEVELS[level.lower()] if level else None), properties


def reconcile_config(info: Any, file_config: Mapping[str, Any]) -> dict[str, analyzer_pb2.PolicyConfig]:
    """The engine's ReconcilePolicyPackConfig: defaults, then the pack's initial config, then the file; `all` first."""
    result: dict[str, tuple[int, dict[str, Any]]] = {}
    schemas: dict[str, dict[str, Any]] = {}
    for policy in info.policies:
        schema = json_format.MessageToDict(policy.configSchema.properties) if policy.HasField("configSchema") else {}
        schemas[policy.name] = schema
        result[policy.name] = (policy.enforcementLevel, {k: v["default"] for k, v in schema.items() if "default" in v})
    initial = {name: (c.enforcementLevel, json_format.MessageToDict(c.properties)) for name, c in info.initialConfig.items()}
    file_entries = {name: _file_entry(value) for name, value in file_config.items()}
    for source in (initial, file_entries):
        if "all" in source and source["all"][0] is not None:
            result = {name: (source["all"][0], props) for name, (_, props) in result.items()}  # type: ignore[misc]
        for name, (level, props) in source.items():
            if name == "all":
                continue
            if name not in result:
                raise ValueError(f"policy pack config names {name!r}, which is not a policy of the pack")
            unknown = set(props) - set(schemas[name])
            if unknown:
                raise ValueError(f"policy pack config for {name!r} has unknown properties {sorted(unknown)}")
            current_level, current_props = result[name]
            result[name] = (current_level if level is None else level, {**current_props, **props})
    configs = {}
    for name, (level, props) in result.items():
        struct = struct_pb2.Struct()
        struct.update(props)
        configs[name] = analyzer_pb2.PolicyConfig(enforcementLevel=level, properties=struct)  # type: ignore[arg-type]
    return configs


# --- evaluation --------------------------------------------------------------------------------------


def _options(resource: Recorded) -> analyzer_pb2.AnalyzerResourceOptions:
    return analyzer_pb2.AnalyzerResourceOptions(
        protect=resource.protect,
        ignoreChanges=list(resource.ignore_changes),
        additionalSecretOutputs=list(resource.additional_secret_outputs),
        parent=resource.parent,
        customTimeouts=analyzer_pb2.AnalyzerResourceOptions.CustomTimeouts(),
    )


def _provider(resource: Recorded, by_urn: Mapping[str, Recorded], stack: str) -> analyzer_pb2.AnalyzerProviderResource | None:
    if resource.provider in by_urn:
        provider = by_urn[resource.provider]
        return analyzer_pb2.AnalyzerProviderResource(
            type=provider.type,
            name=provider.name,
            urn=provider.urn,
            properties=wire_properties(provider.inputs, provider.secret_inputs),
        )
    if resource.custom and resource.type.startswith("kubernetes:"):
        name = DEFAULT_KUBERNETES_PROVIDER
        urn = f"urn:pulumi:{stack}::{PROJECT}::pulumi:providers:kubernetes::{name}"
        return analyzer_pb2.AnalyzerProviderResource(type="pulumi:providers:kubernetes", name=name, urn=urn)
    return None


def _collect(report: PolicyReport, response: Any, urn: str) -> None:
    for diagnostic in response.diagnostics:
        message = diagnostic.message.split("\n", 1)[-1] if "\n" in diagnostic.message else diagnostic.message
        report.violations.append(Violation(diagnostic.policyName, LEVEL_NAMES[diagnostic.enforcementLevel], message, diagnostic.urn or urn))
    report.not_applicable.extend((n.policy_name, n.reason) for n in response.not_applicable)


def evaluate(
    sim: Simulation,
    policy_config: Mapping[str, Any],
    *,
    stack: str = "prod",
    preview: bool = False,
    pack_dir: Path = PACK_DIR,
) -> PolicyReport:
    report = PolicyReport()
    by_urn = {r.urn: r for r in sim.resources}
    stack_urn = f"urn:pulumi:{stack}::{PROJECT}::pulumi:pulumi:Stack::{PROJECT}-{stack}"
    pack = shared_pack(pack_dir, stack, preview)
    pack.stub.ConfigureStack(analyzer_pb2.AnalyzerStackConfigureRequest(stack=stack, project=PROJECT, dry_run=preview))
    info = pack.stub.GetAnalyzerInfo(empty_pb2.Empty())
    pack.stub.Configure(analyzer_pb2.ConfigureAnalyzerRequest(policyConfig=reconcile_config(info, policy_config)))
    stack_resources = []
    for resource in sim.resources:
        if resource.type.startswith("pulumi:providers:") or resource.read:
            continue
        request = dict(
            type=resource.type,
            properties=wire_properties(resource.inputs, resource.secret_inputs),
            urn=resource.urn,
            name=resource.name,
            options=_options(resource),
            provider=_provider(resource, by_urn, stack),
        )
        pack.stub.Remediate(analyzer_pb2.AnalyzeRequest(**request))  # type: ignore[arg-type]
        _collect(report, pack.stub.Analyze(analyzer_pb2.AnalyzeRequest(**request)), resource.urn)  # type: ignore[arg-type]
        stack_resources.append(
            analyzer_pb2.AnalyzerResource(
                type=resource.type,
                properties=wire_properties(resource.outputs, _output_secrets(resource)),
                urn=resource.urn,
                name=resource.name,
                options=_options(resource),
                provider=_provider(resource, by_urn, stack),
                parent=resource.parent,
                dependencies=list(resource.dependencies),
                propertyDependencies={
                    k: analyzer_pb2.AnalyzerPropertyDependencies(urns=list(v)) for k, v in resource.property_dependencies.items() if v
                },
            )
        )
    response = pack.stub.AnalyzeStack(analyzer_pb2.AnalyzeStackRequest(resources=stack_resources))
    _collect(report, response, stack_urn)
    return report


# --- command line ------------------------------------------------------------------------------------


def _existing_contexts(config: Mapping[str, Any]) -> list[str]:
    clusters = config.get(f"{PROJECT}:clusters") or []
    return [
        c["existing"]["context"]
        for c in clusters
        if isinstance(c, dict) and isinstance(c.get("existing"), dict) and c["existing"].get("context")
    ]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m components.simulation.policy_check", description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--stack", default="prod", help="stack name; its config is Pulumi.<stack>.yaml unless --config-file is given")
    parser.add_argument("--config-file", type=Path, help="a stack config file elsewhere (e.g. examples/stacks/...)")
    parser.add_argument("--policy-config", type=Path, help="policy pack config (default: policies/config/<stack>.json)")
    parser.add_argument("--preview", action="store_true", help="check a first preview: what providers learn on create is unknown")
    parser.add_argument(
        "--secret", action="append", default=[], metavar="KEY=VALUE", help="a secret config value, e.g. meshfleet:root-cert=..."
    )
    parser.add_argument("--simulate-kubeconfig", action="store_true", help="stand in a kubeconfig for the stack's kubeconfig contexts")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)

    config_file = args.config_file or PROJECT_DIR / f"Pulumi.{args.stack}.yaml"
    policy_file = args.policy_config or PACK_DIR / "config" / f"{args.stack}.json"
    if not policy_file.exists():
        parser.error(f"{policy_file} does not exist; pass --policy-config")
    secrets = dict(item.split("=", 1) for item in args.secret)
    print(
        f"meshfleet policy check: {config_file.name} as stack {args.stack!r}, {'first preview' if args.preview else 'pulumi up'}, "
        f"policy config {policy_file.relative_to(PROJECT_DIR) if policy_file.is_relative_to(PROJECT_DIR) else policy_file}; no credentials used"
    )
    with tempfile.TemporaryDirectory() as scratch:
        contexts = _existing_contexts(stack_config(config_file)) if config_file.exists() else []
        if args.simulate_kubeconfig and contexts:
            path = Path(scratch) / "kubeconfig"
            path.write_text(yaml.safe_dump(simulated_kubeconfig(contexts)))
            os.environ["KUBECONFIG"] = str(path)
        try:
            sim = simulate(args.stack, config_file=config_file, secrets=secrets, preview=args.preview)
        except ProgramFailed as failed:
            print(failed.error if isinstance(failed.error, FleetConfigError) else f"the program failed: {failed.error}")
            return 2
    report = evaluate(sim, json.loads(policy_file.read_text()), stack=args.stack, preview=args.preview)
    for violation in sorted(report.violations, key=lambda v: (v.level != "mandatory", v.policy, v.urn)):
        print(f"{violation.level:<9} {violation.policy}  {violation.urn.rsplit('::', 1)[-1]}\n          {violation.message}")
    close_packs()
    mandatory = len(report.mandatory)
    print(f"{len(sim.resources)} resources checked; {len(report.violations)} violations, {mandatory} mandatory")
    return 1 if mandatory else 0


if __name__ == "__main__":
    exit_without_teardown(main())
