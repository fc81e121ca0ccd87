"""The `meshfleet` command (a console script of the package): the main job on a machine without
credentials.

    meshfleet preview --stack prod    the offline plan of a stack, as a first `pulumi preview` shows it
    meshfleet preview --stack prod --state prod.json   the same against the stack's last deployment
                                      (`pulumi stack export --file prod.json`): creates, updates, replaces, deletes
    meshfleet check --stack prod      the policy pack against what the stack would create (`--state` too)
    meshfleet canary --config canary.yaml   one step of a metrics-gated canary (components/canary)

`preview` and `check` run the real program (`__main__.py`) under the mock runtime (components/simulation);
`canary` reads Prometheus and writes the app stack's canary weight with `pulumi config set`. Bad input
prints one line and exits 2.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from . import canary
from .simulation.plan import build_plan, render_plan
from .simulation.policy_check import UsageError, add_check_arguments, add_stack_arguments, check, run_stack, stack_run

PROGRESS_EVERY = 50
"""Resources between two progress lines: a 30-cluster fleet registers about 2,000."""


def _progress(count: int) -> None:
    if count % PROGRESS_EVERY == 0:
        print(f"  ... {count} resources planned", file=sys.stderr, flush=True)


def preview(args: argparse.Namespace) -> int:
    run = stack_run(args)
    against = f"against the state in {args.state}" if run.previous is not None else "as a first `pulumi preview` shows it"
    print(f"meshfleet preview: {run.config_file.name} as stack {run.stack!r}, {against}; no credentials used")
    sim = run_stack(run, preview=True, progress=_progress)
    clusters = sim.exports.get("clusters") or {}
    print("\n".join(render_plan(build_plan(sim, list(clusters), run.previous), clusters)))
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="meshfleet", description=(__doc__ or "").split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True, metavar="{preview,check,canary}")
    plan = commands.add_parser("preview", help="the offline plan of a stack: components and resources per cluster, counts, unknowns")
    add_stack_arguments(plan)
    plan.set_defaults(run=preview)
    policy = commands.add_parser("check", help="the policy pack against what the stack would create, without credentials")
    add_stack_arguments(policy)
    add_check_arguments(policy)
    policy.set_defaults(run=check)
    gate = commands.add_parser("canary", help="advance, promote or roll back a canary on Prometheus metrics (exit 0, 4, 1; 3 hold)")
    canary.add_arguments(gate)
    gate.set_defaults(run=canary.run)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return int(args.run(args))
    except UsageError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    raise SystemExit(main())
