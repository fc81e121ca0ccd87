"""Service routing for app teams on Istio: one DestinationRule (version subsets, locality failover and
the outlier detection failover needs) and one VirtualService splitting traffic between the versions.

Istio merges several DestinationRules for one host only in narrow cases, so the subsets and the
failover policy share one rule, built by ServiceFailover.
"""

from __future__ import annotations

from typing import Any

import pulumi
import pulumi_kubernetes as k8s

from ..base import ServiceRoutingArgs
from .locality import ServiceFailover, ServiceFailoverArgs


def virtual_service_spec(args: ServiceRoutingArgs) -> dict[str, Any]:
    return {
        "hosts": [args.host],
        "http": [
            {
                "route": [
                    {"destination": {"host": args.host, "subset": version, "port": {"number": args.port}}, "weight": weight}
                    for version, weight in args.weights.items()
                ]
            }
        ],
    }


class ServiceRouting(pulumi.ComponentResource):
    failover: ServiceFailover
    virtual_service: k8s.apiextensions.CustomResource

    def __init__(self, name: str, args: ServiceRoutingArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("meshfleet:istio:ServiceRouting", name, None, opts)
        self.failover = ServiceFailover(
            name,
            ServiceFailoverArgs(
                service=args.service,
                namespace=args.namespace,
                failover=args.failover,
                subsets={version: {args.version_label: version} for version in args.weights},
                cluster_domain=args.cluster_domain,
            ),
            pulumi.ResourceOptions(parent=self),
        )
        self.virtual_service = k8s.apiextensions.CustomResource(
            f"{name}-routes",
            api_version="networking.istio.io/v1",
            kind="VirtualService",
            metadata=k8s.meta.v1.ObjectMetaArgs(name=args.service, namespace=args.namespace),
            spec=virtual_service_spec(args),
            # Routes name subsets, which must exist first or traffic to them fails.
            opts=pulumi.ResourceOptions(parent=self, depends_on=[self.failover.destination_rule]),
        )
        self.register_outputs({"weights": dict(args.weights)})
