"""The canary gate's config file: which service, which Prometheus, which stack key, and the thresholds.

Read with the fleet config's Section, so a mistake is reported the same way: every problem with its key.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from ..config import Problems, Section
from ..config.reader import LABEL_VALUE, choice_list, quote
from ..observability.signals import SIGNALS

WINDOW = re.compile(r"^\d+[smh]$")
PERCENTILES = (50, 95, 99)


@dataclass(frozen=True)
class Thresholds:
    min_requests: int
    """Canary requests in the window below which nothing is decided (hold). Default: 100."""
    max_error_rate: float
    """Highest failed fraction of the canary's responses, 0 to 1. Default: 0.01."""
    latency_percentile: int
    """50, 95 or 99. Default: 99."""
    max_latency_ratio: float | None
    """Highest canary/stable ratio of that percentile. Default: 1.5 unless maxLatencyMs is set."""
    max_latency_ms: float | None
    """Highest absolute latency of that percentile. Default: none."""


@dataclass(frozen=True)
class CanarySettings:
    mesh: str
    prometheus: str
    """Base URL of the Prometheus HTTP API, e.g. http://prometheus.monitoring:9090."""
    service: str
    """The pods' `app` label."""
    namespace: str
    stable: str
    """The stable version's `version` label."""
    canary: str
    cluster: str | None
    """Only this cluster's series. Default: the whole fleet."""
    window: str
    """PromQL range of each query. Default: 5m."""
    stack: str
    """The app's Pulumi stack (`org/project/stack`)."""
    weight_key: str
    """Its config key holding the canary's percent of traffic, e.g. `shop:canaryWeight`."""
    steps: tuple[int, ...]
    """Weights the canary moves through; the last is 100 (promotion). Default: 10, 50, 100."""
    thresholds: Thresholds

    @property
    def labels(self) -> dict[str, str]:
        labels = {"namespace": self.namespace, "app": self.service}
        if self.cluster:
            labels["cluster"] = self.cluster
        return labels


def parse_settings(raw: object, problems: Problems, *, prometheus: str | None = None) -> CanarySettings | None:
    s = Section(raw, "canary", problems)
    s.reject_unknown(
        [
            "mesh",
            "prometheus",
            "service",
            "namespace",
            "stableVersion",
            "canaryVersion",
            "cluster",
            "window",
            "stack",
            "weightKey",
            "steps",
            "thresholds",
        ]
    )
    mesh = s.choice("mesh", tuple(SIGNALS), required=True)
    url = prometheus or s.string("prometheus", required="the Prometheus base URL, e.g. 'http://prometheus.monitoring:9090'")
    if url is not None and not url.startswith(("http://", "https://")):
        s.problem("prometheus", f"{quote(url)} is not an http:// or https:// URL")
    service = _label(s, "service", "the service's `app` pod label, e.g. 'shop'")
    namespace = _label(s, "namespace", "the service's namespace")
    stable = _label(s, "stableVersion", "the stable pods' `version` label, e.g. 'v1'")
    canary = _label(s, "canaryVersion", "the canary pods' `version` label, e.g. 'v2'")
    if stable and stable == canary:
        s.problem("canaryVersion", f"{quote(canary)} is also the stableVersion; the canary is compared with a different version")
    cluster = _label(s, "cluster", None)
    window = s.string("window", "5m")
    if window is not None and not WINDOW.match(window):
        s.problem("window", f"{quote(window)} is not a duration such as '5m', '30s' or '1h'")
    stack = s.string("stack", required="the app's stack, e.g. 'acme/shop/prod'")
    weight_key = s.string("weightKey", required="the stack's config key of the canary weight, e.g. 'shop:canaryWeight'")
    steps = _steps(s)
    thresholds = _thresholds(s.section("thresholds"))
    if problems.items:
        return None
    assert mesh and url and service and namespace and stable and canary and window and stack and weight_key and steps and thresholds
    return CanarySettings(mesh, url.rstrip("/"), service, namespace, stable, canary, cluster, window, stack, weight_key, steps, thresholds)


def _label(s: Section, name: str, required: str | None) -> str | None:
    value = s.string(name, required=required)
    if value is not None and not LABEL_VALUE.match(value):
        s.problem(name, f"{quote(value)} is not a Kubernetes label value (letters, digits, '-', '_', '.', at most 63)")
        return None
    return value


def _steps(s: Section) -> tuple[int, ...] | None:
    value = s.raw.get("steps", [10, 50, 100])
    allowed = "a rising list of percentages ending at 100, e.g. [10, 50, 100]"
    if not isinstance(value, list) or not value or not all(isinstance(v, int) and not isinstance(v, bool) for v in value):
        s.problem("steps", f"{quote(value)} is not {allowed}")
        return None
    if any(not 0 < v <= 100 for v in value) or value != sorted(set(value)) or value[-1] != 100:
        s.problem("steps", f"{value} is not {allowed}")
        return None
    return tuple(value)


def _number(s: Section, name: str, *, minimum: float, maximum: float | None) -> float | None:
    value: Any = s.raw.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        s.problem(name, f"expected a number, got {quote(value)}")
        return None
    if value < minimum or (maximum is not None and value > maximum):
        top = f" to {maximum}" if maximum is not None else " or more"
        s.problem(name, f"{value} is out of range; allowed: {minimum}{top}")
        return None
    return float(value)


def _thresholds(s: Section) -> Thresholds | None:
    s.reject_unknown(["minRequests", "maxErrorRate", "latencyPercentile", "maxLatencyRatio", "maxLatencyMs"])
    before = len(s.problems.items)
    min_requests = s.integer("minRequests", 100, minimum=1, maximum=10_000_000)
    error_rate = _number(s, "maxErrorRate", minimum=0, maximum=1)
    percentile: Any = s.raw.get("latencyPercentile", 99)
    if percentile not in PERCENTILES or isinstance(percentile, bool):
        s.problem("latencyPercentile", f"{quote(percentile)} is not supported; use one of {choice_list(PERCENTILES)}")
    ratio = _number(s, "maxLatencyRatio", minimum=1, maximum=None)
    absolute = _number(s, "maxLatencyMs", minimum=0, maximum=None)
    if len(s.problems.items) > before:
        return None
    return Thresholds(
        min_requests=min_requests or 100,
        max_error_rate=0.01 if error_rate is None else error_rate,
        latency_percentile=int(percentile),
        max_latency_ratio=1.5 if ratio is None and absolute is None else ratio,
        max_latency_ms=absolute,
    )
