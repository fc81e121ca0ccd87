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
import textwrap
from collections.abc import Sequence

from . import __version__, canary
from .simulation.plan import build_plan, render_plan
from .simulation.policy_check import (
    CHECK_EXAMPLES,
    UsageError,
    add_check_arguments,
    add_stack_arguments,
    check,
    run_stack,
    stack_run,
)
from .simulation.progress import Progress

PREVIEW_EXAMPLES = """examples:
  meshfleet preview --stack prod               Pulumi.prod.yaml (current directory first, then the checkout)
  meshfleet preview --stack dev --simulate-kubeconfig   without the kind clusters' kubeconfig
  meshfleet preview --config-file examples/stacks/Pulumi.linkerd.yaml   stack 'linkerd', from the file's name
  meshfleet preview --stack prod --state prod.json   against the last deployment (`pulumi stack export --file prod.json`)
  meshfleet preview --stack prod --secret-file meshfleet:root-2027-cert=root.pem   when trust.roots names that key

exit codes: 0 planned, 2 bad input (every configuration problem listed, with its key)"""

CANARY_EXAMPLES = """examples:
  meshfleet canary --config canary.yaml        one step: advance, promote, hold or roll back
  meshfleet canary --config canary.yaml --prometheus http://127.0.0.1:9090 --cwd examples/app-team

exit codes: 0 advanced, 4 promoted (weight 100), 1 rolled back (weight 0), 3 hold (too little traffic to judge), 2 bad input"""


def preview(args: argparse.Namespace) -> int:
    run = stack_run(args)
    against = f"against the state in {args.state}" if run.previous is not None else "as a first `pulumi preview` shows it"
    print(run.header("preview", against))
    progress = Progress(run.clusters)
    progress.stage(f"running the program for stack {run.stack!r} ({len(progress.clusters)} clusters)")
    sim = run_stack(run, preview=True, progress=progress.planned)
    progress.stage(f"{len(sim.resources)} resources planned; drawing the plan")
    clusters = sim.exports.get("clusters") or {}
    print("\n".join(render_plan(build_plan(sim, list(clusters), run.previous), clusters)))
    return 0


def _command(commands: argparse._SubParsersAction, name: str, summary: str, description: str, examples: str) -> argparse.ArgumentParser:  # type: ignore[type-arg]
    return commands.add_parser(  # type: ignore[no-any-return]
        name,
        help=summary,
        description=textwrap.fill(description, 100),  # the raw formatter keeps the examples' columns, and would not wrap this
        epilog=examples,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="meshfleet",
        description=(__doc__ or "").split("\n\n")[0],
        epilog="Run `meshfleet <command> --help` for a command's options and examples.",
    )
    parser.add_argument("--version", action="version", version=f"meshfleet {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="{preview,check,canary}")
    plan = _command(
        commands,
        "preview",
        "the offline plan of a stack: components and resources per cluster, counts, unknowns",
        "Run the program (__main__.py) for a stack under Pulumi's mock runtime and print what a first `pulumi preview` "
        "would show, per cluster: what is created (+) and read (>), the counts, and the values only `pulumi up` can know; "
        "with --state, what changes against the stack's last deployment. "
        "No Pulumi CLI, cloud account or cluster is used. Progress goes to stderr, the plan to stdout.",
        PREVIEW_EXAMPLES,
    )
    add_stack_arguments(plan)
    plan.set_defaults(run=preview)
    policy = _command(
        commands,
        "check",
        "the policy pack against what the stack would create, without credentials",
        "Run the program for a stack under the mock runtime and evaluate the CrossGuard policy pack (policies/) against "
        "every resource, as the Pulumi engine would: each violation with its policy, level and resource. Progress goes "
        "to stderr.",
        CHECK_EXAMPLES,
    )
    add_stack_arguments(policy)
    add_check_arguments(policy)
    policy.set_defaults(run=check)
    gate = _command(
        commands,
        "canary",
        "advance, promote or roll back a canary on Prometheus metrics (exit 0 advance, 4 promote, 1 roll back, 3 hold)",
        "One step of a metrics-gated canary (docs/app-teams.md, 'Metrics-gated canaries'): read the canary's and the "
        "stable version's success rate and latency from Prometheus, then write the app stack's canary weight with "
        "`pulumi config set`.",
        CANARY_EXAMPLES,
    )
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
