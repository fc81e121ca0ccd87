"""The canary gate's config file: which service, which Prometheus (and how to authenticate), which app
stack, the analysis (checks per step, interval, failure threshold) and the thresholds of every check.

Read with the fleet config's Section, so a mistake is reported the same way: every problem with its key.
Secrets are never in the file: it names the environment variables or files that hold them.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ..config import Problems, Section
from ..config.reader import LABEL_VALUE, choice_list, quote
from ..observability.signals import SIGNALS

WINDOW = re.compile(r"^\d+[smh]$")
DURATION = re.compile(r"^(\d+)(ms|s|m|h)$")
SECONDS = {"ms": 0.001, "s": 1, "m": 60, "h": 3600}
PERCENTILES = (50, 95, 99)
HEADER_NAME = re.compile(r"^[A-Za-z0-9-]+$")


@dataclass(frozen=True)
class Thresholds:
    min_requests: int
    """Canary requests per cluster and window below which a check fails (too little traffic to judge).
    Default: 100."""
    max_error_rate: float
    """Highest failed fraction of the canary's responses, received or seen by callers, 0 to 1. Default: 0.01."""
    latency_percentile: int
    """50, 95 or 99. Default: 99."""
    max_latency_ratio: float | None
    """Highest canary/stable ratio of that percentile. Default: 1.5 unless maxLatencyMs is set."""
    max_latency_ms: float | None
    """Highest absolute latency of that percentile. Default: none."""
    min_latency_difference_ms: float = 50.0
    """The ratio fails only when the canary is also this much slower (coarse buckets jump by tens of ms)."""


@dataclass(frozen=True)
class Analysis:
    interval_seconds: float
    """Time between two checks (Flagger's `interval`). Default: 1m."""
    checks: int
    """Checks per step before the canary advances (Flagger's `iterations`). Default: 5."""
    threshold: int
    """Failed checks, over the whole rollout, that roll it back (Flagger's `threshold`). Default: 2."""
    readiness: bool
    """Check the canary Deployment's available replicas (kube-state-metrics) in every cluster. Default: true."""
    post_promotion: bool = False
    """Analyse the canary once it takes all traffic (Argo Rollouts' `postPromotionAnalysis`): the step that
    reaches 100 switches (the stable version keeps running, without traffic), and `checks` more checks then
    promote or roll back. Default: false (reaching 100 promotes at once)."""


@dataclass(frozen=True)
class Recording:
    attempts: int
    """Tries of each `pulumi up` that records a decision. Default: 3."""
    delay_seconds: float
    """Wait between two tries. Default: 10s."""


@dataclass(frozen=True)
class PrometheusAuth:
    bearer_token_env: str | None = None
    bearer_token_file: str | None = None
    username: str | None = None
    password_env: str | None = None
    password_file: str | None = None
    ca_file: str | None = None
    headers: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class CanarySettings:
    mesh: str
    prometheus: str
    """Base URL of the Prometheus HTTP API, e.g. http://prometheus.monitoring:9090."""
    auth: PrometheusAuth
    service: str
    """The pods' `app` label."""
    namespace: str
    stable: str
    """The stable version's `version` label."""
    canary: str
    canary_deployment: str
    """The canary's Deployment, whose available replicas the readiness check reads. Default: <service>-<canary>."""
    clusters: tuple[str, ...] | None
    """Clusters that serve the canary, each judged on its own. Default: the app stack's `clusters` output."""
    window: str
    """PromQL range of each query. Default: 5m."""
    stack: str
    """The app's Pulumi stack (`org/project/stack`)."""
    steps: tuple[int, ...]
    """Weights the canary moves through; the last is 100 (promotion). Default: 10, 50, 100."""
    analysis: Analysis
    thresholds: Thresholds
    recording: Recording

    @property
    def labels(self) -> dict[str, str]:
        return {"namespace": self.namespace, "app": self.service}


def seconds(value: str) -> float:
    found = DURATION.match(value)
    assert found, value
    return int(found[1]) * SECONDS[found[2]]


