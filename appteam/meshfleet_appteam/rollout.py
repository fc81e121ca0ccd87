"""The program side of a gated rollout: where the app's deployment stands, from its intent (config), its
last recorded position (its own `canary` output, read through a self stack reference as the fleet reads
its last deployment) and, when the gate runs the deployment, the gate's decision (MESHFLEET_CANARY_DECISION).

A plain `pulumi up` continues from the recorded position: a promoted canary stays promoted, a rolled-back
one stays rolled back, a step stays reached. A new canary image in config starts a new rollout at the
config's first weight. The position is exported again as `canary`, so the next run finds it. The gate
itself, which runs the deployment with a decision, is the fleet's (`meshfleet canary`, components/canary/).
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pulumi

from .last_deployment import LastDeployment

# Where the position lives, which `meshfleet canary` (the gate, in the fleet's package) reads and decides on:
# the app stack's own output, and the variable the gate's deployments carry its decision in.
OUTPUT = "canary"
DECISION_ENV = "MESHFLEET_CANARY_DECISION"
PHASES = ("progressing", "promoted", "rolled-back")


@dataclass(frozen=True)
class RolloutIntent:
    """What the app's config asks for."""

    stable_image: str
    canary_image: str
    first_weight: int
    """The canary's weight when this canary image is first deployed: 0 deploys it without live traffic (a
    dark phase the gate can analyse: header routes, a mirror), 100 promotes it at once (by hand)."""

    def __post_init__(self) -> None:
        if not 0 <= self.first_weight <= 100:
            raise ValueError(f"canaryWeight {self.first_weight} is not a percentage (0 to 100)")


@dataclass(frozen=True)
class RolloutPosition:
    phase: str
    """`progressing`, `promoted` (the canary's image is the stable one now) or `rolled-back`."""
    weight: int
    """The canary's percent of traffic. 100 while progressing is a switch under post-promotion analysis
    (the gate's `analysis.postPromotion`): the stable version keeps running, without traffic, until the
    gate promotes or rolls back."""
    stable_image: str
    """What the stable version runs: the canary's image once promoted."""
    canary_image: str
    base_image: str
    """The config's stable image when this rollout began: with `canary_image`, which rollout this is."""
    failed_checks: int = 0

    @property
    def canary_serves(self) -> bool:
        """Whether the canary runs and is routable (header routes included): while its rollout progresses,
        at weight 0 too (a dark phase: header-routed or mirrored requests only, as a blue-green preview)."""
        return self.phase == "progressing"

    @property
    def dark(self) -> bool:
        """Running without live traffic: the phase a mirror copies requests into, or a blue-green preview."""
        return self.phase == "progressing" and self.weight == 0

    def weights(self, stable: str, canary: str) -> dict[str, int]:
        return {stable: 100 - self.weight, canary: self.weight} if self.phase == "progressing" else {stable: 100, canary: 0}

    def export(self) -> dict[str, Any]:
        return {
            "phase": self.phase,
            "weight": self.weight,
            "stableImage": self.stable_image,
            "canaryImage": self.canary_image,
            "baseImage": self.base_image,
            "failedChecks": self.failed_checks,
        }


def rollout_position(intent: RolloutIntent, last: Mapping[str, Any] | None, decision: str | None) -> RolloutPosition:
    """Pure: the position this deployment applies. Raises ValueError for a decision about another rollout."""
    same = last is not None and last.get("canaryImage") == intent.canary_image and last.get("baseImage") == intent.stable_image
    if decision:
        try:
            given = json.loads(decision)
            phase, weight, image = given["phase"], int(given["weight"]), given["canaryImage"]
            failed = int(given.get("failedChecks", 0))
        except (ValueError, KeyError, TypeError, AttributeError):
            raise ValueError(f"{DECISION_ENV} is not a gate's decision: {decision[:200]}") from None
        if phase not in PHASES or not 0 <= weight <= 100:
            raise ValueError(f"{DECISION_ENV} is not a gate's decision: {decision[:200]}")
        if image != intent.canary_image:
            raise ValueError(
                f"{DECISION_ENV} decides {phase!r} for canary image {image!r}, but the config's canaryImage is "
                f"{intent.canary_image!r}: the decision is about another rollout; nothing is applied"
            )
        stable = intent.canary_image if phase == "promoted" else intent.stable_image
        return RolloutPosition(phase, weight, stable, intent.canary_image, intent.stable_image, failed)
    if same and last is not None:
        return RolloutPosition(
            str(last["phase"]),
            int(last["weight"]),
            str(last["stableImage"]),
            intent.canary_image,
            intent.stable_image,
            int(last.get("failedChecks", 0)),
        )
    if intent.first_weight == 100:
        return RolloutPosition("promoted", 100, intent.canary_image, intent.canary_image, intent.stable_image)
    return RolloutPosition("progressing", intent.first_weight, intent.stable_image, intent.canary_image, intent.stable_image)


def read_rollout(intent: RolloutIntent, opts: pulumi.ResourceOptions | None = None) -> pulumi.Output[RolloutPosition]:
    """The position, once this stack's last `canary` output is read (none on a first deployment)."""
    last = LastDeployment(opts or pulumi.ResourceOptions()).output(OUTPUT)
    decision = os.environ.get(DECISION_ENV)
    return pulumi.Output.unsecret(last).apply(lambda recorded: rollout_position(intent, recorded, decision))
