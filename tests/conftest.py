"""Shared fixtures: the example stacks run once each through the real program under the mock runtime."""

from __future__ import annotations

import gc
import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from components.gc_policy import collect_young_objects_only
from components.simulation import Simulation, simulate
from tests.canary import prometheus_server
from tests.support import CONSUL, LINKERD, PRIMARY_REMOTE, kind_kubeconfig

# --- the run: the collector's policy, and the canary gate's Prometheus started as the run begins ------


def pytest_configure(config: pytest.Config) -> None:
    # A test process runs the program some ninety times and keeps the runs its fixtures share; the
    # default thresholds would rescan all of that, and the SDKs' modules, again and again (about a tenth
    # of the suite's CPU). The collector policy the program runs under (components/gc_policy.py) leaves
    # older objects alone, for a few hundred MB more per process.
    collect_young_objects_only()
    if not hasattr(config, "workerinput"):  # the process that runs the session, not an xdist worker
        prometheus_server.start_for_run(config)


@pytest.hookimpl(optionalhook=True)
def pytest_configure_node(node: Any) -> None:
    """pytest-xdist, in the controller: tell each worker where the run's Prometheus is."""
    given = prometheus_server.worker_input(node.config)
    if given is not None:
        node.workerinput[prometheus_server.WORKER_INPUT] = given


def pytest_unconfigure(config: pytest.Config) -> None:
    prometheus_server.stop_for_run(config)
    # The interpreter's last act would be a full collection of everything this process kept: with the
    # policy above, most of the three seconds between the workers' last test and the run's end.
    gc.freeze()


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The gate tests last, when the run's Prometheus has scraped enough."""
    items.sort(key=lambda item: "prometheus" in getattr(item, "fixturenames", ()))  # stable: the rest keep their order


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
