"""Helpers for the tests: example stack files, config mutations and a fake validation environment."""

from __future__ import annotations

import copy
import json
import os
import pickle
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from components.config import FleetConfigError, RawConfig
from components.fleet import validate_fleet
from components.simulation import PROJECT_DIR, Simulation, simulate, stack_config
from components.simulation.mocks import simulated_kubeconfig

STACKS = PROJECT_DIR / "examples" / "stacks"
PRIMARY_REMOTE = STACKS / "Pulumi.primary-remote.yaml"
LINKERD = STACKS / "Pulumi.linkerd.yaml"
CONSUL = STACKS / "Pulumi.consul.yaml"
DEV_CONTEXTS = ("kind-mesh-west", "kind-mesh-east")


_RUNS: dict[str, bytes] = {}


def simulated(stack: str = "prod", *, config_file: Path | None = None, **inputs: Any) -> Simulation:
    """`simulate(stack, ...)`, run once per distinct input in this process: tests that need the same run
    (a stack's first preview, a config change seen from two sides) share it. What a run reads is its key:
    the arguments, the stack file's text and the operator's kubeconfig. Each caller gets its own copy, so
    no test sees what another changed."""
    path = config_file or PROJECT_DIR / f"Pulumi.{stack}.yaml"
    kubeconfig = os.environ.get("KUBECONFIG", "")
    files = [Path(name) for name in (str(path), *kubeconfig.split(os.pathsep)) if name]
    read = [file.read_text() for file in files if file.is_file()]
    key = json.dumps([stack, str(path), inputs, kubeconfig, read], sort_keys=True)
    if key not in _RUNS:
        _RUNS[key] = pickle.dumps(simulate(stack, config_file=config_file, **inputs))
    copied: Simulation = pickle.loads(_RUNS[key])
    return copied


def kind_kubeconfig(contexts: tuple[str, ...] = DEV_CONTEXTS) -> dict[str, Any]:
    """An operator kubeconfig as `kind create cluster` writes it."""
    return simulated_kubeconfig(contexts)


# --- validation helpers ------------------------------------------------------------------------


class FakeEnvironment:
    """Secret config and operator kubeconfig as validation sees them, without a Pulumi stack."""

    def __init__(
        self, values: dict[str, str] | None = None, secret_keys: tuple[str, ...] = (), contexts: tuple[str, ...] = DEV_CONTEXTS
    ) -> None:
        self.values = values or {}
        self.secret_keys = set(secret_keys)
        self.contexts = contexts

    def value(self, key: str) -> str | None:
        return self.values.get(key)

    def is_secret(self, key: str) -> bool:
        return key in self.secret_keys

    def kubeconfig_context_problem(self, context: str) -> str | None:
        return None if context in self.contexts else f"context {context!r} is not in the operator's kubeconfig"


def raw_config(stack_file: Path) -> dict[str, Any]:
    config = stack_config(stack_file)
    return {key: copy.deepcopy(config.get(f"meshfleet:{key}")) for key in ("mesh", "trust", "clusters", "gateway")}


def prod_raw() -> dict[str, Any]:
    return raw_config(PROJECT_DIR / "Pulumi.prod.yaml")


def problems_of(raw: dict[str, Any], env: FakeEnvironment | None = None) -> list[str]:
    with pytest.raises(FleetConfigError) as caught:
        validate_fleet(RawConfig(**raw), env or FakeEnvironment())
    return [str(problem) for problem in caught.value.problems]


Mutation = Callable[[dict[str, Any]], None]


def prod_problems(mutate: Mutation, env: FakeEnvironment | None = None) -> list[str]:
    raw = prod_raw()
    mutate(raw)
    return problems_of(raw, env)
