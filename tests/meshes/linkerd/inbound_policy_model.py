"""Whether a meshed pod's proxy lets a request in: a model of Linkerd edge-26.8.3's inbound policy, as the
policy controller computes it for a pod's port and the proxy applies it.

From policy-controller/k8s/index/src/ at edge-26.8.3:
- a port no Server selects gets the default server (inbound/index.rs:1753-1791): the pod's default policy
  (its `config.linkerd.io/default-inbound-policy` annotation, else the cluster's), whose authorization is
  "any authenticated client" for `all-authenticated`, "any client" for `all-unauthenticated`, and nothing for
  `deny` (defaults.rs:83-131); its routes are a default route matching everything plus, on the probe networks
  and unauthenticated, `GET` of the pod's probe paths, matched exactly (index.rs:2241-2290);
- a Server selecting the pod and port (podSelector and port name, inbound/server.rs) takes over: its
  authorizations are the AuthorizationPolicies targeting it (or its namespace; index.rs:1812-1870), not those
  targeting routes; its routes are the HTTPRoutes whose parentRefs name it, each with the authorizations
  targeting that route (index.rs:1997-2020), and only when it has none, the default route and the probe route;
- a client is authorized by a ServiceAccount reference when its mTLS identity is that account's, by a
  MeshTLSAuthentication when its identity is listed (`*` any identity, `*.suffix` a suffix), by a
  NetworkAuthentication when its address is in a network (charts/linkerd-crds/templates/policy/).
The proxy answers a request no route matches, or no authorization of its route admits, with a refusal.
Not modelled: ServerAuthorizations (meshfleet writes none), a Server-level authorization combined with routes
(no object meshfleet or the charts write combines them), route precedence beyond an exact probe match
winning over a prefix (the routes here do not overlap otherwise).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

PROBE_NETWORKS = ("0.0.0.0/0", "::/0")
"""policyController.probeNetworks' default."""
ADMIN_PROBE_PATHS = ("/live", "/ready")
"""The injected proxy's own liveness and readiness probes on its admin port (charts/partials/templates/_proxy.tpl)."""


@dataclass(frozen=True)
class Client:
    ip: str
    identity: str | None = None
    """The client's mTLS identity; None for an unmeshed client."""


@dataclass(frozen=True)
class Pod:
    namespace: str
    labels: Mapping[str, str]
    default_policy: str
    probe_paths: Mapping[str | int, tuple[str, ...]] = field(default_factory=dict)
    """Port name -> the paths its kubelet probes request."""


@dataclass(frozen=True)
class Object:
    kind: str
    namespace: str
    name: str
    spec: Mapping[str, Any]


def objects_of(resources: Sequence[Any]) -> list[Object]:
    """Linkerd policy objects of recorded resources (components.simulation.Recorded)."""
    kinds = ("Server", "HTTPRoute", "AuthorizationPolicy", "MeshTLSAuthentication", "NetworkAuthentication")
    found = []
    for r in resources:
        if r.type.startswith("kubernetes:policy.linkerd.io/") and r.inputs.get("kind") in kinds:
            metadata = r.inputs["metadata"]
            found.append(Object(r.inputs["kind"], metadata["namespace"], metadata["name"], r.inputs["spec"]))
    return found


def _selects(selector: Mapping[str, Any], labels: Mapping[str, str]) -> bool:
    if any(labels.get(k) != v for k, v in (selector.get("matchLabels") or {}).items()):
        return False
    for expression in selector.get("matchExpressions") or ():
        key, operator, values = expression["key"], expression["operator"], expression.get("values") or ()
        present = key in labels
        if (operator == "Exists" and not present) or (operator == "DoesNotExist" and present):
            return False
        if operator == "In" and labels.get(key) not in values:
            return False
        if operator == "NotIn" and labels.get(key) in values:
            return False
    return True


def _identity_matches(pattern: str, identity: str) -> bool:
    if pattern == "*":
        return True
    if pattern.startswith("*."):
        return identity.endswith(pattern[1:])
    return pattern == identity


