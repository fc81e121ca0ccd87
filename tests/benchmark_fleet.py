"""Benchmark: how the program scales with the number of clusters (a script, not a test).

    venv/bin/python -m tests.benchmark_fleet                     # every mesh, 3 10 30 100 clusters, 3 runs each
    venv/bin/python -m tests.benchmark_fleet --sizes 3 10 --runs 1 --meshes istio --no-policy-check

For every mesh this release runs (`components.meshes.AVAILABLE`) and every size it generates a
multi-primary fleet that passes the prod policy pack (two EKS clusters for every GKE cluster, each its
own network, region and address ranges, API access narrowed to the operators and the peers) and runs
the real program under the mock runtime, each run in a fresh process: nothing is cached between sizes
and every size pays for its own garbage. A run reports
- CPU seconds of the evaluation (all threads of the process; other processes on the machine do not
  count, so this is the figure to compare on a shared machine) and its wall seconds;
- the peak resident memory of the process (imports and a three-cluster warm-up included);
- the resources of the stack, each a step of `pulumi up` and each registered by the program, their CPU per
  resource against the SDK's floor (a program that registers only typed Kubernetes Secrets, under the same
  runtime), and the longest chain of resources that wait for one another: a resource waits for its
  `depends_on`, for the resources its inputs come from, and for its provider. A chain that grows with the
  fleet means clusters are built one after another;
- the same registrations replayed (`replay_program`: each recorded resource registered again through its
  typed class from a flat loop, same inputs, secrets, parents, providers and dependencies), its CPU seconds:
  the SDK's floor for exactly this fleet, beyond which the rest is the program's own cost (its Outputs, its
  components' frames in every stack trace);
- a preview against that deployment of the fleet with one cluster more (`previous=`, what
  `meshfleet preview --state` runs): its CPU seconds.
Each figure is the median of the runs. Then the credential-free policy check
(`python -m components.simulation.policy_check`) runs on a 30-cluster fleet of the first mesh, as a
user runs it: CPU of the command and of the policy pack it starts.
"""

from __future__ import annotations

import argparse
import functools
import gc
import json
import os
import platform
import re
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

AWS_REGIONS = ["us-east-1", "us-east-2", "us-west-1", "us-west-2", "eu-west-1", "eu-central-1", "ap-south-1", "ap-northeast-1"]
GCP_REGIONS = ["europe-west1", "europe-west4", "us-central1", "us-east4", "asia-east1", "southamerica-east1"]
SIZES = (3, 10, 30, 100)
OPERATORS = "203.0.113.0/24"
"""Who may reach the API servers besides the peers, as a production fleet narrows it (policy `api-server-not-public`)."""
POLICY_CHECK_SIZE = 30
PROJECT_DIR = Path(__file__).resolve().parents[1]

MeshSettings = Callable[[], dict[str, Any]]
MESHES: dict[str, MeshSettings] = {
    # One entry per mesh: the `mesh.<type>` block a large fleet of it needs, beyond type and version
    # (the version is the mesh's example version). Meshes this release does not run are skipped.
    "istio": lambda: {"istio": {"revisions": [{"name": "1-30-5", "tags": ["default"]}]}},
    "linkerd": dict,
    # Two in three clusters are EKS, which serves no Gateway API CRDs: the chart installs them (docs/consul.md).
    "consul": lambda: {"consul": {"installGatewayApiCrds": True}},
}


def fleet_clusters(count: int) -> list[dict[str, Any]]:
    clusters = []
    for i in range(count):
        if i % 3 == 2:
            region = GCP_REGIONS[i % len(GCP_REGIONS)]
            clusters.append(
                {
                    "name": f"gke-{i:02d}",
                    "cloud": "gcp",
                    "region": region,
                    "zones": [f"{region}-b", f"{region}-c"],
                    "network": f"net-{i:02d}",
                    "create": {
                        "project": "bench",
                        # Each cluster its own 10.x.0.0/16 (EKS: x < 100; GKE: x = 100 + i), so that node
                        # and pod ranges never overlap, as internal east-west gateways need.
                        "subnetCidr": f"10.{100 + i}.0.0/20",
                        "servicesCidr": f"10.{100 + i}.16.0/20",
                        "podsCidr": f"10.{100 + i}.128.0/17",
                        "masterCidr": f"172.16.{i}.0/28",
                        "apiAccessCidrs": [OPERATORS],
                    },
                }
            )
        else:
            region = AWS_REGIONS[i % len(AWS_REGIONS)]
            clusters.append(
                {
                    "name": f"eks-{i:02d}",
                    "cloud": "aws",
                    "region": region,
                    "zones": [f"{region}a", f"{region}b"],
                    "network": f"net-{i:02d}",
                    "create": {"vpcCidr": f"10.{i}.0.0/16", "apiAccessCidrs": [OPERATORS]},
                }
            )
    return clusters


