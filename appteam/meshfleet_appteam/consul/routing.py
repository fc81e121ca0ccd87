"""Service routing for app teams on Consul: `ServiceDefaults` (protocol http, which splitting and
routing need), a `ServiceResolver` (a subset per version, on the `Service.Meta` value the pods'
`service-meta-<label>` annotation sets, plus failover to peers, built by ServiceFailover), a
`ServiceSplitter` with the weights (or blue-green's active version) and, when asked for header routes,
a timeout or retries, a `ServiceRouter`. All are named after the service, in its namespace.

Fields are those of consul-k8s v2.0.3 (control-plane/api/v1alpha1/servicerouter_types.go,
charts/consul/templates/crd-servicerouters.yaml): `routes[].match.http.header[]` {name, exact, prefix,
regex}, `routes[].destination` {serviceSubset, requestTimeout, numRetries, retryOn, retryOnStatusCodes}.
There is no per-try timeout (only `requestTimeout`, retries included, and `idleTimeout`) and no request
mirroring in ServiceRouter, ServiceSplitter or ServiceResolver, so those are refused.

An `ingress` binding writes nothing: these config entries are the service's discovery chain, which
Consul's ingress and API gateways resolve for their upstream like every sidecar does.
"""

from __future__ import annotations

from typing import Any

import pulumi
import pulumi_kubernetes as k8s

from ..routing import HeaderRoute, ServiceRoutingArgs
from . import values
from .locality import ServiceFailover, ServiceFailoverArgs


def service_defaults_spec() -> dict[str, Any]:
    # A splitter is an L7 config entry: Consul refuses it for a service whose protocol is tcp (the default).
    return {"protocol": "http"}


def service_splitter_spec(args: ServiceRoutingArgs) -> dict[str, Any]:
    return {"splits": [{"weight": weight, "serviceSubset": version} for version, weight in args.traffic.items()]}


def check_supported(args: ServiceRoutingArgs) -> None:
    """Refuse, before anything is registered, what Consul cannot do."""
    if args.mirror is not None:
        raise args.refuse(
            "Consul",
            "mirror requests",
            "none of its routing config entries (ServiceRouter, ServiceSplitter, ServiceResolver) has request mirroring; "
            "pass no mirror, or shift a small weight to the version instead",
        )
    if args.retries is not None and args.retries.per_try_timeout is not None:
        raise args.refuse(
            "Consul",
            "time out each retry",
            "a ServiceRouter destination has requestTimeout (the whole request, retries included) but no per-try timeout; "
            "pass no retries.per_try_timeout and set timeout instead",
        )


def destination_policy(args: ServiceRoutingArgs) -> dict[str, Any]:
    """Timeout and retries of a route's destination. Consul builds Envoy's retry_on from the named conditions
    only (agent/xds/routes.go getRetryPolicyForDestination); attempts 0 is its default, so nothing is written."""
    policy: dict[str, Any] = {}
    if args.timeout is not None:
        policy["requestTimeout"] = args.timeout
    if args.retries is not None and args.retries.attempts > 0:
        policy["numRetries"] = args.retries.attempts
        conditions = [c for c in args.retries.on if isinstance(c, str)]
        codes = [c for c in args.retries.on if isinstance(c, int)]
        if conditions:
            policy["retryOn"] = conditions
        if codes:
            policy["retryOnStatusCodes"] = codes
    return policy


def header_route(args: ServiceRoutingArgs, route: HeaderRoute) -> dict[str, Any]:
    return {
        # Every header of one match must match.
        "match": {"http": {"header": [{"name": h.name, h.kind: h.value} for h in route.headers]}},
        "destination": {"serviceSubset": route.version, **destination_policy(args)},
    }


def service_router_spec(args: ServiceRoutingArgs) -> dict[str, Any] | None:
    """Header routes in order, then, with a timeout or retries, a catch-all route carrying them; a destination
    with no subset goes on to the splitter (discoverychain compile.go). None when there is nothing to route."""
    routes = [header_route(args, route) for route in args.header_routes]
    policy = destination_policy(args)
    if policy:
        routes.append({"destination": policy})
    return {"routes": routes} if routes else None


class ServiceRouting(pulumi.ComponentResource):
    service_defaults: k8s.apiextensions.CustomResource
    failover: ServiceFailover
    service_splitter: k8s.apiextensions.CustomResource
    service_router: k8s.apiextensions.CustomResource | None

    def __init__(self, name: str, args: ServiceRoutingArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        check_supported(args)
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
                subsets={version: version for version in args.versions},
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
        router = service_router_spec(args)
        self.service_router = (
            k8s.apiextensions.CustomResource(
                f"{name}-router",
                api_version=values.API_VERSION,
                kind="ServiceRouter",
                metadata=metadata,
                spec=router,
                # Routes name the resolver's subsets and fall through to the splitter; all need http.
                opts=pulumi.ResourceOptions(
                    parent=self, depends_on=[self.service_defaults, self.failover.service_resolver, self.service_splitter]
                ),
            )
            if router is not None
            else None
        )
        self.register_outputs({"weights": args.traffic})
