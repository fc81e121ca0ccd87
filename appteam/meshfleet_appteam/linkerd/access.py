"""Access rules on Linkerd edge-26.8.3, with its policy.linkerd.io objects.

Every field written here is in linkerd-crds at edge-26.8.3 (charts/linkerd-crds/templates/policy/):
`Server` v1beta3 (`podSelector`, `port`, `accessPolicy`), `MeshTLSAuthentication` v1alpha1 (`identities`),
`AuthorizationPolicy` v1alpha1 (`targetRef`, `requiredAuthenticationRefs`) and `HTTPRoute` v1beta3
(`parentRefs`, `rules[].matches[].{path,method}`), whose schema allows at most 8 matches per rule and 16 rules
(httproute.yaml v1beta3 `spec.rules` maxItems 16, `rules[].matches` maxItems 8): a rule's path and method
pairs are spread over rules of its route, and a rule with more than 16 x 8 pairs is refused before anything
is registered, so that a preview never passes what the API server refuses at `up`.

- Fleet default `deny`: `proxy.defaultInboundPolicy: deny` (meshfleet's components/meshes/linkerd/values.py),
  which the chart gives every injected proxy and the policy controller (`--default-policy`). Linkerd's own traffic keeps its way in upstream:
  the destination, identity and proxy-injector pods pin `all-unauthenticated` (templates/destination.yaml
  and friends: the API server's webhook calls are not meshed), the multicluster gateway pins
  `all-authenticated` and ships a Server with an AuthorizationPolicy (gateway-policy.yaml), and kubelet
  probes are authorized from `policyController.probeNetworks` (every network by default).
- A service's callers: a Server on the pods' port (which refuses everybody it does not authorize),
  a MeshTLSAuthentication with the callers' identities and an AuthorizationPolicy joining them. Method and
  path rules become HTTPRoutes on the Server, each with its own authorization. A Server with HTTPRoutes
  loses the probe routes Linkerd otherwise adds, so probes of such a port would be refused: give the pods'
  probes another port.
"""

from __future__ import annotations

from typing import Any

import pulumi
import pulumi_kubernetes as k8s

from ..access import AccessRule, AccessSupport, Caller, ServiceAccessArgs, is_prefix, prefix_of, waits_for
from .values import GATEWAY_NAME, MULTICLUSTER_NAMESPACE, proxy_identity

SERVER_API_VERSION = "policy.linkerd.io/v1beta3"
ROUTE_API_VERSION = "policy.linkerd.io/v1beta3"
AUTH_API_VERSION = "policy.linkerd.io/v1alpha1"
GROUP = "policy.linkerd.io"
# charts/linkerd-crds/templates/policy/httproute.yaml at edge-26.8.3, version v1beta3: `rules[].matches`
# maxItems 8 (line 5062), `spec.rules` maxItems 16 (line 5064).
MAX_MATCHES = 8
MAX_RULES = 16


def linked_clusters(cluster: str) -> Caller:
    """Every meshed workload of every cluster linked to `cluster`, as one caller of its services: in gateway mode
    the local gateway opens a new connection to the service under its own identity (linkerd/linkerd2#9848), so
    that identity is all the service's proxy sees of a call from another cluster."""
    return Caller(GATEWAY_NAME, MULTICLUSTER_NAMESPACE, cluster)


ACCESS = AccessSupport(
    remote_callers=False,
    cluster_callers=True,
    summary="a caller is its identity `<account>.<namespace>.serviceaccount.identity.linkerd.<trustDomain>` in the "
    "cluster the rule is written into; callers in other clusters come through the multicluster gateway and arrive "
    "as the gateway's identity, which every meshed workload of every linked cluster shares (linkerd/linkerd2#9848), "
    "so a rule admits callers of its own cluster, and `linked_clusters(cluster)` admits every workload of every "
    "linked cluster at once",
    linked_clusters=linked_clusters,
)


def caller_identity(caller: Caller, trust_domain: str) -> str:
    return proxy_identity(caller.service_account, caller.namespace, trust_domain)