def fleet_config(mesh_type: str, count: int) -> dict[str, Any]:
    from components.meshes import AVAILABLE

    mesh = {"type": mesh_type, "version": AVAILABLE[mesh_type].rules.example_version, "meshId": "bench", **MESHES[mesh_type]()}
    return {"meshfleet:clusters": fleet_clusters(count), "meshfleet:mesh": mesh}


def longest_chain(resources: list[Any]) -> int:
    """Resources on the longest path of resources waiting for one another (dependencies and providers)."""
    from components.simulation.waits import waits_for

    waits = waits_for(resources, providers=True)

    @functools.cache
    def depth(urn: str) -> int:
        return 1 + max((depth(d) for d in waits[urn] if d in waits), default=0)

    sys.setrecursionlimit(max(10_000, sys.getrecursionlimit()))
    return max(depth(r.urn) for r in resources)


FLOOR_RESOURCES = 5_000


def floor_program(wired: bool) -> None:
    """The SDK's floor: typed Kubernetes Secrets with a provider and a parent, as the fleet's per-pair ones.
    `wired`: each Secret's data also comes from another resource's output and it waits for three more, as
    every per-pair object does (a reader token or peering token read, the namespace and the release)."""
    import pulumi
    import pulumi_kubernetes as k8s

    provider = k8s.Provider("floor-k8s", kubeconfig="{}")
    parent = pulumi.ComponentResource("meshfleet:bench:Floor", "floor", None, pulumi.ResourceOptions(providers=[provider]))
    under = pulumi.ResourceOptions(parent=parent)
    # A short chain of upstream objects, as a namespace, a release and a token are.
    upstream: list[k8s.core.v1.Namespace | k8s.core.v1.ConfigMap] = [
        k8s.core.v1.Namespace("floor-ns", metadata={"name": "floor"}, opts=under)
    ]
    for i in range(3):
        upstream.append(
            k8s.core.v1.ConfigMap(
                f"floor-up-{i}",
                metadata={"name": f"up-{i}", "namespace": "floor"},
                opts=pulumi.ResourceOptions(parent=parent, depends_on=[upstream[-1]]),
            )
        )
    token_name = upstream[-1].metadata.apply(lambda meta: str(meta.name))
    for i in range(FLOOR_RESOURCES):
        kubeconfig: pulumi.Input[str] = token_name.apply(f"kubeconfig-{i}-".__add__) if wired else f"kubeconfig-{i}"
        k8s.core.v1.Secret(
            f"floor-{i}",
            metadata=k8s.meta.v1.ObjectMetaArgs(name=f"cluster-credentials-{i}", namespace="linkerd-multicluster"),
            type="mirror.linkerd.io/remote-kubeconfig",
            string_data={"kubeconfig": pulumi.Output.secret(kubeconfig)},
            opts=pulumi.ResourceOptions(parent=parent, depends_on=upstream[:3] if wired else None),
        )


SDK_PACKAGES = ("pulumi_kubernetes", "pulumi_aws", "pulumi_gcp", "pulumi_tls")


def typed_classes() -> dict[str, type[Any]]:
    """Each resource class of the provider SDKs loaded so far, by the type token it is decorated with."""
    import pulumi
    from pulumi.type_token import _PULUMI_TYPE

    classes: dict[str, type[Any]] = {}
    for name, module in list(sys.modules.items()):
        if name.split(".")[0] in SDK_PACKAGES:
            for value in list(vars(module).values()):
                if isinstance(value, type) and issubclass(value, pulumi.CustomResource) and getattr(value, _PULUMI_TYPE, None):
                    classes[getattr(value, _PULUMI_TYPE)] = value
    return classes


