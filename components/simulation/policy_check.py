"""Evaluate the CrossGuard policy pack against what the program would create, with no credentials.

    venv/bin/python -m components.simulation.policy_check --stack prod
    venv/bin/python -m components.simulation.policy_check --stack dev --simulate-kubeconfig
    venv/bin/python -m components.simulation.policy_check --config-file examples/stacks/Pulumi.primary-remote.yaml \
        --policy-config policies/config/prod.json

It runs the program under the mock runtime (components.simulation) and talks to the policy pack the way
the Pulumi engine does (pkg/resource/plugin/analyzer_plugin.go): start `python -u -m pulumi.policy
<engine> .` in the pack's directory, read the port from its first line of output, then over gRPC
GetAnalyzerInfo, Configure (the pack config reconciled as the engine does, `all` expanded), Remediate
(when a policy is configured to remediate) and Analyze for every resource (its inputs, secrets wrapped,
unknowns as the engine's sentinel), and AnalyzeStack. It prints every violation and exits 1 when one is
mandatory.
"""

from __future__ import annotations

import argparse
import atexit
import difflib
import json
import os
import re
import subprocess
import sys
import tempfile
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
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
from .progress import Progress
from .recorder import SECRET_SIG, SIG_KEY, PropertyPath, Recorded
from .runner import PROJECT, PROJECT_DIR, ProgramFailed, Simulation, exit_without_teardown, namespaced, simulate, stack_config
from .state import Deployment, StateFileError, read_stack_export

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


PackKey = tuple[Path, str, bool]
_packs: dict[PackKey, PackProcess] = {}
_pack_exits: dict[PackKey, ExitStack] = {}


def shared_pack(pack_dir: Path, stack: str, dry_run: bool) -> PackProcess:
    """The pack process for `stack`, started on first use and kept for the next evaluation in this
    process: a start costs about a second of CPU (Python and the pack's imports), which a test session
    evaluating thirty times would pay thirty times. The pack holds no state between evaluations
    besides what `Configure` replaces. `close_packs` ends them, as does this process's normal exit."""
    key = (pack_dir, stack, dry_run)
    if key not in _packs:
        if not _packs:
            atexit.register(close_packs)
        exits = ExitStack()
        _packs[key] = exits.enter_context(running_pack(pack_dir, stack, dry_run, {}))
        _pack_exits[key] = exits
    return _packs[key]


def close_packs(keys: Iterable[PackKey] | None = None) -> None:
    """End the pack processes of `keys` (default: all of them)."""
    for key in list(_packs if keys is None else keys):
        del _packs[key]
        _pack_exits.pop(key).close()


class PolicyConfigError(ValueError):
    """The policy pack config names a policy, a level or a property the pack does not have."""


def _level(name: str, value: object) -> int:
    if not isinstance(value, str) or value.lower() not in LEVELS:
        raise PolicyConfigError(
            f"policy pack config sets {name!r} to {value!r}, which is not an enforcement level; use one of {', '.join(map(repr, LEVELS))}"
        )
    return LEVELS[value.lower()]


def _file_entry(name: str, value: Any) -> tuple[int | None, dict[str, Any]]:
    if not isinstance(value, (str, Mapping)):
        raise PolicyConfigError(f"policy pack config for {name!r} is {value!r}; give an enforcement level or a mapping of properties")
    if isinstance(value, str):
        return _level(name, value), {}
    properties = dict(value)
    level = properties.pop("enforcementLevel", None)
    return (_level(name, level) if level is not None else None), properties


def reconcile_config(info: Any, file_config: Mapping[str, Any]) -> dict[str, analyzer_pb2.PolicyConfig]:
    """The engine's ReconcilePolicyPackConfig: defaults, then the pack's initial config, then the file; `all` first."""
    result: dict[str, tuple[int, dict[str, Any]]] = {}
    schemas: dict[str, dict[str, Any]] = {}
    for policy in info.policies:
        schema = json_format.MessageToDict(policy.configSchema.properties) if policy.HasField("configSchema") else {}
        schemas[policy.name] = schema
        result[policy.name] = (policy.enforcementLevel, {k: v["default"] for k, v in schema.items() if "default" in v})
    initial = {name: (c.enforcementLevel, json_format.MessageToDict(c.properties)) for name, c in info.initialConfig.items()}
    file_entries = {name: _file_entry(name, value) for name, value in file_config.items()}
    for source in (initial, file_entries):
        if "all" in source and source["all"][0] is not None:
            result = {name: (source["all"][0], props) for name, (_, props) in result.items()}  # type: ignore[misc]
        for name, (level, props) in source.items():
            if name == "all":
                continue
            if name not in result:
                close = difflib.get_close_matches(name, list(result), n=1)
                hint = f"did you mean {close[0]!r}? " if close else ""
                raise PolicyConfigError(
                    f"policy pack config names {name!r}, which is not a policy of the pack; {hint}policies: {', '.join(sorted(result))}"
                )
            unknown = set(props) - set(schemas[name])
            if unknown:
                raise PolicyConfigError(
                    f"policy pack config for {name!r} has unknown properties {sorted(unknown)}; known: {sorted(schemas[name])}"
                )
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


