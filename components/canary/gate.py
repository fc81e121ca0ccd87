"""The canary analysis and decision, like Flagger's: each step runs `checks` checks `interval` apart; a
check fails when any cluster serving the canary fails any of its tests (no data, a query error and an
unready canary are failures); `threshold` failed checks over the rollout roll it back; a step whose checks
pass advances (the last one promotes). Every decision is recorded in the app stack before the next step.

With `analysis.postPromotion` (Argo Rollouts' post-promotion analysis), reaching 100 is a switch, not a
promotion: the canary takes all traffic while the stable version keeps running without any, and the
checks at 100 decide: pass promotes (the canary's image becomes the stable's, the canary scales to zero),
failure rolls back (all traffic to the stable version that never stopped, the canary scaled to zero).

Pure apart from the objects it is given (a Prometheus to query, the app stack to read and record, a
sleep), so `python -m components.canary` and `meshfleet canary` share it and tests drive it for real.
"""

from __future__ import annotations

import enum
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, TextIO

from ..observability.signals import SIGNALS
from .prometheus import Prometheus, PrometheusError
from .settings import CanarySettings
from .state import AppStack, NotRecorded, Rollout


class Decision(enum.Enum):
    ADVANCE = 0
    """Every check of the step passed: the weight moved to the next step (recorded); with
    `analysis.postPromotion`, to 100 as a switch the next checks analyse."""
    ROLLBACK = 1
    """`threshold` checks failed: everything on the stable version, the canary scaled to zero (recorded)."""
    PROMOTE = 4
    """Every check of the last step before 100 passed (with `analysis.postPromotion`: every check at 100,
    after the switch): the canary is the new stable (recorded)."""

    @property
    def exit_code(self) -> int:
        return self.value


BAD_INPUT_EXIT = 2
NOT_RECORDED_EXIT = 5
EXIT_CODES = """exit codes:
  0  advanced: the next step's weight is recorded (run again for the next step, or use --all-steps);
     with analysis.postPromotion, weight 100 is the switch: all traffic on the canary, the stable still
     running, and the next run's checks promote or roll back
  4  promoted: the canary is recorded as the new stable (after the post-promotion checks, when asked)
  1  rolled back: recorded; all traffic on the stable version, the canary scaled to zero
  5  decided but NOT recorded after every try: the decision and its evidence are printed; apply it by hand
  2  bad input: a config problem, unreadable credentials or app stack, or no canary in progress; nothing changed"""


@dataclass(frozen=True)
class Test:
    cluster: str
    name: str
    value: float | None
    ok: bool
    detail: str

    def line(self) -> str:
        return f"{'ok' if self.ok else 'FAILED'}: {self.cluster}: {self.name} {self.detail}"


@dataclass
class Check:
    """One check: every test in every cluster, at one moment."""

    weight: int
    tests: list[Test] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    @property
    def failed(self) -> bool:
        return bool(self.errors) or any(not t.ok for t in self.tests)


def _show(value: float | None) -> str:
    return "no data" if value is None else f"{value:.6g}"


def queries(settings: CanarySettings) -> dict[str, str]:
    """Every query of a check, each summed by cluster."""
    signals = SIGNALS[settings.mesh]
    t = settings.thresholds
    window, by = settings.window, "cluster"
    canary = {**settings.labels, "version": settings.canary}
    stable = {**settings.labels, "version": settings.stable}
    found = {
        "canary requests": signals.request_count(canary, window, by),
        "canary error rate": signals.error_ratio(canary, window, by),
        "callers' error rate to the canary": signals.caller_error_ratio(
            settings.service, settings.namespace, settings.canary, settings.canary_deployment, window, by
        ),
        f"canary p{t.latency_percentile} latency ms": signals.latency_quantile(t.latency_percentile / 100, canary, window, by),
        f"stable p{t.latency_percentile} latency ms": signals.latency_quantile(t.latency_percentile / 100, stable, window, by),
    }
    if settings.analysis.readiness:
        # kube-state-metrics' series of the canary Deployment, labelled with its cluster like the proxies'.
        found["canary available replicas"] = (
            f'sum by (cluster) (kube_deployment_status_replicas_available{{namespace="{settings.namespace}", '
            f'deployment="{settings.canary_deployment}"}})'
        )
    return found