def _in(ip: str, networks: Sequence[str]) -> bool:
    address = ipaddress.ip_address(ip)
    return any(address in ipaddress.ip_network(n) for n in networks)


@dataclass(frozen=True)
class Route:
    matches: tuple[tuple[str, str, str | None], ...]
    """(type, path, method); the empty tuple matches everything."""
    authorizations: tuple[Any, ...]

    def match(self, path: str, method: str) -> bool:
        if not self.matches:
            return True
        for kind, value, wanted in self.matches:
            path_ok = path == value if kind == "Exact" else path.startswith(value)
            if path_ok and (wanted is None or wanted == method):
                return True
        return False


@dataclass
class Policy:
    objects: Sequence[Object]
    trust_domain: str

    def _of(self, kind: str, namespace: str) -> list[Object]:
        return [o for o in self.objects if o.kind == kind and o.namespace == namespace]

    def _admits(self, authz: Any, client: Client, namespace: str) -> bool:
        if isinstance(authz, tuple):  # a default authorization: (authenticated only, networks)
            authenticated_only, networks = authz
            return (client.identity is not None or not authenticated_only) and _in(client.ip, networks)
        refs = authz.spec["requiredAuthenticationRefs"]
        return all(self._ref_admits(ref, client, namespace) for ref in refs)

    def _ref_admits(self, ref: Mapping[str, str], client: Client, namespace: str) -> bool:
        ns = ref.get("namespace") or namespace
        if ref["kind"] == "ServiceAccount":
            return client.identity == f"{ref['name']}.{ns}.serviceaccount.identity.linkerd.{self.trust_domain}"
        named = [o for o in self._of(ref["kind"], ns) if o.name == ref["name"]]
        if not named:
            return False
        if ref["kind"] == "MeshTLSAuthentication":
            return client.identity is not None and any(_identity_matches(p, client.identity) for p in named[0].spec["identities"])
        return _in(client.ip, [n["cidr"] for n in named[0].spec["networks"]])

    def _routes(self, pod: Pod, port: str | int, server: Object | None) -> list[Route]:
        probes = Route(tuple(("Exact", p, "GET") for p in pod.probe_paths.get(port, ())), ((False, PROBE_NETWORKS),))
        if server is None:
            authenticated = {"all-authenticated": [(True, PROBE_NETWORKS)], "all-unauthenticated": [(False, PROBE_NETWORKS)]}
            default = Route((), tuple(authenticated.get(pod.default_policy, [])))
            return [probes, default] if probes.matches else [default]
        policies = self._of("AuthorizationPolicy", pod.namespace)
        routes = []
        for route in self._of("HTTPRoute", pod.namespace):
            if not any(p.get("kind") == "Server" and p["name"] == server.name for p in route.spec["parentRefs"]):
                continue
            matches = tuple(
                (m["path"].get("type", "PathPrefix"), m["path"]["value"], m.get("method"))
                for rule in route.spec["rules"]
                for m in rule["matches"]
            )
            authzs = tuple(
                p for p in policies if p.spec["targetRef"] == {"group": "policy.linkerd.io", "kind": "HTTPRoute", "name": route.name}
            )
            routes.append(Route(matches, authzs))
        if routes:
            return routes
        on_server = tuple(
            p
            for p in policies
            if p.spec["targetRef"].get("kind") == "Namespace"
            or p.spec["targetRef"] == {"group": "policy.linkerd.io", "kind": "Server", "name": server.name}
        )
        default = Route((), on_server)
        return [probes, default] if probes.matches else [default]

    def allows(self, pod: Pod, port: str | int, client: Client, path: str, method: str = "GET") -> bool:
        servers = [
            s for s in self._of("Server", pod.namespace) if s.spec["port"] == port and _selects(s.spec.get("podSelector") or {}, pod.labels)
        ]
        routes = self._routes(pod, port, servers[0] if servers else None)
        # An exact probe match is more specific than any prefix; otherwise the first matching route.
        matching = sorted((r for r in routes if r.match(path, method)), key=lambda r: not any(m[0] == "Exact" for m in r.matches))
        if not matching:
            return False
        return any(self._admits(a, client, pod.namespace) for a in matching[0].authorizations)