def any_remediating(configs: Mapping[str, analyzer_pb2.PolicyConfig]) -> bool:
    """Whether any policy is configured at `remediate`. The pack's Remediate skips every policy at another level
    (pulumi_policy/policy.py `Remediate`), and the reconciled config sets a level for every policy, so without one
    each call would answer nothing: a second round trip per resource (about 10% of a check's CPU) for no effect."""
    return any(config.enforcementLevel == LEVELS["remediate"] for config in configs.values())


def evaluate(
    sim: Simulation,
    policy_config: Mapping[str, Any],
    *,
    stack: str = "prod",
    preview: bool = False,
    pack_dir: Path = PACK_DIR,
    progress: Callable[[int, int, str], None] | None = None,
) -> PolicyReport:
    """`progress` is called after each resource the pack analysed: how many so far, of how many, its name."""
    report = PolicyReport()
    by_urn = {r.urn: r for r in sim.resources}
    stack_urn = f"urn:pulumi:{stack}::{PROJECT}::pulumi:pulumi:Stack::{PROJECT}-{stack}"
    pack = shared_pack(pack_dir, stack, preview)
    pack.stub.ConfigureStack(analyzer_pb2.AnalyzerStackConfigureRequest(stack=stack, project=PROJECT, dry_run=preview))
    info = pack.stub.GetAnalyzerInfo(empty_pb2.Empty())
    configs = reconcile_config(info, policy_config)
    pack.stub.Configure(analyzer_pb2.ConfigureAnalyzerRequest(policyConfig=configs))
    remediating = any_remediating(configs)
    stack_resources = []
    to_check = [r for r in sim.resources if not (r.type.startswith("pulumi:providers:") or r.read)]
    for done, resource in enumerate(to_check, start=1):
        request = dict(
            type=resource.type,
            properties=wire_properties(resource.inputs, resource.secret_inputs),
            urn=resource.urn,
            name=resource.name,
            options=_options(resource),
            provider=_provider(resource, by_urn, stack),
        )
        if remediating:
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
        if progress is not None:
            progress(done, len(to_check), resource.name)
    response = pack.stub.AnalyzeStack(analyzer_pb2.AnalyzeStackRequest(resources=stack_resources))
    _collect(report, response, stack_urn)
    return report


# --- command line ------------------------------------------------------------------------------------


class UsageError(Exception):
    """A mistake in how the command was called or in the files it reads: one line, exit code 2."""


def _existing_contexts(config: Mapping[str, Any]) -> list[str]:
    clusters = config.get(f"{PROJECT}:clusters") or []
    return [
        c["existing"]["context"]
        for c in clusters
        if isinstance(c, dict) and isinstance(c.get("existing"), dict) and c["existing"].get("context")
    ]


def cluster_names(config: Mapping[str, Any]) -> list[str]:
    """The clusters a stack's config names, in its order (for progress; validation is the program's)."""
    clusters = config.get(f"{PROJECT}:clusters")
    return [c["name"] for c in clusters if isinstance(c, dict) and isinstance(c.get("name"), str)] if isinstance(clusters, list) else []


CHECK_EXAMPLES = """examples:
  meshfleet check --stack prod                 Pulumi.prod.yaml against policies/config/prod.json
  meshfleet check --stack dev --simulate-kubeconfig
  meshfleet check --config-file examples/stacks/Pulumi.linkerd.yaml --policy-config policies/config/prod.json
  meshfleet check --stack prod --preview       what a first `pulumi preview` can check (unknowns listed)
  meshfleet check --stack prod --state prod.json   a preview against the last deployment (`pulumi stack export`)

exit codes: 0 no mandatory violation, 1 a mandatory violation, 2 bad input"""


def build_parser(prog: str = "python -m components.simulation.policy_check") -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=prog, description=(__doc__ or "").split("\n\n")[0], epilog=CHECK_EXAMPLES, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    add_stack_arguments(parser)
    add_check_arguments(parser)
    return parser