def cluster_tests(settings: CanarySettings, cluster: str, values: Mapping[str, float | None]) -> list[Test]:
    t = settings.thresholds
    latency = f"p{t.latency_percentile} latency ms"
    tests = []
    if settings.analysis.readiness:
        ready = values["canary available replicas"]
        tests.append(Test(cluster, "canary available replicas", ready, bool(ready), f"{_show(ready)} (needs 1 or more)"))
    requests, errors = values["canary requests"], values["canary error rate"]
    enough = requests is not None and requests >= t.min_requests
    tests.append(
        Test(cluster, "canary requests", requests, enough, f"{_show(requests)} ({'>=' if enough else '<'} minRequests {t.min_requests})")
    )
    bad = errors is None or errors > t.max_error_rate
    tests.append(Test(cluster, "canary error rate", errors, not bad, f"{_show(errors)} ({'>' if bad else '<='} {t.max_error_rate:g})"))
    callers = values["callers' error rate to the canary"]
    bad = callers is not None and callers > t.max_error_rate
    seen = "no callers seen" if callers is None else f"{'>' if bad else '<='} {t.max_error_rate:g}"
    tests.append(Test(cluster, "callers' error rate to the canary", callers, not bad, f"{_show(callers)} ({seen})"))
    canary, stable = values[f"canary {latency}"], values[f"stable {latency}"]
    if canary is None:
        tests.append(Test(cluster, f"canary {latency}", None, False, "no data (no latency histogram of the canary)"))
        return tests
    if t.max_latency_ms is not None:
        bad = canary > t.max_latency_ms
        tests.append(
            Test(
                cluster, f"canary {latency}", canary, not bad, f"{_show(canary)} ({'>' if bad else '<='} maxLatencyMs {t.max_latency_ms:g})"
            )
        )
    if t.max_latency_ratio is not None:
        if stable is None:
            tests.append(Test(cluster, f"canary/stable {latency}", None, True, "not compared: no stable latency in this cluster"))
        else:
            ratio = canary / stable if stable > 0 else float("inf")
            difference = canary - stable
            bad = ratio > t.max_latency_ratio and difference > t.min_latency_difference_ms
            detail = (
                f"{_show(ratio)} ({_show(canary)} vs {_show(stable)}; fails above {t.max_latency_ratio:g} "
                f"when also {t.min_latency_difference_ms:g} ms slower)"
            )
            tests.append(Test(cluster, f"canary/stable {latency}", ratio, not bad, detail))
    return tests


def check(settings: CanarySettings, prometheus: Prometheus, clusters: tuple[str, ...], weight: int) -> Check:
    result = Check(weight)
    answers: dict[str, dict[str, float]] = {}
    for name, query in queries(settings).items():
        try:
            answers[name] = prometheus.by_cluster(query)
        except PrometheusError as error:
            result.errors.append(f"{name}: {error}")
    if result.errors:
        return result
    for cluster in clusters:
        values = {name: answer.get(cluster) for name, answer in answers.items()}
        result.tests += cluster_tests(settings, cluster, values)
    return result


@dataclass
class Outcome:
    decision: Decision
    weight: int
    """The weight recorded (or to record, when `not_recorded`)."""
    decision_record: dict[str, Any]
    not_recorded: list[str] = field(default_factory=list)


def run_gate(
    settings: CanarySettings,
    prometheus: Prometheus,
    stack: AppStack,
    out: TextIO,
    *,
    all_steps: bool = False,
    sleep: Callable[[float], None] = time.sleep,
) -> Outcome:
    """Analyse the current step (all remaining steps with `all_steps`), recording each decision.

    Bounded: at most `checks` checks per step, `interval` apart, and `record.attempts` tries per record."""
    rollout: Rollout = stack.read()
    clusters = settings.clusters or rollout.clusters
    if not clusters:
        raise ValueError(f"stack {settings.stack} publishes no `clusters` output and the file names no `clusters` to judge")
    analysis = settings.analysis
    print(f"clusters judged on their own: {', '.join(clusters)}", file=out)
    for name, query in queries(settings).items():
        print(f"query ({name}): {query}", file=out)
    weight, failed = rollout.weight, rollout.failed_checks
    while True:
        decision: Decision | None = None
        new_weight = 0
        for index in range(1, analysis.checks + 1):
            sleep(analysis.interval_seconds)
            result = check(settings, prometheus, clusters, weight)
            failed += int(result.failed)
            verdict = "FAILED" if result.failed else "passed"
            print(f"check {index}/{analysis.checks} at weight {weight}: {verdict} (failed checks {failed}/{analysis.threshold})", file=out)
            for line in result.errors + [t.line() for t in result.tests if not t.ok or not result.failed]:
                print(f"  {line}", file=out)
            if failed >= analysis.threshold:
                decision = Decision.ROLLBACK
                break
        if decision is None:
            new_weight = next((step for step in settings.steps if step > weight), 100)
            # At 100 the switch's post-promotion checks passed; before it, reaching 100 switches when asked.
            switch = new_weight == 100 and weight < 100 and analysis.post_promotion
            decision = Decision.PROMOTE if new_weight == 100 and not switch else Decision.ADVANCE
        phase = {Decision.ROLLBACK: "rolled-back", Decision.PROMOTE: "promoted", Decision.ADVANCE: "progressing"}[decision]
        record = {"phase": phase, "weight": new_weight, "failedChecks": failed, "canaryImage": rollout.canary_image}
        print(f"decision: {decision.name.lower()} (canary weight {weight} -> {new_weight}, failed checks {failed})", file=out)
        if decision is Decision.ADVANCE and new_weight == 100:
            print("switched: all traffic on the canary, the stable version still running; the post-promotion checks decide next", file=out)
        try:
            stack.record(record, settings.recording.attempts, settings.recording.delay_seconds, sleep)
        except NotRecorded as error:
            return Outcome(decision, new_weight, record, error.attempts)
        print(f"recorded: {' '.join(stack.up_command())} (stack output `canary`: {phase}, weight {new_weight})", file=out)
        if decision is not Decision.ADVANCE or not all_steps:
            return Outcome(decision, new_weight, record)
        weight = new_weight