KEYS = [
    "mesh",
    "prometheus",
    "prometheusAuth",
    "service",
    "namespace",
    "stableVersion",
    "canaryVersion",
    "canaryDeployment",
    "clusters",
    "window",
    "stack",
    "steps",
    "analysis",
    "thresholds",
    "record",
]


def parse_settings(raw: object, problems: Problems, *, prometheus: str | None = None) -> CanarySettings | None:
    s = Section(raw, "canary", problems)
    s.reject_unknown([*KEYS, "weightKey"])
    if "weightKey" in s.raw:
        s.problem("weightKey", "is gone: the gate records its decisions in the app stack's `canary` output (docs/app-teams.md)")
    mesh = s.choice("mesh", tuple(SIGNALS), required=True)
    url = prometheus or s.string("prometheus", required="the Prometheus base URL, e.g. 'http://prometheus.monitoring:9090'")
    if url is not None and not url.startswith(("http://", "https://")):
        s.problem("prometheus", f"{quote(redact_url(url))} is not an http:// or https:// URL")
    auth = _auth(s.section("prometheusAuth"))
    service = _label(s, "service", "the service's `app` pod label, e.g. 'shop'")
    namespace = _label(s, "namespace", "the service's namespace")
    stable = _label(s, "stableVersion", "the stable pods' `version` label, e.g. 'v1'")
    canary = _label(s, "canaryVersion", "the canary pods' `version` label, e.g. 'v2'")
    if stable and stable == canary:
        s.problem("canaryVersion", f"{quote(canary)} is also the stableVersion; the canary is compared with a different version")
    deployment = s.string("canaryDeployment")
    clusters = s.strings("clusters") if "clusters" in s.raw else ()
    for cluster in clusters or ():
        if not LABEL_VALUE.match(cluster):
            s.problem("clusters", f"{quote(cluster)} is not a label value")
    window = s.string("window", "5m")
    if window is not None and not WINDOW.match(window):
        s.problem("window", f"{quote(window)} is not a duration such as '5m', '30s' or '1h'")
    stack = s.string("stack", required="the app's stack, e.g. 'acme/shop/prod'")
    steps = _steps(s)
    analysis = _analysis(s.section("analysis"))
    thresholds = _thresholds(s.section("thresholds"))
    recording = _recording(s.section("record"))
    if problems.items:
        return None
    assert mesh and url and auth and service and namespace and stable and canary and window and stack and steps
    assert analysis and thresholds and recording
    return CanarySettings(
        mesh=mesh,
        prometheus=url.rstrip("/"),
        auth=auth,
        service=service,
        namespace=namespace,
        stable=stable,
        canary=canary,
        canary_deployment=deployment or f"{service}-{canary}",
        clusters=tuple(clusters) if clusters else None,
        window=window,
        stack=stack,
        steps=steps,
        analysis=analysis,
        thresholds=thresholds,
        recording=recording,
    )


def redact_url(url: str) -> str:
    """The URL without the password (or token) of its user info: safe to print."""
    scheme, sep, rest = url.partition("://")
    if not sep or "@" not in rest.split("/", 1)[0]:
        return url
    userinfo, _, host = rest.partition("@")
    return f"{scheme}://{userinfo.split(':', 1)[0]}:***@{host}"


def _label(s: Section, name: str, required: str | None) -> str | None:
    value = s.string(name, required=required)
    if value is not None and not LABEL_VALUE.match(value):
        s.problem(name, f"{quote(value)} is not a Kubernetes label value (letters, digits, '-', '_', '.', at most 63)")
        return None
    return value


def _duration(s: Section, name: str, default: str, *, allow_zero: bool) -> float | None:
    value = s.string(name, default)
    found = DURATION.match(value) if value is not None else None
    if value is None or not found or (not allow_zero and int(found[1]) == 0):
        s.problem(name, f"{quote(value)} is not a duration such as '30s', '1m' or '500ms'")
        return None
    return seconds(value)


