"""Run the real program (`__main__.py`) under Pulumi's mock runtime with a stack's config.

No Pulumi CLI, cloud account or cluster is needed. Structured config comes from `Pulumi.<stack>.yaml`;
secure values there are encrypted for the stack's secrets provider, so secrets are passed in instead.
"""

from __future__ import annotations

import asyncio
import gc
import json
import logging
import os
import runpy
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NoReturn

import pulumi
import yaml
from pulumi.runtime.settings import ROOT, SETTINGS, _get_rpc_manager, get_root_resource
from pulumi.runtime.stack import run_pulumi_func
from pulumi.runtime.sync_await import _sync_await

from ..gc_policy import collect_young_objects_only
from .mocks import FleetMocks
from .recorder import Recorded, RecordingMonitor, plain
from .state import DELETE, DeployedResource, Deployment

PROJECT_DIR = Path(__file__).resolve().parents[2]
PROJECT = "meshfleet"
ORGANIZATION = "organization"  # what a self-managed backend (s3, gs, file) calls every stack's organization


class ProgramFailed(Exception):
    """The program raised; `resources` is what it had registered by then."""

    def __init__(self, error: BaseException, resources: list[Recorded]) -> None:
        super().__init__(str(error))
        self.error = error
        self.resources = resources


@dataclass
class Simulation:
    resources: list[Recorded]
    """In registration order."""
    exports: dict[str, Any]
    """Resolved stack outputs; unknown values are the UNKNOWN sentinel."""
    secret_exports: set[str]
    deletes: list[DeployedResource] = field(default_factory=list)
    """What the last deployment holds that this run did not register: the engine deletes it."""
    cluster_objects: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)
    """What controllers in the clusters hold after this run (components/simulation/mocks.py)."""
    unreachable: dict[str, list[str]] = field(default_factory=dict)
    """Per unreachable cluster, the resources its provider previewed from their inputs alone, with a warning."""
    preview: bool = False
    warnings: list[str] = field(default_factory=list)
    """The program's own warnings (`pulumi.log.warn`), which the Pulumi CLI prints under Diagnostics."""

    def deployment(self) -> Deployment:
        """The state this run leaves as a `pulumi up` (a preview leaves none)."""
        if self.preview:
            raise ValueError("a preview changes no state; run the program without preview=True")
        return Deployment.after(self.resources, self.exports, self.cluster_objects)

    def steps(self) -> dict[str, str]:
        """Each resource's step by URN, deletes included: what `pulumi preview` lists and `pulumi up` does."""
        return {**{r.urn: r.op for r in self.resources}, **{r.urn: DELETE for r in self.deletes}}

    def of_type(self, type_token: str) -> list[Recorded]:
        return [r for r in self.resources if r.type == type_token]

    def named(self, name: str, type_token: str | None = None) -> Recorded:
        """The one resource of that name (components share names with their children: give a type then)."""
        matches = [r for r in self.resources if r.name == name and (type_token is None or r.type == type_token)]
        if len(matches) != 1:
            raise KeyError(f"{len(matches)} resources are named {name!r}" + (f" of type {type_token}" if type_token else ""))
        return matches[0]

    def by_urn(self, urn: str) -> Recorded:
        return next(r for r in self.resources if r.urn == urn)

    def kubernetes(self) -> list[Recorded]:
        return [r for r in self.resources if r.type.startswith("kubernetes:")]


def stack_config(path: Path) -> dict[str, Any]:
    """The `config:` block of a stack file (secure values left out: they need the stack's key), a key
    without a namespace in the project's, as Pulumi reads it (sdk/go/common/workspace/loaders.go,
    stackConfigNamespacedWithProject, at v3.259.0)."""
    document = yaml.safe_load(path.read_text()) or {}
    config = document.get("config") or {}
    return {namespaced(key): value for key, value in config.items() if not (isinstance(value, dict) and "secure" in value)}


def namespaced(key: str) -> str:
    return key if ":" in key else f"{PROJECT}:{key}"


def _config_strings(config: Mapping[str, Any]) -> dict[str, str]:
    return {key: value if isinstance(value, str) else json.dumps(value) for key, value in config.items()}


