"""The command line of the canary gate; `main(argv)` is what a `meshfleet canary` subcommand calls."""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Sequence
from typing import TextIO

import yaml

from ..config import Problems
from .gate import BAD_INPUT_EXIT, EXIT_CODES, NOT_RECORDED_EXIT, run_gate
from .prometheus import Prometheus
from .settings import CanarySettings, parse_settings, redact_url
from .state import DECISION_ENV, AppStack

PULUMI_ENV = "MESHFLEET_PULUMI"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--config", required=True, help="the canary's YAML file (docs/app-teams.md, 'Metrics-gated canaries')")
    parser.add_argument("--prometheus", help="Prometheus base URL; overrides the file's `prometheus`")
    parser.add_argument("--cwd", help="directory of the app's Pulumi project (default: the current one)")
    parser.add_argument(
        "--all-steps", action="store_true", help="run every remaining step in this invocation (default: the current step only)"
    )
    parser.add_argument(
        "--pulumi", default=os.environ.get(PULUMI_ENV, "pulumi"), help=f"the pulumi binary (default: ${PULUMI_ENV} or `pulumi`)"
    )


def parser() -> argparse.ArgumentParser:
    found = argparse.ArgumentParser(
        prog="meshfleet canary",
        description="Analyse a canary on Prometheus metrics, cluster by cluster, and record the decision in the app stack.",
        epilog=EXIT_CODES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_arguments(found)
    return found


def main(argv: Sequence[str], out: TextIO = sys.stdout, err: TextIO = sys.stderr) -> int:
    return run(parser().parse_args(argv), out, err)


def run(args: argparse.Namespace, out: TextIO = sys.stdout, err: TextIO = sys.stderr) -> int:
    try:
        settings = load(args.config, args.prometheus)
        prometheus = Prometheus(settings.prometheus, settings.auth)
        stack = AppStack(settings.stack, args.pulumi, args.cwd)
        print(
            f"canary {settings.service}.{settings.namespace} {settings.canary} vs {settings.stable} on {settings.mesh} "
            f"({redact_url(settings.prometheus)})",
            file=out,
        )
        outcome = run_gate(settings, prometheus, stack, out, all_steps=args.all_steps)
    except ValueError as error:  # bad settings, credentials or app stack state: nothing decided
        print(f"meshfleet canary: {error}", file=err)
        return BAD_INPUT_EXIT
    if outcome.not_recorded:
        for line in outcome.not_recorded:
            print(f"  {line}", file=out)
        print(
            f"meshfleet canary: {outcome.decision.name.lower()} to weight {outcome.weight} was decided but NOT recorded "
            f"after {len(outcome.not_recorded)} tries; apply it: {DECISION_ENV}='{json.dumps(outcome.decision_record, sort_keys=True)}' "
            f"{' '.join(stack.up_command())}",
            file=err,
        )
        return NOT_RECORDED_EXIT
    return outcome.decision.exit_code


def load(path: str, prometheus: str | None) -> CanarySettings:
    try:
        with open(path, encoding="utf-8") as handle:
            raw = yaml.safe_load(handle)
    except OSError as error:
        raise ValueError(f"cannot read {path}: {error.strerror}") from None
    except yaml.YAMLError as error:
        raise ValueError(f"{path} is not YAML: {str(error).splitlines()[0]}") from None
    problems = Problems()
    settings = parse_settings(raw, problems, prometheus=prometheus)
    if settings is None:
        raise ValueError(f"{path}: " + "; ".join(str(p) for p in problems.items))
    return settings