def check_callers(args: ServiceAccessArgs) -> None:
    elsewhere = [str(c) for c in args.callers if c.cluster != args.cluster]
    if elsewhere:
        gateway = proxy_identity(GATEWAY_NAME, MULTICLUSTER_NAMESPACE, args.trust_domain)
        raise ValueError(
            f"access for {args.service}: Linkerd cannot admit {', '.join(elsewhere)} in cluster {args.cluster!r}: callers in "
            f"other clusters reach it through its multicluster gateway and arrive as the gateway's identity ({gateway}), "
            "which every meshed workload of every linked cluster shares (linkerd/linkerd2#9848); declare callers with "
            f"cluster={args.cluster!r}, in the rules written into each cluster, and admit every workload of every linked "
            f"cluster with the caller mesh.access.linked_clusters({args.cluster!r})"
        )
    _check_no_overlap(args)
    _check_route_size(args)


def _check_route_size(args: ServiceAccessArgs) -> None:
    limit = MAX_MATCHES * MAX_RULES
    large = [f"rules[{i}] has {n}" for i, rule in enumerate(args.rules) if (n := len(route_matches(rule))) > limit]
    if large:
        raise ValueError(
            f"access for {args.service}: {', '.join(large)} (path, method) pairs, and Linkerd's HTTPRoute holds at most "
            f"{limit} ({MAX_RULES} rules of {MAX_MATCHES} matches, policy.linkerd.io/v1beta3); use path prefixes (`/api/*`) or "
            "fewer methods, or split the rule into rules of disjoint paths"
        )


def _paths_overlap(a: str, b: str) -> bool:
    if is_prefix(a) and is_prefix(b):
        return prefix_of(a).startswith(prefix_of(b)) or prefix_of(b).startswith(prefix_of(a))
    if is_prefix(a):
        return b.startswith(prefix_of(a))
    if is_prefix(b):
        return a.startswith(prefix_of(b))
    return a == b


def _overlap(a: AccessRule, b: AccessRule) -> bool:
    methods = not a.methods or not b.methods or bool(set(a.methods) & set(b.methods))
    paths = not a.paths or not b.paths or any(_paths_overlap(p, q) for p in a.paths for q in b.paths)
    return methods and paths


def _check_no_overlap(args: ServiceAccessArgs) -> None:
    restricted = [(i, rule) for i, rule in enumerate(args.rules) if rule.restricted]
    for n, (i, first) in enumerate(restricted):
        for j, second in restricted[n + 1 :]:
            if _overlap(first, second):
                raise ValueError(
                    f"access for {args.service}: rules[{i}] and rules[{j}] match some of the same requests, and Linkerd "
                    "authorizes a request by the one HTTPRoute that matches it most specifically, so one rule's callers "
                    "would lose what the other grants; merge the two rules, or make their methods and paths disjoint"
                )


# --- specs -------------------------------------------------------------------------------------------


def server_spec(args: ServiceAccessArgs) -> dict[str, Any]:
    # `accessPolicy: deny` is the CRD's default, said here: only what an AuthorizationPolicy allows gets in.
    return {"podSelector": {"matchLabels": args.pod_selector}, "port": args.pod_port, "accessPolicy": "deny"}


def authentication_spec(callers: list[Caller], trust_domain: str) -> dict[str, Any]:
    return {"identities": [caller_identity(c, trust_domain) for c in callers]}


def authorization_spec(kind: str, target: str, authentication: str) -> dict[str, Any]:
    return {
        "targetRef": {"group": GROUP, "kind": kind, "name": target},
        "requiredAuthenticationRefs": [{"group": GROUP, "kind": "MeshTLSAuthentication", "name": authentication}],
    }


def _path_match(path: str) -> dict[str, str]:
    if is_prefix(path):
        return {"type": "PathPrefix", "value": prefix_of(path)}
    return {"type": "Exact", "value": path}


def route_matches(rule: AccessRule) -> list[dict[str, Any]]:
    """Every (path, method) pair of the rule; a match without a path matches every path."""
    matches = []
    paths: list[str | None] = [*rule.paths] or [None]
    methods: list[str | None] = [*rule.methods] or [None]
    for path in paths:
        for method in methods:
            match: dict[str, Any] = {}
            if path is not None:
                match["path"] = _path_match(path)
            if method is not None:
                match["method"] = method
            matches.append(match)
    return matches


