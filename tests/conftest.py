"""Shared fixtures: the example stacks run once each through the real program under the mock runtime."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from components.simulation import Simulation, simulate
from tests.support import CONSUL, LINKERD, PRIMARY_REMOTE, kind_kubeconfig


@pytest.fixture(scope="session", autouse=True)
def operator_kubeconfig(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The dev stack adopts kind clusters by kubeconfig context."""
    path = tmp_path_factory.mktemp("kube") / "config"
    path.write_text(json.dumps(kind_kubeconfig()))
    previous = os.environ.get("KUBECONFIG")
    os.environ["KUBECONFIG"] = str(path)
    yield path
    if previous is None:
        os.environ.pop("KUBECONFIG", None)
    else:
        os.environ["KUBECONFIG"] = previous


@pytest.fixture(scope="session")
def prod() -> Simulation:
    return simulate("prod")


@pytest.fixture(scope="session")
def dev() -> Simulation:
    return simulate("dev")


@pytest.fixture(scope="session")
def primary_remote() -> Simulation:
    return simulate("primary-remote", config_file=PRIMARY_REMOTE)


@pytest.fixture(scope="session")
def linkerd() -> Simulation:
    return simulate("linkerd", config_file=LINKERD)


@pytest.fixture(scope="session")
def consul() -> Simulation:
    return simulate("consul", config_file=CONSUL)