def add_check_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--policy-config", type=Path, help="policy pack config (default: policies/config/<stack>.json)")
    parser.add_argument("--preview", action="store_true", help="check a first preview: what providers learn on create is unknown")


def add_stack_arguments(parser: argparse.ArgumentParser) -> None:
    """The arguments that say which stack to run, shared by `meshfleet check` and `meshfleet preview`."""
    parser.add_argument(
        "--stack",
        help="stack name (default: the one --config-file's name Pulumi.<stack>.yaml gives, else prod); its config is "
        "Pulumi.<stack>.yaml in the current directory, else in the meshfleet checkout",
    )
    parser.add_argument("--config-file", type=Path, help="a stack config file elsewhere (e.g. examples/stacks/Pulumi.linkerd.yaml)")
    parser.add_argument(
        "--secret",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="a secret config value, e.g. meshfleet:root-cert=... (seen by ps)",
    )
    parser.add_argument(
        "--secret-file",
        action="append",
        default=[],
        metavar="KEY=PATH",
        help="a secret config value read from a file, e.g. meshfleet:root-2027-cert=root.pem (kept out of shell history and ps)",
    )
    parser.add_argument("--simulate-kubeconfig", action="store_true", help="stand in a kubeconfig for the stack's kubeconfig contexts")
    parser.add_argument(
        "--state",
        type=Path,
        metavar="FILE",
        help="the stack's last deployment, as `pulumi stack export --file FILE` writes it: plan and check a preview against it",
    )


def _shown(path: Path) -> str:
    """A path as the user would type it: relative to the current directory when inside it."""
    if path.is_absolute() and path.is_relative_to(Path.cwd()):
        return str(path.relative_to(Path.cwd()))
    return str(path)


def _not_a_file(path: Path, fix: str) -> UsageError:
    what = "is a directory, not a file" if path.is_dir() else "does not exist"
    return UsageError(f"{_shown(path)} {what}; {fix}")


def read_stack_file(path: Path) -> dict[str, Any]:
    """The whole stack file, or a UsageError naming the file (and the line of a YAML error)."""
    if not path.is_file():
        raise _not_a_file(path, "give the stack's config file with --config-file, or create it with `pulumi stack init`")
    try:
        document = yaml.safe_load(path.read_text())
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark
        where = f":{mark.line + 1}:{mark.column + 1}" if mark is not None else ""
        raise UsageError(f"{_shown(path)}{where}: not valid YAML: {error.problem}") from None
    except yaml.YAMLError as error:
        raise UsageError(f"{_shown(path)}: not valid YAML: {error}") from None
    if document is not None and not (isinstance(document, dict) and isinstance(document.get("config", {}), dict)):
        raise UsageError(f"{_shown(path)}: a stack file is a mapping with a 'config:' mapping, as `pulumi config set` writes it")
    config = (document or {}).get("config") or {}
    twice = sorted(key for key in config if ":" not in str(key) and namespaced(str(key)) in config)
    if twice:
        raise UsageError(
            f"{_shown(path)} sets both {twice[0]!r} and {namespaced(twice[0])!r}; Pulumi reads a key without a namespace as "
            "the project's, and which of the two it keeps is not defined: keep one"
        )
    return document or {}


def _secret_key(key: str) -> str:
    return key if ":" in key else f"{PROJECT}:{key}"


def parse_secrets(items: Sequence[str], stack_file: Mapping[str, Any], path: Path, files: Sequence[str] = ()) -> dict[str, str]:
    """`--secret KEY=VALUE` and `--secret-file KEY=PATH` values; the stack file's `secure:` values must be
    among them, because only the stack's secrets provider can decrypt those."""
    secrets: dict[str, str] = {}
    for item in items:
        key, equals, value = item.partition("=")
        if not equals or not key:
            raise UsageError(f"--secret {item!r} is not KEY=VALUE; write it as --secret {key or 'meshfleet:<key>'}=<value>")
        secrets[_secret_key(key)] = value
    for item in files:
        key, equals, name = item.partition("=")
        if not equals or not key or not name:
            raise UsageError(f"--secret-file {item!r} is not KEY=PATH; write it as --secret-file {key or 'meshfleet:<key>'}=<file>")
        source = Path(name)
        if not source.is_file():
            raise _not_a_file(source, f"--secret-file {key} names the file holding the secret's value")
        secrets[_secret_key(key)] = source.read_text()
    config = stack_file.get("config") or {}
    encrypted = sorted(namespaced(k) for k, v in config.items() if isinstance(v, dict) and "secure" in v and namespaced(k) not in secrets)
    if encrypted:
        flags = " ".join(f"--secret-file {key}=<file>" for key in encrypted)
        raise UsageError(
            f"{_shown(path)} holds {', '.join(encrypted)} as secure values, which only the stack's secrets provider can decrypt; "
            f"pass them in plain with {flags} (or --secret KEY=VALUE)"
        )
    return secrets


