"""Canaries gated by metrics: read the canary's and the stable version's golden signals from Prometheus,
then advance, promote or roll back the app stack's canary weight (docs/app-teams.md)."""

from .command import add_arguments, main, run
from .gate import Decision, Verdict, decide, run_gate

__all__ = ["Decision", "Verdict", "add_arguments", "decide", "main", "run", "run_gate"]
