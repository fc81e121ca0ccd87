"""The command line of the canary gate; `main(argv)` is what a `meshfleet canary` subcommand calls."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from typing import TextIO

import yaml

from ..config import Problems
from .gate import BAD_INPUT_EXIT, run_gate
from .prometheus import Prometheus, PrometheusError
from .pulumi_config import PulumiConfigError, StackConfig
from .settings import CanarySettings, parse_settings

PULUMI_ENV = "MESHFLEET_PULUMI"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--config", required=True, help="the canary's YAML file (docs/app-teams.md, 'Metrics-gated canaries')")
    parser.add_argument("--prometheus", help="Prometheus base URL; overrides the file's `prometheus`")
    parser.add_argument("--cwd", help="directory of the app's Pulumi project (default: the current one)")
    parser.add_argument(
        "--pulumi", default=os.environ.get(PULUMI_ENV, "pulumi"), help=f"the pulumi binary (default: ${PULUMI_ENV} or `pulumi`)"
    )


def main(argv: Sequence[str], out: TextIO = sys.stdout, err: TextIO = sys.stderr) -> int:
    parser = argparse.ArgumentParser(prog="meshfleet canary", description="Advance, promote or roll back a canary on Prometheus metrics.")
    add_arguments(parser)
    args = parser.parse_args(argv)
    return run(args, out, err)


def run(args: argparse.Namespace, out: TextIO = sys.stdout, err: TextIO = sys.stderr) -> int:
    try:
        settings = load(args.config, args.prometheus)
        stack = StackConfig(settings.stack, args.pulumi, args.cwd)
        verdict = run_gate(settings, Prometheus(settings.prometheus), stack)
    except (ValueError, PrometheusError, PulumiConfigError) as error:
        print(f"meshfleet canary: {error}", file=err)
        return BAD_INPUT_EXIT
    print(
        f"canary {settings.service}.{settings.namespace} {settings.canary} vs {settings.stable} on {settings.mesh} ({settings.prometheus})",
        file=out,
    )
    for line in verdict.evidence():
        print(line, file=out)
    if verdict.new_weight is not None:
        print(f"wrote: {' '.join(stack.command('set', settings.weight_key, str(verdict.new_weight)))}", file=out)
    return verdict.decision.exit_code


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
