"""Canaries gated by metrics: analyse the canary against the stable version on Prometheus' numbers, cluster
by cluster, and record each decision in the app stack's own output, which its next deployment continues
from (docs/app-teams.md). The program side, what an app program deploys for a position, is
meshfleet_appteam.rollout (appteam/), which app teams install without the fleet."""

from meshfleet_appteam.rollout import RolloutIntent, RolloutPosition, rollout_position

from .command import add_arguments, main, run
from .gate import EXIT_CODES, Decision, Outcome, run_gate

__all__ = [
    "EXIT_CODES",
    "Decision",
    "Outcome",
    "RolloutIntent",
    "RolloutPosition",
    "add_arguments",
    "main",
    "rollout_position",
    "run",
    "run_gate",
]