def _python_name(key: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", key).lower()


def replay_program(recorded: list[Any], classes: dict[str, type[Any]]) -> None:
    """The SDK's floor for exactly what a fleet registers: every resource of a recorded run registered again, in
    the same order, with the same type, name, parent, provider, inputs (secrets as secrets) and dependencies,
    through the same typed class (found by its type token; a custom resource of a CRD through
    `apiextensions.CustomResource`), from a flat loop. What the fleet costs beyond this is the program's own:
    its Outputs and applies, and its components' frames in every stack trace. The dependencies are declared
    through `depends_on`, one set per resource: the SDK checks each edge against cycles as it does for an
    input's (`rpc.py` `_add_dependency`), once where the fleet's inputs may name a resource in several
    properties, so this floor is, if anything, low."""
    import pulumi
    import pulumi_kubernetes as k8s

    from components.simulation.recorder import ROOT_STACK_TYPE

    # A class of its own, as every real component has: the SDK's stack trace keeps the frames below the third
    # `__init__` (pulumi/runtime/resource.py `_get_stack_trace`) and captures none without one.
    class Component(pulumi.ComponentResource):
        def __init__(self, t: str, name: str, opts: pulumi.ResourceOptions) -> None:
            super().__init__(t, name, None, opts)

    made: dict[str, pulumi.Resource] = {}
    for r in recorded:
        if r.type == ROOT_STACK_TYPE:
            continue
        parent = made.get(r.parent)
        provider = made.get(r.provider) if r.provider else None
        depends_on = [made[urn] for urn in sorted(r.all_dependencies) if urn in made]
        opts = pulumi.ResourceOptions(parent=parent, provider=provider, depends_on=depends_on or None)  # type: ignore[arg-type]
        secret = {path[0] for path in r.secret_inputs}
        props = {_python_name(key): pulumi.Output.secret(value) if key in secret else value for key, value in r.inputs.items()}
        if r.type.startswith("pulumi:providers:"):
            made[r.urn] = classes[r.type](r.name, opts=opts, **props)
        elif not r.custom:
            made[r.urn] = Component(r.type, r.name, opts)
        elif r.type == "pulumi:pulumi:StackReference":
            made[r.urn] = pulumi.StackReference(r.name, r.inputs["name"], opts)
        else:
            cls = classes.get(r.type, k8s.apiextensions.CustomResource if r.type.startswith("kubernetes:") else None)
            if cls is None:
                raise KeyError(f"no class for {r.type}")
            made[r.urn] = cls.get(r.name, r.id, opts=opts) if r.read else cls(r.name, opts=opts, **props)


def measure_floor(wired: bool) -> dict[str, Any]:
    from components.simulation import run_program

    run_program(lambda: floor_program(wired))
    gc.collect()
    cpu = time.process_time()
    run_program(lambda: floor_program(wired))
    return {"ms_per_resource": (time.process_time() - cpu) * 1000 / (FLOOR_RESOURCES + 2)}


# --- one run, in its own process ----------------------------------------------------------------------


def measure(mesh_type: str, count: int) -> dict[str, Any]:
    from components.simulation import run_program, simulate

    simulate("prod", config=fleet_config(mesh_type, 3))  # imports (EKS and GKE), so that no size is charged for them
    gc.collect()  # and the warm-up's objects, which the measured run's thresholds would otherwise keep
    cpu, wall = time.process_time(), time.perf_counter()
    sim = simulate("prod", config=fleet_config(mesh_type, count))
    cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    figures = {
        "cpu": cpu,
        "wall": wall,
        "peak_mb": peak,
        "resources": len(sim.resources),
        "ms_per_resource": cpu * 1000 / len(sim.resources),
        "chain": longest_chain(sim.resources),
    }
    last, replay = sim.deployment(), functools.partial(replay_program, sim.resources, typed_classes())
    del sim
    gc.collect()
    replay_cpu = time.process_time()
    run_program(replay, stack="prod")
    figures["replay_cpu"] = time.process_time() - replay_cpu
    del replay
    gc.collect()
    preview_cpu = time.process_time()
    simulate("prod", config=fleet_config(mesh_type, count + 1), preview=True, previous=last)
    figures["preview_add_cpu"] = time.process_time() - preview_cpu
    return figures


def run_fresh(mesh_type: str, count: int) -> dict[str, Any]:
    """One measurement in a fresh process; with no clusters, the floor program (`mesh_type` "bare" or "wired")."""
    result = subprocess.run(
        [sys.executable, "-m", "tests.benchmark_fleet", "--measure", mesh_type, str(count)]
        if count
        else [sys.executable, "-m", "tests.benchmark_fleet", "--floor", mesh_type],
        cwd=PROJECT_DIR,
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise RuntimeError(f"{mesh_type} at {count} clusters failed:\n{result.stderr[-3000:]}")
    figures: dict[str, Any] = json.loads(result.stdout.splitlines()[-1])
    return figures


def run_policy_check(mesh_type: str, count: int) -> dict[str, Any]:
    """The command as users run it; CPU of the command and of the policy pack process it starts."""
    with tempfile.TemporaryDirectory() as scratch:
        stack_file = Path(scratch) / "Pulumi.bench.yaml"
        stack_file.write_text(yaml.safe_dump({"config": fleet_config(mesh_type, count)}))
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        wall = time.perf_counter()
        result = subprocess.run(
            [sys.executable, "-m", "components.simulation.policy_check", "--stack", "prod", "--config-file", str(stack_file)],
            cwd=PROJECT_DIR,
            capture_output=True,
            text=True,
            check=False,
        )
        wall = time.perf_counter() - wall
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if result.returncode not in (0, 1):
        raise RuntimeError(f"the policy check failed:\n{result.stdout[-3000:]}{result.stderr[-3000:]}")
    return {
        "cpu": (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime),
        "wall": wall,
        "peak_mb": after.ru_maxrss / 1024,
        "summary": result.stdout.strip().splitlines()[-1],
    }


# --- report -------------------------------------------------------------------------------------------


def machine() -> str:
    model = next(
        (line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines() if line.startswith("model name")), ""
    )
    import pulumi

    sdk = getattr(pulumi, "__version__", "") or _distribution_version("pulumi")
    return f"{os.cpu_count()} cores ({model or platform.processor()}), Python {platform.python_version()}, Pulumi SDK {sdk}, {platform.system()}"


def _distribution_version(name: str) -> str:
    from importlib.metadata import version

    return version(name)


def median(runs: list[dict[str, Any]], key: str) -> float:
    return statistics.median(r[key] for r in runs)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.benchmark_fleet", description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=list(SIZES))
    parser.add_argument("--meshes", nargs="+", default=list(MESHES), help="mesh types (default: every one this release runs)")
    parser.add_argument("--runs", type=int, default=3, help="fresh processes per size; figures are their median")
    parser.add_argument("--no-policy-check", action="store_true")
    parser.add_argument("--measure", nargs=2, metavar=("MESH", "CLUSTERS"), help=argparse.SUPPRESS)
    parser.add_argument("--floor", choices=["bare", "wired"], help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.measure or args.floor:
        from components.simulation.runner import exit_without_teardown

        print(json.dumps(measure(args.measure[0], int(args.measure[1])) if args.measure else measure_floor(args.floor == "wired")))
        exit_without_teardown(0)

    from components.meshes import AVAILABLE

    meshes = [m for m in args.meshes if m in AVAILABLE]
    skipped = [m for m in args.meshes if m not in AVAILABLE]
    print(f"Machine: {machine()}. Each figure: median of {args.runs} fresh processes; CPU = seconds of CPU the run used.")
    if skipped:
        print(f"Skipped (not in this release): {', '.join(skipped)}")
    floor = median([run_fresh("bare", 0) for _ in range(args.runs)], "ms_per_resource")
    wired = median([run_fresh("wired", 0) for _ in range(args.runs)], "ms_per_resource")
    print(f"SDK floor: {floor:.2f} ms CPU per typed Kubernetes resource ({FLOOR_RESOURCES} Secrets with a provider and a parent)")
    print(
        f"SDK floor, wired: {wired:.2f} ms CPU per such Secret whose data comes from another resource's output and that "
        "waits for three more, as every per-pair object does"
    )
    print()
    print(
        "| mesh | clusters | resources | longest chain | CPU s | ms per resource | ms per added resource | vs floor "
        "| vs wired floor | replay CPU s | vs replay | wall s | peak MB | preview +1 cluster CPU s |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    # The policy check goes first: a process's record of its children's peak memory is the largest
    # child's so far, and the large fleets below would hide the command's.
    checks = [run_policy_check(meshes[0], POLICY_CHECK_SIZE) for _ in range(args.runs)] if meshes and not args.no_policy_check else []
    for mesh_type in meshes:
        smaller: tuple[int, float] | None = None
        for size in args.sizes:
            runs = [run_fresh(mesh_type, size) for _ in range(args.runs)]
            resources, cpu = runs[0]["resources"], median(runs, "cpu")
            # What each resource a larger fleet adds costs, the run's fixed cost left out: the figure to hold
            # against the SDK's floor.
            added = (cpu - smaller[1]) * 1000 / (resources - smaller[0]) if smaller and resources > smaller[0] else None
            smaller = (resources, cpu)
            print(
                f"| {mesh_type} | {size} | {resources:,} | {runs[0]['chain']} | {cpu:.2f} | {median(runs, 'ms_per_resource'):.2f} "
                f"| {f'{added:.2f}' if added else '-'} | {f'{added / floor - 1:+.0%}' if added else '-'} "
                f"| {f'{added / wired - 1:+.0%}' if added else '-'} | {median(runs, 'replay_cpu'):.2f} "
                f"| {cpu / median(runs, 'replay_cpu') - 1:+.0%} | {median(runs, 'wall'):.2f} "
                f"| {median(runs, 'peak_mb'):,.0f} | {median(runs, 'preview_add_cpu'):.2f} |",
                flush=True,
            )
    if checks:
        print()
        print(
            f"Policy check, {meshes[0]} at {POLICY_CHECK_SIZE} clusters (command and policy pack): "
            f"{median(checks, 'cpu'):.2f} s CPU, {median(checks, 'wall'):.2f} s wall, "
            f"{max(c['peak_mb'] for c in checks):.0f} MB peak (the larger process); {checks[0]['summary']}"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