def run_program(
    program: Callable[[], object],
    *,
    stack: str = "test",
    config: Mapping[str, Any] | None = None,
    secrets: Mapping[str, str] | None = None,
    preview: bool = False,
    stack_outputs: Mapping[str, Mapping[str, Any]] | None = None,
    secret_stack_outputs: Mapping[str, list[str]] | None = None,
    project: str = PROJECT,
    progress: Callable[[int, str], None] | None = None,
    previous: Deployment | None = None,
    unreachable: frozenset[str] = frozenset(),
    load_balancers: Mapping[str, Sequence[Mapping[str, str]]] | None = None,
) -> Simulation:
    """Run `program` (any Pulumi program) under the fleet mocks and record what it registers.

    `config` and `secrets` are full config keys (e.g. "meshfleet:clusters"); `stack_outputs` feed
    StackReferences. `previous` is the stack's last deployment (`Simulation.deployment()` of an earlier run,
    or a `pulumi stack export`): each registration is then a step against it, what it holds and this run
    does not register is deleted, and the stack reads its own outputs from it. Without it, this is the
    stack's first deployment. `unreachable` names clusters whose API server the provider cannot reach;
    `load_balancers` gives a cluster's load balancers other `status.loadBalancer.ingress` entries. Raises ProgramFailed, with what was registered by then, if the program raises.
    """
    own_name = f"{ORGANIZATION}/{project}/{stack}"
    outputs: dict[str, Mapping[str, Any]] = {own_name: previous.exports if previous else {}, **(stack_outputs or {})}
    mocks = FleetMocks(
        preview=preview,
        stack_outputs=outputs,
        secret_stack_outputs=secret_stack_outputs,
        previous=previous,
        unreachable=unreachable,
        load_balancers=load_balancers,
    )
    monitor = RecordingMonitor(mocks, progress, previous)
    warnings = _WarningsLog()
    ROOT.set(None)  # a fresh root Stack for this run's project and stack names
    pulumi.runtime.set_mocks(
        mocks, project=project, stack=stack, preview=preview, monitor=monitor, organization=ORGANIZATION, logger=warnings.logger
    )
    pulumi.runtime.set_all_config(_config_strings({**(config or {}), **(secrets or {})}), list(secrets or {}))

    def run() -> None:
        program()  # whatever the program returns (runpy returns its globals) is not the engine's business

    # As under the engine (__main__.py applies it for the whole process), until the run's outputs are
    # read: the SDK finishes registering after the program body returns, and the default thresholds
    # would rescan every object the run made. A test session runs many programs, so they come back.
    thresholds = collect_young_objects_only()
    try:
        try:
            _sync_await(run_pulumi_func(run))
        except Exception as error:
            _discard_pending_work(error)
            raise ProgramFailed(error, list(monitor.recorded.values())) from error
        exports, secret_exports = _stack_exports()
    finally:
        gc.set_threshold(*thresholds)
    registered = monitor.recorded
    deletes = [r for urn, r in (previous.resources.items() if previous else ()) if urn not in registered and not r.read]
    return Simulation(
        resources=list(registered.values()),
        exports=exports,
        secret_exports=secret_exports,
        deletes=deletes,
        cluster_objects=dict(mocks.controller_secrets),
        unreachable=mocks.warnings,
        preview=preview,
        warnings=warnings.messages,
    )


class _WarningsLog(logging.Handler):
    """Where the mock engine's Log call puts the program's messages: warnings and errors kept in order, the rest dropped."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.messages: list[str] = []
        self.logger = logging.Logger("meshfleet.simulation", logging.WARNING)  # not registered: one per run, not kept
        self.logger.addHandler(self)

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


def _stack_exports() -> tuple[dict[str, Any], set[str]]:
    """The values the program exported (unknowns kept), and which of them are secret."""
    outputs: dict[str, Any] = dict(getattr(get_root_resource(), "outputs", {}) or {})
    exports: dict[str, Any] = {}
    secret_exports: set[str] = set()
    for key, value in outputs.items():
        output = pulumi.Output.from_input(value)
        exports[key] = plain(_sync_await(output.future(with_unknowns=True)))
        if _sync_await(output.is_secret()):
            secret_exports.add(key)
    return exports, secret_exports


_REPORTED_FAILURES: list[str] = []


def _quiet_about_reported_failures(loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
    """The outputs that carried a failed program's error are never awaited once it is reported as
    ProgramFailed; asyncio would log each of them, with a traceback, when it is collected."""
    error = context.get("exception")
    if context.get("message") == "Future exception was never retrieved" and str(error) in _REPORTED_FAILURES:
        return
    loop.default_exception_handler(context)


def _discard_pending_work(error: BaseException) -> None:
    """A failed program leaves registrations and applies pending, and the SDK keeps its first error: drop
    both, so that the next simulation in this process starts clean instead of re-raising this one's error."""
    loop = asyncio.get_event_loop()
    _REPORTED_FAILURES.append(str(error))
    loop.set_exception_handler(_quiet_about_reported_failures)
    pending = [task for task in asyncio.all_tasks(loop) if not task.done()]
    for task in pending:
        task.cancel()
    if pending:
        loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
    with SETTINGS.lock:
        SETTINGS.outputs.clear()
    _get_rpc_manager().clear()


def simulate(
    stack: str = "prod",
    *,
    config: Mapping[str, Any] | None = None,
    secrets: Mapping[str, str] | None = None,
    preview: bool = False,
    stack_outputs: Mapping[str, Mapping[str, Any]] | None = None,
    config_file: Path | None = None,
    project_dir: Path = PROJECT_DIR,
    then: Callable[[dict[str, Any]], None] | None = None,
    progress: Callable[[int, str], None] | None = None,
    previous: Deployment | None = None,
    unreachable: frozenset[str] = frozenset(),
    load_balancers: Mapping[str, Sequence[Mapping[str, str]]] | None = None,
) -> Simulation:
    """Run this project's `__main__.py` for `stack`, with the config of `config_file` (default:
    Pulumi.<stack>.yaml) updated by `config` per key. `then` runs after the program, with its globals
    (e.g. `fleet`), to add resources on top of the fleet."""
    path = config_file or project_dir / f"Pulumi.{stack}.yaml"
    values = stack_config(path) if path.exists() else {}
    values.update(config or {})
    if str(project_dir) not in sys.path:
        sys.path.insert(0, str(project_dir))

    def program() -> None:
        scope = runpy.run_path(str(project_dir / "__main__.py"), run_name="__main__")
        if then is not None:
            then(scope)

    return run_program(
        program,
        stack=stack,
        config=values,
        secrets=secrets,
        preview=preview,
        stack_outputs=stack_outputs,
        progress=progress,
        previous=previous,
        unreachable=unreachable,
        load_balancers=load_balancers,
    )


def exit_without_teardown(code: int) -> NoReturn:
    """End a command that ran a program: flush its output and leave without tearing down the run's
    objects one by one, which takes seconds for a large fleet (the SDK's Outputs, futures and tasks)
    and frees nothing the operating system does not take back at once."""
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)