def read_policy_config(path: Path) -> dict[str, Any]:
    if not path.is_file():
        raise _not_a_file(path, "pass the policy pack config with --policy-config")
    try:
        config = json.loads(path.read_text())
    except json.JSONDecodeError as error:
        raise UsageError(f"{_shown(path)}:{error.lineno}:{error.colno}: not valid JSON: {error.msg}") from None
    if not isinstance(config, dict):
        raise UsageError(f"{_shown(path)}: a policy pack config is a JSON object of policy names")
    for name, value in config.items():
        try:
            _file_entry(name, value)  # levels now, before the program runs; names once the pack answers
        except PolicyConfigError as error:
            raise UsageError(f"{_shown(path)}: {error}") from None
    return config


@dataclass(frozen=True)
class StackRun:
    stack: str
    config_file: Path
    secrets: dict[str, str]
    simulate_kubeconfig: bool
    stack_from: str = "--stack"
    """Where the stack name came from: '--stack', the config file's name, or the default."""
    previous: Deployment | None = None
    """The stack's last deployment (`--state`); None: a first preview."""

    @property
    def clusters(self) -> list[str]:
        return cluster_names(stack_config(self.config_file))

    def header(self, command: str, what: str) -> str:
        named = "" if self.stack_from == "--stack" else f" ({self.stack_from})"
        return f"meshfleet {command}: {_shown(self.config_file)} as stack {self.stack!r}{named}, {what}; no credentials used"


STACK_FILE = re.compile(r"^Pulumi\.(?P<stack>[^.]+)\.ya?ml$")
DEFAULT_STACK = "prod"


def _stack_and_file(args: argparse.Namespace) -> tuple[str, Path, str]:
    if args.config_file is not None:
        if not args.config_file.is_file():
            raise _not_a_file(args.config_file, "give the stack's config file with --config-file")
        if args.stack:
            return args.stack, args.config_file, "--stack"
        match = STACK_FILE.match(args.config_file.name)
        if match is None:
            raise UsageError(
                f"{_shown(args.config_file)} is not named Pulumi.<stack>.yaml, so its stack is not known: give it with --stack"
            )
        return match["stack"], args.config_file, "from the file's name"
    stack = args.stack or DEFAULT_STACK
    name = f"Pulumi.{stack}.yaml"
    here = Path.cwd() / name
    if here.is_file() or Path.cwd() == PROJECT_DIR:
        found = here
    elif (PROJECT_DIR / name).is_file():
        found = PROJECT_DIR / name
    else:
        raise UsageError(
            f"{name} is neither in the current directory nor in the meshfleet checkout ({PROJECT_DIR}); give the stack's config "
            "file with --config-file, or create it with `pulumi stack init`"
        )
    return stack, found, "--stack" if args.stack else "the default stack"


def stack_run(args: argparse.Namespace) -> StackRun:
    stack, config_file, stack_from = _stack_and_file(args)
    document = read_stack_file(config_file)
    secrets = parse_secrets(args.secret, document, config_file, args.secret_file)
    previous = None
    if getattr(args, "state", None) is not None:
        try:
            previous = read_stack_export(args.state, project=PROJECT, stack=stack)
        except StateFileError as error:
            raise UsageError(str(error)) from None
    return StackRun(stack, config_file, secrets, args.simulate_kubeconfig, stack_from, previous)


def run_stack(run: StackRun, *, preview: bool, progress: Callable[[int, str], None] | None = None) -> Simulation:
    """The program for the stack under the mock runtime; a FleetConfigError or failure of the program
    becomes a UsageError with its message (no traceback)."""
    with tempfile.TemporaryDirectory() as scratch:
        contexts = _existing_contexts(stack_config(run.config_file))
        previous = os.environ.get("KUBECONFIG")
        if run.simulate_kubeconfig and contexts:
            path = Path(scratch) / "kubeconfig"
            path.write_text(yaml.safe_dump(simulated_kubeconfig(contexts)))
            os.environ["KUBECONFIG"] = str(path)
        try:
            return simulate(
                run.stack,
                config_file=run.config_file,
                secrets=run.secrets,
                preview=preview,
                progress=progress,
                previous=run.previous,
            )
        except ProgramFailed as failed:
            if not isinstance(failed.error, FleetConfigError):
                raise UsageError(f"the program failed: {failed.error}") from None
            raise UsageError(str(failed.error) + _kubeconfig_hint(failed.error, run, contexts)) from None
        finally:
            if run.simulate_kubeconfig and contexts:
                if previous is None:
                    os.environ.pop("KUBECONFIG", None)
                else:
                    os.environ["KUBECONFIG"] = previous


