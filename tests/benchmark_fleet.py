"""Benchmark: how the program scales with the number of clusters (a script, not a test).

    venv/bin/python -m tests.benchmark_fleet [3 10 30]

For each size it generates a multi-primary fleet (two EKS clusters for every GKE cluster, each its own
network and region), runs the real program under the mock runtime and prints the evaluation time, the
number of resources and the longest chain of resource dependencies. Targets: 30 clusters in under 10 s
on a 2-core machine, and a chain whose length does not grow with the number of clusters (clusters are
built side by side, never one after another).
"""

from __future__ import annotations

import sys
import time
from functools import cache
from typing import Any

from components.simulation import Recorded, simulate

AWS_REGIONS = ["us-east-1", "us-east-2", "us-west-1", "us-west-2", "eu-west-1", "eu-central-1", "ap-south-1", "ap-northeast-1"]
GCP_REGIONS = ["europe-west1", "europe-west4", "us-central1", "us-east4", "asia-east1", "southamerica-east1"]


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
                        "subnetCidr": f"10.{100 + i}.0.0/20",
                        "podsCidr": f"10.{(i * 4) % 64 + 64}.0.0/14",
                        "servicesCidr": f"10.{100 + i}.16.0/20",
                        "masterCidr": f"172.16.{i}.0/28",
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
                    "create": {"vpcCidr": f"10.{i}.0.0/16"},
                }
            )
    return clusters


def longest_chain(resources: list[Recorded]) -> int:
    """Resources on the longest path of `depends_on` and input dependencies."""
    by_urn = {r.urn: r for r in resources}

    @cache
    def depth(urn: str) -> int:
        return 1 + max((depth(d) for d in by_urn[urn].all_dependencies if d in by_urn), default=0)

    sys.setrecursionlimit(max(10_000, sys.getrecursionlimit()))
    return max(depth(r.urn) for r in resources)


def run(count: int) -> tuple[float, int, int]:
    config = {
        "meshfleet:clusters": fleet_clusters(count),
        "meshfleet:mesh": {
            "type": "istio",
            "version": "1.30.5",
            "meshId": "bench",
            "istio": {"revisions": [{"name": "1-30-5", "tags": ["default"]}]},
        },
    }
    started = time.perf_counter()
    sim = simulate("prod", config=config)
    elapsed = time.perf_counter() - started
    return elapsed, len(sim.resources), longest_chain(sim.resources)


def main(argv: list[str]) -> int:
    sizes = [int(a) for a in argv] or [3, 10, 30]
    run(3)  # warm up: import every SDK module the program uses, so no size is charged for imports
    print(f"{'clusters':>8} {'seconds':>8} {'resources':>9} {'longest chain':>13}")
    for size in sizes:
        elapsed, resources, chain = run(size)
        print(f"{size:>8} {elapsed:>8.2f} {resources:>9} {chain:>13}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
