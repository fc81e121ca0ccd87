"""Service routing for app teams on Istio: one DestinationRule (version subsets, locality failover and
the outlier detection failover needs) and one VirtualService: header routes first, then the weighted
split (or blue-green's active version) with its mirror, every route with the same timeout and retries.

Istio merges several DestinationRules for one host only in narrow cases, so the subsets and the
failover policy share one rule, built by ServiceFailover.

Every VirtualService field written here is in the pinned CRD (istio/istio 1.30.3
manifests/charts/base/files/crd-all.gen.yaml, `networking.istio.io/v1` `spec.http[]`: `match[].headers`
{exact,prefix,regex}, `route[].destination`, `mirror`, `mirrorPercentage.value`, `timeout`,
`retries.{attempts,retryOn,perTryTimeout}`; `spec.gateways` and `spec.hosts` for an ingress binding).
"""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

import pulumi
import pulumi_kubernetes as k8s

from ..routing import HeaderRoute, ServiceRoutingArgs
from .locality import ServiceFailover, ServiceFailoverArgs
from .values import NETWORKING_API_VERSION


def destination(args: ServiceRoutingArgs, version: str) -> dict[str, Any]:
    return {"host": args.host, "subset": version, "port": {"number": args.port}}


def request_policy(args: ServiceRoutingArgs) -> dict[str, Any]:
    """Timeout and retries, the same on every route of the service."""
    policy: dict[str, Any] = {}
    if args.timeout is not None:
        policy["timeout"] = args.timeout
    if args.retries is not None:
        # attempts 0 is written: it turns off the two retries Istio makes by default.
        retries: dict[str, Any] = {"attempts": args.retries.attempts}
        if args.retries.on:
            # Istio reads the numbers in retryOn as retriable status codes (pilot retry.go parseRetryOn).
            retries["retryOn"] = ",".join(str(condition) for condition in args.retries.on)
        if args.retries.per_try_timeout is not None:
            retries["perTryTimeout"] = args.retries.per_try_timeout
        policy["retries"] = retries
    return policy


def check_status_codes(args: ServiceRoutingArgs) -> None:
    # istiod takes a number in retryOn for a status code only if Go's http.StatusText knows it, and
    # refuses the route otherwise (pkg/config/validation/validation.go validateHTTPRetry).
    known = {status.value for status in HTTPStatus}
    unknown = [c for c in args.retries.on if isinstance(c, int) and c not in known] if args.retries else []
    if unknown:
        raise args.refuse(
            "Istio",
            f"retry on status {', '.join(map(str, unknown))}",
            "istiod reads a number in retryOn as a status code only when HTTP defines it (Go's http.StatusText) and refuses the route otherwise",
        )


def header_route(args: ServiceRoutingArgs, route: HeaderRoute) -> dict[str, Any]:
    return {
        # All headers of one match must match (AND); Istio ORs the entries of `match`.
        "match": [{"headers": {header.name: {header.kind: header.value} for header in route.headers}}],
        "route": [{"destination": destination(args, route.version)}],
        **request_policy(args),
    }


def virtual_service_spec(args: ServiceRoutingArgs) -> dict[str, Any]:
    check_status_codes(args)
    split: dict[str, Any] = {
        "route": [{"destination": destination(args, version), "weight": weight} for version, weight in args.traffic.items()]
    }
    if args.mirror is not None:
        split["mirror"] = destination(args, args.mirror.version)
        split["mirrorPercentage"] = {"value": args.mirror.percent}
    split.update(request_policy(args))
    # Istio tries the http routes in order: header routes before the split that takes everything else.
    spec: dict[str, Any] = {"hosts": [args.host], "http": [*(header_route(args, route) for route in args.header_routes), split]}
    if args.ingress is not None:
        # Bound to the gateway and, with the reserved name `mesh`, still to every sidecar: without `mesh` in
        # an explicit list the routes would leave the mesh's own callers (VirtualService `gateways`).
        spec["hosts"] = [args.host, *args.ingress.hosts]
        spec["gateways"] = [args.ingress.gateway, "mesh"]
    return spec


class ServiceRouting(pulumi.ComponentResource):
    failover: ServiceFailover
    virtual_service: k8s.apiextensions.CustomResource

    def __init__(self, name: str, args: ServiceRoutingArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        spec = virtual_service_spec(args)  # refuses what Istio cannot do before anything is registered
        super().__init__("meshfleet:istio:ServiceRouting", name, None, opts)
        self.failover = ServiceFailover(
            name,
            ServiceFailoverArgs(
                service=args.service,
                namespace=args.namespace,
                failover=args.failover,
                subsets={version: {args.version_label: version} for version in args.versions},
                cluster_domain=args.cluster_domain,
            ),
            pulumi.ResourceOptions(parent=self),
        )
        self.virtual_service = k8s.apiextensions.CustomResource(
            f"{name}-routes",
            api_version=NETWORKING_API_VERSION,
            kind="VirtualService",
            metadata=k8s.meta.v1.ObjectMetaArgs(name=args.service, namespace=args.namespace),
            spec=spec,
            # Routes name subsets, which must exist first or traffic to them fails.
            opts=pulumi.ResourceOptions(parent=self, depends_on=[self.failover.destination_rule]),
        )
        self.register_outputs({"weights": args.traffic})
