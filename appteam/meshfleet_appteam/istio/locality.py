"""Locality failover for one service: a DestinationRule with a failover order **and** outlier detection.

Istio applies locality failover only when the DestinationRule also has outlierDetection; without it the
setting is accepted with a mere warning and traffic never fails over (istio/istio#12961, #48084). So this
component refuses to build one without the other.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_kubernetes as k8s

from ..locality import LocalityFailover
from .values import NETWORKING_API_VERSION


@dataclass(frozen=True)
class OutlierDetection:
    """How quickly a failing endpoint (or a whole locality) is ejected. Defaults suit HTTP services."""

    consecutive_5xx_errors: int = 5
    interval: str = "10s"
    base_ejection_time: str = "30s"
    max_ejection_percent: int = 100
    """100 lets a whole failed locality be ejected, which is what makes failover happen."""

    def spec(self) -> dict[str, Any]:
        return {
            "consecutive5xxErrors": self.consecutive_5xx_errors,
            "interval": self.interval,
            "baseEjectionTime": self.base_ejection_time,
            "maxEjectionPercent": self.max_ejection_percent,
        }


@dataclass(frozen=True)
class ServiceFailoverArgs:
    service: str
    namespace: str
    failover: Sequence[LocalityFailover] = ()
    """Region order; default: the fleet's `mesh.locality.failover`, else nearest locality first."""
    outlier_detection: OutlierDetection = field(default_factory=OutlierDetection)
    subsets: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    """Named subsets (e.g. versions for a canary) and their pod labels."""
    cluster_domain: str = "cluster.local"


def destination_rule_spec(args: ServiceFailoverArgs) -> dict[str, Any]:
    if args.outlier_detection.consecutive_5xx_errors < 1:
        raise ValueError(f"{args.service}: outlier detection needs consecutive_5xx_errors >= 1, or failover never happens")
    locality: dict[str, Any] = {"enabled": True}
    if args.failover:
        locality["failover"] = [{"from": f.from_region, "to": f.to_region} for f in args.failover]
    spec: dict[str, Any] = {
        "host": f"{args.service}.{args.namespace}.svc.{args.cluster_domain}",
        "trafficPolicy": {
            "loadBalancer": {"localityLbSetting": locality},
            "outlierDetection": args.outlier_detection.spec(),
        },
    }
    if args.subsets:
        spec["subsets"] = [{"name": name, "labels": dict(labels)} for name, labels in args.subsets.items()]
    return spec


class ServiceFailover(pulumi.ComponentResource):
    """Give a service locality-aware routing with failover across clusters, in one cluster's mesh config.

    Create it in every cluster that runs clients of the service (with that cluster's provider).
    """

    destination_rule: k8s.apiextensions.CustomResource

    def __init__(self, name: str, args: ServiceFailoverArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("meshfleet:istio:ServiceFailover", name, None, opts)
        self.destination_rule = k8s.apiextensions.CustomResource(
            name,
            api_version=NETWORKING_API_VERSION,
            kind="DestinationRule",
            metadata=k8s.meta.v1.ObjectMetaArgs(name=args.service, namespace=args.namespace),
            spec=destination_rule_spec(args),
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.register_outputs({"destination_rule": args.service})
