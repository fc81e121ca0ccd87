"""Service routing for app teams on Linkerd: weighted versions, header routes, timeouts and retries with
Linkerd's own objects.

Linkerd routes to Services, not to subsets of one: each version gets a Service selecting the service's
pods of that version, and a `policy.linkerd.io/v1beta3` HTTPRoute (shipped by linkerd-crds; no Gateway
API CRDs needed) attached to the service sends header-matched requests to one version and splits the
rest between them by weight. Moving a canary is changing the weights.

What edge-26.8.3 offers, and so what is written (charts/linkerd-crds/templates/policy/httproute.yaml,
v1beta3; policy-controller/k8s/index/src/outbound/index/http.rs):
- header matches `rules[].matches[].headers[]` of type Exact or RegularExpression: no prefix match;
- `rules[].timeouts.request` for the whole request (the controller ignores `backendRequest`);
- retries only through the route's annotations `retry.linkerd.io/limit`, `retry.linkerd.io/timeout` (per
  try) and `retry.linkerd.io/http` (status conditions: `5xx`, `gateway-error`, codes and ranges);
- no request mirroring: the HTTPRoute has no RequestMirror filter and the controller refuses the
  Gateway API one ("RequestMirror filter is not supported").

An `ingress` binding writes nothing: the route's parent is the Service, so the outbound proxy of every
meshed caller applies it, a meshed ingress controller's too, provided the controller sends to the
Service rather than to its endpoints (nginx: `nginx.ingress.kubernetes.io/service-upstream: "true"`).
"""

from __future__ import annotations

from typing import Any

import pulumi
import pulumi_kubernetes as k8s

from ..routing import HeaderRoute, ServiceRoutingArgs
from .locality import ALTERNATIVES

ROUTE_API_VERSION = "policy.linkerd.io/v1beta3"
MAX_RULES = 16  # httproute.yaml v1beta3: spec.rules maxItems
HEADER_MATCH_TYPES = {"exact": "Exact", "regex": "RegularExpression"}
RETRY_CONDITIONS = ("5xx", "gateway-error")  # http.rs parse_http_retry, beside status codes


def version_service_name(args: ServiceRoutingArgs, version: str) -> str:
    return f"{args.service}-{version}"


def version_selector(args: ServiceRoutingArgs, version: str) -> dict[str, str]:
    return {**args.pod_selector, args.version_label: version}


def check_supported(args: ServiceRoutingArgs) -> None:
    """Refuse, before anything is registered, what Linkerd cannot do."""
    if args.failover:
        raise ValueError(
            f"routing for {args.service}: Linkerd cannot fail over between regions, it has no automatic cross-cluster "
            f"locality failover; pass no failover (a Linkerd fleet's contract lists none). {ALTERNATIVES}"
        )
    if args.mirror is not None:
        raise args.refuse(
            "Linkerd",
            "mirror requests",
            "it has no request mirroring (its HTTPRoute has no RequestMirror filter and the policy controller refuses the "
            "Gateway API one); pass no mirror, or shift a small weight to the version instead",
        )
    prefixes = [
        f"header_routes[{i}].headers[{j}]"
        for i, route in enumerate(args.header_routes)
        for j, header in enumerate(route.headers)
        if header.kind not in HEADER_MATCH_TYPES
    ]
    if prefixes:
        raise args.refuse(
            "Linkerd",
            f"match a header by prefix ({', '.join(prefixes)})",
            "its HTTPRoute matches headers Exact or RegularExpression only; use kind 'regex' with a '^<prefix>' pattern",
        )
    if len(args.header_routes) + 1 > MAX_RULES:
        raise args.refuse(
            "Linkerd",
            f"take {len(args.header_routes)} header routes",
            f"an HTTPRoute holds {MAX_RULES} rules, one of which is the split; pass at most {MAX_RULES - 1}",
        )
    unsupported = [c for c in (args.retries.on if args.retries else ()) if isinstance(c, str) and c not in RETRY_CONDITIONS]
    if unsupported:
        raise args.refuse(
            "Linkerd",
            f"retry on {', '.join(unsupported)}",
            f"it retries on response status only ({', '.join(RETRY_CONDITIONS)} or status codes)",
        )


def request_timeouts(args: ServiceRoutingArgs) -> dict[str, Any]:
    return {"timeouts": {"request": args.timeout}} if args.timeout is not None else {}


def header_rule(args: ServiceRoutingArgs, route: HeaderRoute) -> dict[str, Any]:
    return {
        # One match with every header: all must match.
        "matches": [{"headers": [{"name": h.name, "type": HEADER_MATCH_TYPES[h.kind], "value": h.value} for h in route.headers]}],
        "backendRefs": [{"name": version_service_name(args, route.version), "port": args.port}],
        **request_timeouts(args),
    }


def http_route_spec(args: ServiceRoutingArgs) -> dict[str, Any]:
    split = {
        "backendRefs": [
            {"name": version_service_name(args, version), "port": args.port, "weight": weight} for version, weight in args.traffic.items()
        ],
        **request_timeouts(args),
    }
    return {
        # A Service parent: the route applies to every meshed client's calls to the service.
        "parentRefs": [{"group": "core", "kind": "Service", "name": args.service, "port": args.port}],
        # Gateway API precedence puts rules with header matches before the split, whatever their order.
        "rules": [*(header_rule(args, route) for route in args.header_routes), split],
    }


def http_route_annotations(args: ServiceRoutingArgs) -> dict[str, str]:
    """Retries: annotations the policy controller reads from the route (http.rs parse_http_retry). No
    annotation for attempts 0: Linkerd does not retry unless told to."""
    if args.retries is None or args.retries.attempts == 0:
        return {}
    annotations = {
        "retry.linkerd.io/limit": str(args.retries.attempts),
        "retry.linkerd.io/http": ",".join(str(condition) for condition in args.retries.on),
    }
    if args.retries.per_try_timeout is not None:
        annotations["retry.linkerd.io/timeout"] = args.retries.per_try_timeout
    return annotations


class ServiceRouting(pulumi.ComponentResource):
    versions: dict[str, k8s.core.v1.Service]
    route: k8s.apiextensions.CustomResource

    def __init__(self, name: str, args: ServiceRoutingArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        check_supported(args)
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
            for version in args.versions
        }
        self.route = k8s.apiextensions.CustomResource(
            f"{name}-routes",
            api_version=ROUTE_API_VERSION,
            kind="HTTPRoute",
            metadata=k8s.meta.v1.ObjectMetaArgs(
                name=args.service, namespace=args.namespace, annotations=http_route_annotations(args) or None
            ),
            spec=http_route_spec(args),
            # A backend that does not exist yet fails the route's requests.
            opts=pulumi.ResourceOptions(parent=self, depends_on=list(self.versions.values())),
        )
        self.register_outputs({"weights": args.traffic})