def _auth(s: Section) -> PrometheusAuth | None:
    s.reject_unknown(["bearerTokenEnv", "bearerTokenFile", "basicAuth", "caFile", "headers"])
    before = len(s.problems.items)
    token_env, token_file = s.string("bearerTokenEnv"), s.string("bearerTokenFile")
    basic = s.section("basicAuth")
    basic.reject_unknown(["username", "passwordEnv", "passwordFile"])
    username = basic.string("username", required="the user name" if basic.raw else None)
    password_env, password_file = basic.string("passwordEnv"), basic.string("passwordFile")
    if basic.raw and (password_env is None) == (password_file is None):
        basic.problem("passwordEnv", "give one of passwordEnv (an environment variable) or passwordFile (a file holding it)")
    if token_env and token_file:
        s.problem("bearerTokenFile", "give one of bearerTokenEnv or bearerTokenFile")
    if (token_env or token_file) and basic.raw:
        s.problem("basicAuth", "give a bearer token or basic auth, not both")
    headers: dict[str, str] = {}
    raw_headers: Any = s.raw.get("headers") or {}
    if not isinstance(raw_headers, Mapping):
        s.problem("headers", f"expected a mapping of header names to values, got {quote(raw_headers)}")
    else:
        for name, value in raw_headers.items():
            if not isinstance(name, str) or not HEADER_NAME.match(name) or not isinstance(value, str):
                s.problem("headers", f"{quote(name)}: expected a header name (letters, digits, '-') with a string value")
            elif name.lower() == "authorization":
                s.problem("headers", "Authorization is not a plain header here: use bearerTokenEnv/File or basicAuth (never in the file)")
            else:
                headers[name] = value
    if len(s.problems.items) > before:
        return None
    return PrometheusAuth(token_env, token_file, username, password_env, password_file, s.string("caFile"), headers)


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


def _analysis(s: Section) -> Analysis | None:
    s.reject_unknown(["interval", "checks", "threshold", "readiness", "postPromotion"])
    before = len(s.problems.items)
    interval = _duration(s, "interval", "1m", allow_zero=True)
    checks = s.integer("checks", 5, minimum=1, maximum=100)
    threshold = s.integer("threshold", 2, minimum=1, maximum=100)
    readiness = s.boolean("readiness", True)
    post_promotion = s.boolean("postPromotion", False)
    if len(s.problems.items) > before:
        return None
    assert interval is not None and checks and threshold
    return Analysis(interval, checks, threshold, readiness, bool(post_promotion))


def _recording(s: Section) -> Recording | None:
    s.reject_unknown(["attempts", "delay"])
    before = len(s.problems.items)
    attempts = s.integer("attempts", 3, minimum=1, maximum=10)
    delay = _duration(s, "delay", "10s", allow_zero=True)
    if len(s.problems.items) > before:
        return None
    assert attempts and delay is not None
    return Recording(attempts, delay)


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
    s.reject_unknown(["minRequests", "maxErrorRate", "latencyPercentile", "maxLatencyRatio", "maxLatencyMs", "minLatencyDifferenceMs"])
    before = len(s.problems.items)
    min_requests = s.integer("minRequests", 100, minimum=1, maximum=10_000_000)
    error_rate = _number(s, "maxErrorRate", minimum=0, maximum=1)
    percentile: Any = s.raw.get("latencyPercentile", 99)
    if percentile not in PERCENTILES or isinstance(percentile, bool):
        s.problem("latencyPercentile", f"{quote(percentile)} is not supported; use one of {choice_list(PERCENTILES)}")
    ratio = _number(s, "maxLatencyRatio", minimum=1, maximum=None)
    absolute = _number(s, "maxLatencyMs", minimum=0, maximum=None)
    difference = _number(s, "minLatencyDifferenceMs", minimum=0, maximum=None)
    if len(s.problems.items) > before:
        return None
    return Thresholds(
        min_requests=min_requests or 100,
        max_error_rate=0.01 if error_rate is None else error_rate,
        latency_percentile=int(percentile),
        max_latency_ratio=1.5 if ratio is None and absolute is None else ratio,
        max_latency_ms=absolute,
        min_latency_difference_ms=50.0 if difference is None else difference,
    )
