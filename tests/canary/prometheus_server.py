"""A real Prometheus (Debian's `prometheus` package) on 127.0.0.1 with a temporary config and data dir,
scraping the mesh exporter every second. Started and stopped by the tests; never a system service."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
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
    """One job per pod, labelled as meshfleet's PodMonitor relabels a meshed pod (observability/scrape.py)."""
    jobs = []
    for mesh in mesh_exporter.MESHES:
        for app in mesh_exporter.APPS:
            for version in mesh_exporter.VERSIONS:
                jobs.append(
                    {
                        "job_name": f"{mesh}-{app}-{version}",
                        "metrics_path": f"/{mesh}/{app}/{version}",
                        "static_configs": [
                            {
                                "targets": [exporter],
                                "labels": {"cluster": f"{mesh}-west", "namespace": "shop", "app": app, "version": version},
                            }
                        ],
                    }
                )
    return {"global": {"scrape_interval": "1s", "evaluation_interval": "1s"}, "scrape_configs": jobs}


def _get(url: str) -> bytes | None:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return bytes(response.read())
    except (urllib.error.URLError, OSError):
        return None


def _wait(what: str, deadline_seconds: float, ready: object, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + deadline_seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"prometheus exited with {process.returncode} before {what}:\n{log.read_text()[-2000:]}")
        if callable(ready) and ready():
            return
        time.sleep(0.25)
    pytest.fail(f"prometheus did not get {what} within {deadline_seconds}s:\n{log.read_text()[-2000:]}")


@contextmanager
def running(workdir: Path) -> Iterator[str]:
    """Yields the base URL once every target has been scraped at least three times."""
    binary = prometheus_binary()
    with mesh_exporter.serving() as exporter:
        config = workdir / "prometheus.yml"
        config.write_text(yaml.safe_dump(scrape_config(exporter)))
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
        url = f"http://127.0.0.1:{port}"
        try:
            _wait("ready", START_SECONDS, lambda: _get(f"{url}/-/ready") is not None, process, log)
            targets = len(scrape_config(exporter)["scrape_configs"])  # type: ignore[arg-type]
            query = urllib.parse.urlencode({"query": "count(count_over_time(up[1m]) >= 3)"})

            def scraped_enough() -> bool:
                body = _get(f"{url}/api/v1/query?{query}")
                result = json.loads(body)["data"]["result"] if body else []
                return bool(result) and int(result[0]["value"][1]) == targets

            _wait("three scrapes of every target", SAMPLES_SECONDS, scraped_enough, process, log)
            yield url
        finally:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)
