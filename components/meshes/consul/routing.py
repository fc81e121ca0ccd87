"""Service routing for app teams on Consul: `ServiceDefaults` (protocol http, which splitting needs), a
`ServiceResolver` (a subset per version, on the `Service.Meta` value the pods' `service-meta-<label>`
annotation sets, plus failover to peers, built by ServiceFailover) and a `ServiceSplitter` with the
weights. All three are named after the service, in its namespace.
"""

from __future__ import annotations

from typing import Any

import pulumi
import pulumi_kubernetes as k8s

from ..base import ServiceRoutingArgs
from . import values
from .locality import ServiceFailover, ServiceFailoverArgs


def service_defaults_spec() -> dict[str, Any]:
    # A splitter is an L7 config entry: Consul refuses it for a service whose protocol is tcp (the default).
    return {"protocol": "http"}


def service_splitter_spec(args: ServiceRoutingArgs) -> dict[str, Any]:
    return {"splits": [{"weight": weight, "serviceSubset": version} for version, weight in args.weights.items()]}


class ServiceRouting(pulumi.ComponentResource):
    service_defaults: k8s.apiextensions.CustomResource
    failover: ServiceFailover
    service_splitter: k8s.apiextensions.CustomResource

    def __init__(self, name: str, args: ServiceRoutingArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("meshfleet:consul:ServiceRouting", name, None, opts)
        metadata = k8s.meta.v1.ObjectMetaArgs(name=args.service, namespace=args.namespace)
        self.service_defaults = k8s.apiextensions.CustomResource(
            f"{name}-defaults",
            api_version=values.API_VERSION,
            kind="ServiceDefaults",
            metadata=metadata,
            spec=service_defaults_spec(),
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.failover = ServiceFailover(
            name,
            ServiceFailoverArgs(
                service=args.service,
                namespace=args.namespace,
                cluster=args.cluster,
                cluster_regions=args.cluster_regions,
                failover=args.failover,
                subsets={version: version for version in args.weights},
                meta_key=args.version_label,
            ),
            pulumi.ResourceOptions(parent=self),
        )
        self.service_splitter = k8s.apiextensions.CustomResource(
            f"{name}-routes",
            api_version=values.API_VERSION,
            kind="ServiceSplitter",
            metadata=metadata,
            spec=service_splitter_spec(args),
            # Splits name subsets, which the resolver defines; both need the http protocol first.
            opts=pulumi.ResourceOptions(parent=self, depends_on=[self.service_defaults, self.failover.service_resolver]),
        )
        self.register_outputs({"weights": dict(args.weights)})
