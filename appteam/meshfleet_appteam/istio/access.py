"""Access rules on Istio 1.30, with `security.istio.io/v1` AuthorizationPolicies.

Every field written here is in the AuthorizationPolicy CRD of istio/istio's 1.30 line (read at tag 1.30.3,
manifests/charts/base/files/crd-all.gen.yaml, `authorizationpolicies.security.istio.io` v1: `selector.matchLabels`,
`action`, `rules[].from[].source.principals`, `rules[].to[].operation.{methods,paths}`).

A service's callers: one ALLOW policy selecting its pods. Once an ALLOW policy selects a workload, a request
that no rule matches is refused, whatever the fleet's default (`mesh.defaultAccess`, which meshfleet's
components/meshes/istio/access.py writes).
"""

from __future__ import annotations

from typing import Any

import pulumi
import pulumi_kubernetes as k8s

from ..access import AccessRule, AccessSupport, Caller, ServiceAccessArgs, waits_for
from .values import SECURITY_API_VERSION

ACCESS = AccessSupport(
    remote_callers=True,
    cluster_callers=False,
    summary="a caller is its SPIFFE principal `<trustDomain>/ns/<namespace>/sa/<account>`, kept across clusters "
    "(the east-west gateway passes mTLS through), so a rule admits it from every cluster; the principal names "
    "no cluster, so a caller cannot be admitted from one cluster only",
)


def principal(caller: Caller, trust_domain: str) -> str:
    """The caller's identity as AuthorizationPolicy names it (its SPIFFE ID without `spiffe://`)."""
    return f"{trust_domain}/ns/{caller.namespace}/sa/{caller.service_account}"


def check_callers(args: ServiceAccessArgs) -> None:
    pinned = [str(c) for c in args.callers if c.cluster is not None]
    if pinned:
        raise ValueError(
            f"access for {args.service}: Istio cannot admit a caller from one cluster only ({', '.join(pinned)}): "
            f"its principal `{args.trust_domain}/ns/<namespace>/sa/<account>` is the same in every cluster of the fleet "
            "and names none; declare the caller without a cluster (it is then admitted from every cluster)"
        )


def _rule_spec(rule: AccessRule, trust_domain: str) -> dict[str, Any]:
    spec: dict[str, Any] = {"from": [{"source": {"principals": [principal(c, trust_domain) for c in rule.callers]}}]}
    operation: dict[str, Any] = {}
    if rule.methods:
        operation["methods"] = list(rule.methods)
    if rule.paths:
        operation["paths"] = list(rule.paths)  # Istio reads `/api/*` as a prefix itself
    if operation:
        spec["to"] = [{"operation": operation}]
    return spec


def authorization_policy_spec(args: ServiceAccessArgs) -> dict[str, Any]:
    return {
        "selector": {"matchLabels": args.pod_selector},
        "action": "ALLOW",
        "rules": [_rule_spec(rule, args.trust_domain) for rule in args.rules],
    }


class ServiceAccess(pulumi.ComponentResource):
    policy: k8s.apiextensions.CustomResource

    def __init__(self, name: str, args: ServiceAccessArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        check_callers(args)
        super().__init__("meshfleet:istio:ServiceAccess", name, None, opts)
        self.policy = k8s.apiextensions.CustomResource(
            f"{name}-callers",
            api_version=SECURITY_API_VERSION,
            kind="AuthorizationPolicy",
            metadata=k8s.meta.v1.ObjectMetaArgs(name=args.service, namespace=args.namespace),
            spec=authorization_policy_spec(args),
            opts=pulumi.ResourceOptions(parent=self, depends_on=waits_for(opts)),
        )
        self.register_outputs({"callers": [str(c) for c in args.callers]})
