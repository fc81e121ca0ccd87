"""Pinned Helm releases.

Every chart is installed as a `helm.v3.Release` (a real Helm release), not a `helm.v4.Chart`:
- preview: Chart v4 renders with the cluster at preview time and registers nothing when an input is
  unknown, and it fails outright with a computed kubeconfig (pulumi-kubernetes#3027), which is every
  cluster this stack creates. A Release previews as one resource with its values, on a brand-new stack too.
- hooks: Chart v4 drops Helm hooks (DisableHooks), which Consul's chart relies on (tls-init job) and
  Linkerd's multicluster chart uses (namespace metadata job); a Release runs them.
- CRDs: under Chart v4, CRDs become ordinary Pulumi resources deleted with the chart, taking every
  user's custom resources with them. A Release follows Helm: `crds/` is never deleted and templated CRDs
  annotated `helm.sh/resource-policy: keep` (all of Istio's) survive an uninstall.
The price is a coarser diff (values, not rendered manifests; pulumi-kubernetes#1701): the golden files
of rendered values in tests/golden/ make up for it in review.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import pulumi
import pulumi_kubernetes as k8s

# Long enough for a load balancer to be provisioned, which Helm waits for.
RELEASE_TIMEOUT_SECONDS = 900


@dataclass(frozen=True)
class ChartRef:
    repository: str
    chart: str
    version: str


def helm_release(
    resource_name: str,
    release_name: str,
    chart: ChartRef,
    namespace: str,
    values: Mapping[str, object],
    opts: pulumi.ResourceOptions,
) -> k8s.helm.v3.Release:
    return k8s.helm.v3.Release(
        resource_name,
        name=release_name,  # fixed, so the release is the one the upstream docs and `helm ls` show
        chart=chart.chart,
        version=chart.version,
        repository_opts=k8s.helm.v3.RepositoryOptsArgs(repo=chart.repository),
        namespace=namespace,
        values=dict(values),
        # Wait for workloads (and load balancer addresses) so that dependents start on a ready release.
        skip_await=False,
        timeout=RELEASE_TIMEOUT_SECONDS,
        cleanup_on_fail=True,
        max_history=10,
        opts=opts,
    )