def route_spec(args: ServiceAccessArgs, matches: list[dict[str, Any]]) -> dict[str, Any]:
    """The matches in rules of at most MAX_MATCHES each: a route's authorization covers all its rules alike."""
    rules = [{"matches": matches[i : i + MAX_MATCHES]} for i in range(0, len(matches), MAX_MATCHES)]
    return {"parentRefs": [{"group": GROUP, "kind": "Server", "name": args.service}], "rules": rules}


def routes(args: ServiceAccessArgs) -> dict[str, tuple[list[dict[str, Any]], list[Caller]]]:
    """Route suffix (the rule's index, or `any`) -> (matches, callers). A request is authorized only by the
    route it matches, so callers allowed everything join every route, and get a route for all other requests."""
    anywhere = list(dict.fromkeys(c for rule in args.rules if not rule.restricted for c in rule.callers))
    found = {
        str(i): (route_matches(rule), list(dict.fromkeys([*rule.callers, *anywhere])))
        for i, rule in enumerate(args.rules)
        if rule.restricted
    }
    if found and anywhere:
        found["any"] = ([{"path": {"type": "PathPrefix", "value": "/"}}], anywhere)
    return found


class ServiceAccess(pulumi.ComponentResource):
    server: k8s.apiextensions.CustomResource
    authorizations: dict[str, k8s.apiextensions.CustomResource]
    """By the name of what each authorizes: the Server, or one of its HTTPRoutes (`<service>-<rule>`)."""

    def __init__(self, name: str, args: ServiceAccessArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        check_callers(args)
        super().__init__("meshfleet:linkerd:ServiceAccess", name, None, opts)
        self._args = args
        self._after = waits_for(opts)
        self.authorizations = {}
        # The Server refuses everybody it does not authorize: it comes last, once every authorization (and
        # route) is in place, so that declaring callers never cuts them off on the way.
        before: list[pulumi.Resource] = []
        by_route = routes(args)
        if not by_route:
            before += self._authorize(name, "Server", args.service, args.callers)
        for suffix, (matches, callers) in by_route.items():
            route = f"{args.service}-{suffix}"
            http_route = self._custom(f"{name}-{suffix}-route", ROUTE_API_VERSION, "HTTPRoute", route, route_spec(args, matches), [])
            before += [http_route, *self._authorize(f"{name}-{suffix}", "HTTPRoute", route, callers)]
        self.server = self._custom(f"{name}-server", SERVER_API_VERSION, "Server", args.service, server_spec(args), before)
        self.register_outputs({"callers": [str(c) for c in args.callers]})

    def _authorize(self, resource_name: str, kind: str, target: str, callers: list[Caller]) -> list[pulumi.Resource]:
        """A MeshTLSAuthentication with the callers and an AuthorizationPolicy for `target`, both named after it."""
        authentication = self._custom(
            f"{resource_name}-callers",
            AUTH_API_VERSION,
            "MeshTLSAuthentication",
            target,
            authentication_spec(callers, self._args.trust_domain),
            [],
        )
        policy = self._custom(
            f"{resource_name}-authorization",
            AUTH_API_VERSION,
            "AuthorizationPolicy",
            target,
            authorization_spec(kind, target, target),
            [authentication],
        )
        self.authorizations[target] = policy
        return [authentication, policy]

    def _custom(
        self, resource_name: str, api_version: str, kind: str, name: str, spec: dict[str, Any], after: list[pulumi.Resource]
    ) -> k8s.apiextensions.CustomResource:
        return k8s.apiextensions.CustomResource(
            resource_name,
            api_version=api_version,
            kind=kind,
            metadata=k8s.meta.v1.ObjectMetaArgs(name=name, namespace=self._args.namespace),
            spec=spec,
            opts=pulumi.ResourceOptions(parent=self, depends_on=[*self._after, *after]),
        )
