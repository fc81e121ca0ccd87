"""Service routing for app teams on Linkerd: weighted versions with Linkerd's own objects.

Linkerd routes to Services, not to subsets of one: each version gets a Service selecting the service's
pods of that version, and a `policy.linkerd.io/v1beta3` HTTPRoute (shipped by linkerd-crds; no Gateway
API CRDs needed) attached to the service splits its traffic between them by weight. Moving a canary is
changing the weights.
"""

from __future__ import annotations

from typing import Any

import pulumi
import pulumi_kubernetes as k8s

from ..base import ServiceRoutingArgs
from .locality import ALTERNATIVES

ROUTE_API_VERSION = "policy.linkerd.io/v1beta3"


def version_service_name(args: ServiceRoutingArgs, version: str) -> str:
    return f"{args.service}-{version}"


def version_selector(args: ServiceRoutingArgs, version: str) -> dict[str, str]:
    return {**args.pod_selector, args.version_label: version}


def http_route_spec(args: ServiceRoutingArgs) -> dict[str, Any]:
    return {
        # A Service parent: the route applies to every meshed client's calls to the service.
        "parentRefs": [{"group": "core", "kind": "Service", "name": args.service, "port": args.port}],
        "rules": [
            {
                "backendRefs": [
                    {"name": version_service_name(args, version), "port": args.port, "weight": weight}
                    for version, weight in args.weights.items()
                ]
            }
        ],
    }


def check_no_failover(args: ServiceRoutingArgs) -> None:
    if args.failover:
        raise ValueError(
            f"routing for {args.service}: Linkerd cannot fail over between regions, it has no automatic cross-cluster "
            f"locality failover; pass no failover (a Linkerd fleet's contract lists none). {ALTERNATIVES}"
        )


class ServiceRouting(pulumi.ComponentResource):
    versions: dict[str, k8s.core.v1.Service]
    route: k8s.apiextensions.CustomResource

    def __init__(self, name: str, args: ServiceRoutingArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        check_no_failover(args)
        super().__init__("meshfleet:linkerd:ServiceRouting", name, None, opts)
        self.versions = {
            version: k8s.core.v1.Service(
                f"{name}-{version}",
                metadata=k8s.meta.v1.ObjectMetaArgs(name=version_service_name(args, version), namespace=args.namespace),
                spec=k8s.core.v1.ServiceSpecArgs(
                    selector=version_selector(args, version),
                    ports=[k8s.core.v1.ServicePortArgs(name="http", port=args.port, target_port=args.pod_port)],
                ),
                opts=pulumi.ResourceOptions(parent=self),
            )
            for version in args.weights
        }
        self.route = k8s.apiextensions.CustomResource(
            f"{name}-routes",
            api_version=ROUTE_API_VERSION,
            kind="HTTPRoute",
            metadata=k8s.meta.v1.ObjectMetaArgs(name=args.service, namespace=args.namespace),
            spec=http_route_spec(args),
            # A backend that does not exist yet fails the route's requests.
            opts=pulumi.ResourceOptions(parent=self, depends_on=list(self.versions.values())),
        )
        self.register_outputs({"weights": dict(args.weights)})
