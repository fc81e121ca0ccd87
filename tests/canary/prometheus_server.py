"""A real Prometheus (Debian's `prometheus` package) on 127.0.0.1 with a temporary config and data dir,
scraping the mesh exporter every second. Started and stopped by the tests; never a system service.

A fresh Prometheus scrapes for the first time about six seconds after it starts, and has scraped every
target three times after about eight, doing next to nothing meanwhile. So a test run that includes the
gate tests starts one server as the run begins (tests/conftest.py: in pytest-xdist's controller, which
only waits for its workers) and runs those tests last: they find it ready instead of idling a worker.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

from . import mesh_exporter

INSTALL_HINT = "install Debian's prometheus package: apt-get update && apt-get install -y prometheus (.ci/run does this in CI)"
START_SECONDS = 30
SAMPLES_SECONDS = 30


def prometheus_binary() -> str:
    """The binary; in CI its absence fails the tests, elsewhere it skips them with the install hint."""
    found = shutil.which("prometheus")
    if found:
        return found
    if os.environ.get("CI"):
        pytest.fail(f"the canary gate tests need a real Prometheus: {INSTALL_HINT}")
    pytest.skip(f"no prometheus binary on PATH: {INSTALL_HINT}")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def scrape_config(exporter: str) -> dict[str, object]:
    """A job per mesh and cluster (every meshed pod, labelled as meshfleet's PodMonitor labels them,
    observability/scrape.py) and one per cluster for kube-state-metrics, each with its `cluster` label."""
    jobs = []
    for source in (*mesh_exporter.MESHES, "ksm"):
        for cluster in mesh_exporter.CLUSTERS:
            jobs.append(
                {
                    "job_name": f"{source}-{cluster}",
                    "metrics_path": f"/{source}/{cluster}",
                    # The series carry their pods' namespace, app and version, as relabelled from the pods.
                    "honor_labels": True,
                    "static_configs": [{"targets": [exporter], "labels": {"cluster": cluster}}],
                }
            )
    return {"global": {"scrape_interval": "1s", "evaluation_interval": "1s"}, "scrape_configs": jobs}


def _get(url: str) -> bytes | None:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return bytes(response.read())
    except (urllib.error.URLError, OSError):
        return None


def _wait(what: str, deadline_seconds: float, ready: object, log: Path, process: subprocess.Popen[bytes] | None) -> None:
    deadline = time.monotonic() + deadline_seconds
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            pytest.fail(f"prometheus exited with {process.returncode} before {what}:\n{log.read_text()[-2000:]}")
        if callable(ready) and ready():
            return
        time.sleep(0.25)
    pytest.fail(f"prometheus did not get {what} within {deadline_seconds}s:\n{log.read_text()[-2000:]}")


@dataclass(frozen=True)
class Server:
    url: str
    log: Path
    targets: int


def wait_until_scraped(server: Server, process: subprocess.Popen[bytes] | None = None) -> None:
    """Returns once every target has been scraped at least three times (at once if it has been already)."""
    _wait("ready", START_SECONDS, lambda: _get(f"{server.url}/-/ready") is not None, server.log, process)
    query = urllib.parse.urlencode({"query": "count(count_over_time(up[1m]) >= 3)"})

    def scraped_enough() -> bool:
        body = _get(f"{server.url}/api/v1/query?{query}")
        result = json.loads(body)["data"]["result"] if body else []
        return bool(result) and int(result[0]["value"][1]) == server.targets

    _wait("three scrapes of every target", SAMPLES_SECONDS, scraped_enough, server.log, process)


@contextmanager
def started(binary: str, workdir: Path) -> Iterator[tuple[Server, subprocess.Popen[bytes]]]:
    """Prometheus and the mesh exporter it scrapes, started but not waited for."""
    with mesh_exporter.serving() as exporter:
        config = workdir / "prometheus.yml"
        scrape = scrape_config(exporter)
        config.write_text(yaml.safe_dump(scrape))
        port = _free_port()
        log = workdir / "prometheus.log"
        with log.open("wb") as output:
            process = subprocess.Popen(
                [
                    binary,
                    f"--config.file={config}",
                    f"--storage.tsdb.path={workdir / 'data'}",
                    f"--web.listen-address=127.0.0.1:{port}",
                    "--log.level=warn",
                ],
                stdout=output,
                stderr=subprocess.STDOUT,
            )
        try:
            yield Server(f"http://127.0.0.1:{port}", log, len(scrape["scrape_configs"])), process  # type: ignore[arg-type]
        finally:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)


@contextmanager
def running(workdir: Path) -> Iterator[str]:
    """Yields the base URL once every target has been scraped at least three times."""
    with started(prometheus_binary(), workdir) as (server, process):
        wait_until_scraped(server, process)
        yield server.url


# --- one server for the whole test run ---------------------------------------------------------------

GATE_TESTS = Path(__file__).with_name("test_gate.py")
_RUN_SERVER = pytest.StashKey[Server]()
_RUN_EXITS = pytest.StashKey[ExitStack]()
WORKER_INPUT = "meshfleet_prometheus"


def _selects_gate_tests(config: pytest.Config) -> bool:
    """Whether the paths the run was given include the gate tests (a -k or -m may still leave them out)."""
    for arg in config.args:
        path = (config.invocation_params.dir / arg.split("::")[0]).resolve()
        if path == GATE_TESTS or path in GATE_TESTS.parents:
            return True
    return False


def start_for_run(config: pytest.Config) -> None:
    """In the process that runs the session (not in an xdist worker): start the server without waiting
    for it, when the run includes the gate tests and Prometheus is installed (else the tests' fixture
    skips or fails with the install hint)."""
    binary = shutil.which("prometheus")
    if binary is None or config.option.collectonly or not _selects_gate_tests(config):
        return
    exits = ExitStack()
    workdir = Path(exits.enter_context(tempfile.TemporaryDirectory(prefix="meshfleet-prometheus-")))
    server, _ = exits.enter_context(started(binary, workdir))
    config.stash[_RUN_SERVER] = server
    config.stash[_RUN_EXITS] = exits


def stop_for_run(config: pytest.Config) -> None:
    exits = config.stash.get(_RUN_EXITS, None)
    if exits is not None:
        exits.close()


def worker_input(config: pytest.Config) -> dict[str, str] | None:
    """What an xdist worker needs to reach the run's server."""
    server = config.stash.get(_RUN_SERVER, None)
    return None if server is None else {"url": server.url, "log": str(server.log), "targets": str(server.targets)}


def run_server(config: pytest.Config) -> Server | None:
    """The run's server, in the process that started it or in an xdist worker; None if there is none."""
    given = getattr(config, "workerinput", {}).get(WORKER_INPUT)
    if given is not None:
        return Server(given["url"], Path(given["log"]), int(given["targets"]))
    return config.stash.get(_RUN_SERVER, None)
