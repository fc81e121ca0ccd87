"""Access rules on Consul (consul-k8s 2.0.3), with a `ServiceIntentions` named after the service.

Every field written here is in the ServiceIntentions CRD of hashicorp/consul-k8s at v2.0.3
(charts/consul/templates/crd-serviceintentions.yaml; control-plane/api/v1alpha1/serviceintentions_types.go):
`destination.name`, `sources[].{name, peer, action, permissions}`, `permissions[].{action, http}` and
`http.{pathExact, pathPrefix, methods}`.

- Fleet default `deny`: the fleet's wildcard ServiceIntentions (`default`, meshfleet's
  components/meshes/consul/values.py default_intentions_spec)
  denies instead of allowing. Consul's own traffic is not subject to intentions: servers are not in the
  mesh, and mesh gateways forward peers' mTLS connections to the destination's sidecar, which decides.
- A service's callers: its sources by name, with `peer` for callers in other clusters (the peer name this
  cluster's peerings use), then wildcard sources that deny everybody else (locally and from every peer),
  so the service is locked down whatever the fleet's default: a named destination takes precedence over
  the wildcard one, and a named source over a wildcard source.

Consul identities are service names. With ACLs a pod registers only as the service its service account
names, so a caller's service account must be its Consul service's name, and the free edition has no
namespaces: a name means that service in any Kubernetes namespace.
"""

from __future__ import annotations

from typing import Any

import pulumi
import pulumi_kubernetes as k8s

from ..access import AccessRule, AccessSupport, Caller, ServiceAccessArgs, is_prefix, prefix_of, waits_for
from . import values

ACCESS = AccessSupport(
    remote_callers=True,
    cluster_callers=True,
    summary="a caller is a Consul service name (with ACLs, its pods' service account name), local or from a peer "
    "(a caller in another cluster keeps its identity through the mesh gateways), so a rule admits it from every "
    "cluster or from one; the free edition has no namespaces, so callers must share the service's namespace",
)


def check_callers(args: ServiceAccessArgs) -> None:
    foreign = [str(c) for c in args.callers if c.namespace != args.namespace]
    if foreign:
        raise ValueError(
            f"access for {args.service}: Consul cannot tell {', '.join(foreign)} apart from services of the same name in "
            f"other namespaces: its identities are service names (with ACLs, the service account's name), and the free "
            f"edition puts every Kubernetes namespace's services in one Consul namespace; declare callers of namespace "
            f"{args.namespace!r}, where the names are the team's own"
        )
    if any(rule.restricted for rule in args.rules) and not args.http_protocol:
        raise ValueError(
            f"access for {args.service}: Consul applies method and path rules only to a service whose protocol is http "
            "(ServiceDefaults), and refuses them on tcp, its default; route the service with meshfleet's service routing in "
            "this cluster (it declares http) and pass http_protocol=True, or drop the methods and paths"
        )


def _sources_of(caller: Caller, args: ServiceAccessArgs) -> list[str | None]:
    """The peers a caller may come from (None: this cluster)."""
    if caller.cluster is None:
        return [None, *sorted(values.peer_name(c) for c in args.clusters if c != args.cluster)]
    return [None if caller.cluster == args.cluster else values.peer_name(caller.cluster)]


def _permissions(rule: AccessRule) -> list[dict[str, Any]]:
    """One permission per path (Consul takes one path per permission), each with the rule's methods."""
    permissions = []
    paths: list[str | None] = [*rule.paths] or [None]
    for path in paths:
        http: dict[str, Any] = {}
        if path is not None:
            http["pathPrefix" if is_prefix(path) else "pathExact"] = prefix_of(path) if is_prefix(path) else path
        if rule.methods:
            http["methods"] = list(rule.methods)
        permissions.append({"action": "allow", "http": http})
    return permissions


# Closes a source's permissions: a request none of them allows is denied here, not left to a default.
DENY_THE_REST = {"action": "deny", "http": {"pathPrefix": "/"}}


def service_intentions_spec(args: ServiceAccessArgs) -> dict[str, Any]:
    # Consul refuses a (name, peer) listed twice: a caller's rules are merged into one source.
    grants: dict[tuple[str, str | None], list[dict[str, Any]] | None] = {}
    for rule in args.rules:
        for caller in rule.callers:
            for peer in _sources_of(caller, args):
                key = (caller.service_account, peer)
                if not rule.restricted or grants.get(key, []) is None:
                    grants[key] = None  # allowed everything
                else:
                    grants[key] = [*(grants.get(key) or []), *_permissions(rule)]
    sources = []
    for (name, peer), permissions in grants.items():
        source: dict[str, Any] = {"name": name}
        if peer is not None:
            source["peer"] = peer
        if permissions is None:
            source["action"] = "allow"
        else:
            source["permissions"] = [*permissions, DENY_THE_REST]
        sources.append(source)
    everybody_else = [None, *sorted(values.peer_name(c) for c in args.clusters if c != args.cluster)]
    sources += [{"name": "*", "action": "deny", **({"peer": peer} if peer else {})} for peer in everybody_else]
    return {"destination": {"name": args.service}, "sources": sources}


class ServiceAccess(pulumi.ComponentResource):
    intentions: k8s.apiextensions.CustomResource

    def __init__(self, name: str, args: ServiceAccessArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        check_callers(args)
        super().__init__("meshfleet:consul:ServiceAccess", name, None, opts)
        self.intentions = k8s.apiextensions.CustomResource(
            f"{name}-callers",
            api_version=values.API_VERSION,
            kind="ServiceIntentions",
            metadata=k8s.meta.v1.ObjectMetaArgs(name=args.service, namespace=args.namespace),
            spec=service_intentions_spec(args),
            opts=pulumi.ResourceOptions(parent=self, depends_on=waits_for(opts)),
        )
        self.register_outputs({"callers": [str(c) for c in args.callers]})
