"""The canary decision: compare the canary with the stable version on Prometheus' numbers, then advance,
promote, roll back or hold, and say why.

Pure apart from the two objects it is given (a Prometheus to query, a stack config to write), so the
same function serves `python -m components.canary` and a `meshfleet canary` command.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field

from ..observability.signals import SIGNALS
from .prometheus import Prometheus
from .pulumi_config import StackConfig
from .settings import CanarySettings


class Decision(enum.Enum):
    ADVANCE = 0
    """Healthy: the weight moves to the next step."""
    ROLLBACK = 1
    """Unhealthy: the weight goes back to 0."""
    HOLD = 3
    """Too little traffic to judge: nothing changes; run again later."""
    PROMOTE = 4
    """Healthy before the last step: the weight goes to 100."""

    @property
    def exit_code(self) -> int:
        return self.value


BAD_INPUT_EXIT = 2


@dataclass(frozen=True)
class Measurement:
    name: str
    query: str
    value: float | None


@dataclass
class Verdict:
    decision: Decision
    current_weight: int
    new_weight: int | None
    measurements: list[Measurement] = field(default_factory=list)
    reasons: list[str] = field(default_factory=list)

    def evidence(self) -> list[str]:
        lines = [f"{m.name}: {_show(m.value)}\n    query: {m.query}" for m in self.measurements]
        lines += self.reasons
        change = f"{self.current_weight} -> {self.new_weight}" if self.new_weight is not None else f"stays {self.current_weight}"
        lines.append(f"decision: {self.decision.name.lower()} (canary weight {change})")
        return lines


def _show(value: float | None) -> str:
    return "no data" if value is None else f"{value:.6g}"


def measure(settings: CanarySettings, prometheus: Prometheus) -> list[Measurement]:
    signals = SIGNALS[settings.mesh]
    quantile = settings.thresholds.latency_percentile / 100
    found = []
    for role, version in (("canary", settings.canary), ("stable", settings.stable)):
        labels = {**settings.labels, "version": version}
        queries = {
            f"{role} requests": signals.request_count(labels, settings.window),
            f"{role} error rate": signals.error_ratio(labels, settings.window),
            f"{role} p{settings.thresholds.latency_percentile} latency ms": signals.latency_quantile(quantile, labels, settings.window),
        }
        found += [Measurement(name, query, prometheus.scalar(query)) for name, query in queries.items()]
    return found


def decide(settings: CanarySettings, current_weight: int, measurements: list[Measurement]) -> Verdict:
    values = {m.name: m.value for m in measurements}
    t = settings.thresholds
    latency = f"p{t.latency_percentile} latency ms"
    verdict = Verdict(Decision.HOLD, current_weight, None, measurements)
    requests = values["canary requests"] or 0.0
    if requests < t.min_requests:
        verdict.reasons.append(f"canary requests {requests:.0f} < minRequests {t.min_requests}: too little traffic to judge")
        return verdict
    checks: list[tuple[str, float | None, float]] = [("canary error rate", values["canary error rate"], t.max_error_rate)]
    canary_latency, stable_latency = values[f"canary {latency}"], values[f"stable {latency}"]
    if t.max_latency_ms is not None:
        checks.append((f"canary {latency} (maxLatencyMs)", canary_latency, t.max_latency_ms))
    if t.max_latency_ratio is not None:
        if canary_latency is None or not stable_latency:
            verdict.reasons.append(f"canary/stable {latency}: no data on one side, so they cannot be compared")
            return verdict
        checks.append((f"canary/stable {latency} (maxLatencyRatio)", canary_latency / stable_latency, t.max_latency_ratio))
    failed = False
    for name, value, limit in checks:
        bad = value is not None and value > limit
        failed = failed or bad
        verdict.reasons.append(f"{'FAILED' if bad else 'ok'}: {name} {_show(value)} {'>' if bad else '<='} {limit:g}")
    if failed:
        verdict.decision, verdict.new_weight = Decision.ROLLBACK, 0
        return verdict
    verdict.new_weight = next(step for step in settings.steps if step > current_weight)
    verdict.decision = Decision.PROMOTE if verdict.new_weight == 100 else Decision.ADVANCE
    return verdict


def run_gate(settings: CanarySettings, prometheus: Prometheus, stack: StackConfig) -> Verdict:
    """Read the weight, measure, decide, and write the new weight (unless holding)."""
    raw = stack.get(settings.weight_key)
    try:
        current = int(raw)
    except ValueError:
        raise ValueError(f"{settings.weight_key} of stack {settings.stack} is {raw!r}, not a whole percentage") from None
    if not 0 < current < 100:
        raise ValueError(
            f"{settings.weight_key} of stack {settings.stack} is {current}: no canary in progress to gate (it runs between 1 and 99)"
        )
    verdict = decide(settings, current, measure(settings, prometheus))
    if verdict.new_weight is not None:
        stack.set(settings.weight_key, str(verdict.new_weight))
    return verdict