def _kubeconfig_hint(error: FleetConfigError, run: StackRun, contexts: Sequence[str]) -> str:
    """On a machine without the adopted clusters' contexts, the way to plan anyway."""
    if run.simulate_kubeconfig or not any(p.key.endswith(".existing.context") for p in error.problems):
        return ""
    return (
        f"\nhint: to plan without these clusters (no kubeconfig needed), add --simulate-kubeconfig: it stands in a kubeconfig "
        f"for the contexts {', '.join(map(repr, contexts))}"
    )


# The SDK's words for a policy that met a value unknown during preview (pulumi-policy `_get_unknown_message`).
NOT_RUN = re.compile(r"^can't run policy '(?P<policy>[^']+)' from policy pack '[^']*' during preview: (?P<reason>.*)$")


def unchecked_summary(violations: Sequence[Violation]) -> tuple[list[Violation], list[str]]:
    """The violations, and one summary line per policy that could not run on values unknown in a preview."""
    real: list[Violation] = []
    unknown: dict[str, set[str]] = {}
    counts: dict[str, int] = {}
    for violation in violations:
        match = NOT_RUN.match(violation.message)
        if match is None:
            real.append(violation)
            continue
        policy = match["policy"]
        counts[policy] = counts.get(policy, 0) + 1
        value = re.search(r"value at (\S+) can't be known", match["reason"])
        unknown.setdefault(policy, set()).add(value.group(1) if value else match["reason"])
    lines = [
        f"  {policy}: {counts[policy]} resource{'s' if counts[policy] != 1 else ''} ({', '.join(sorted(unknown[policy]))})"
        for policy in sorted(counts)
    ]
    return real, lines


def check(args: argparse.Namespace) -> int:
    run = stack_run(args)
    policy_file = args.policy_config or PACK_DIR / "config" / f"{run.stack}.json"
    policy_config = read_policy_config(policy_file)
    # Against a last deployment, the check is of the preview against it: what `pulumi preview` sends the pack.
    preview = args.preview or run.previous is not None
    mode = f"a preview against {_shown(args.state)}" if run.previous is not None else ("first preview" if preview else "pulumi up")
    print(run.header("policy check", f"{mode}, policy config {_shown(policy_file)}"))
    progress = Progress(run.clusters)
    progress.stage(f"running the program for stack {run.stack!r} ({len(progress.clusters)} clusters)")
    sim = run_stack(run, preview=preview, progress=progress.planned)
    to_check = progress.group_sizes(r.name for r in sim.resources if not (r.type.startswith("pulumi:providers:") or r.read))
    progress.stage(
        f"checking {sum(to_check.values())} of the {len(sim.resources)} planned resources against the policy pack "
        f"({_shown(PACK_DIR)}); providers and reads are not analysed"
    )
    try:
        report = evaluate(
            sim,
            policy_config,
            stack=run.stack,
            preview=preview,
            progress=lambda done, total, name: progress.checked(done, total, name, to_check),
        )
    except PolicyConfigError as error:
        raise UsageError(f"{_shown(policy_file)}: {error}") from None
    violations, unchecked = unchecked_summary(report.violations)
    for violation in sorted(violations, key=lambda v: (v.level != "mandatory", v.policy, v.urn)):
        print(f"{violation.level:<9} {violation.policy}  {violation.urn.rsplit('::', 1)[-1]}\n          {violation.message}")
    if unchecked:
        print("not checked: values a first preview cannot know yet (they are checked by `pulumi up`):")
        print("\n".join(unchecked))
    mandatory = len([v for v in violations if v.level == "mandatory"])
    suffix = f"; {len(report.violations) - len(violations)} checks could not run in this preview" if unchecked else ""
    print(f"{len(sim.resources)} resources checked; {len(violations)} violations, {mandatory} mandatory{suffix}")
    return 1 if mandatory else 0


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    running = set(_packs)
    try:
        return check(args)
    except UsageError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    finally:
        # As a command, this process ends without its exit handlers (exit_without_teardown): end the pack
        # it started. Packs a caller in this process started before stay for the caller's next evaluation.
        close_packs(set(_packs) - running)


if __name__ == "__main__":
    exit_without_teardown(main())
