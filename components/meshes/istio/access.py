"""The fleet's default access on Istio 1.30, with `security.istio.io/v1` AuthorizationPolicies; app teams'
callers (one ALLOW policy per service) are meshfleet_appteam.istio.access, which Istio's module serves too.

Every field written here is in the AuthorizationPolicy CRD of istio/istio's 1.30 line (read at tag 1.30.3,
manifests/charts/base/files/crd-all.gen.yaml, `authorizationpolicies.security.istio.io` v1: `selector.matchLabels`,
`action`, `rules`).

Fleet default `deny`: the allow-nothing policy of Istio's docs (an empty spec in the root namespace, which
applies to every workload of the mesh) in each cluster whose istiod reads config, plus an allow-all policy
for the east-west gateway. The gateway passes mTLS through (AUTO_PASSTHROUGH) to the destination's
sidecar, which checks the caller's own principal; denying at the gateway would cut every cross-cluster
call and, in a primary-remote fleet, the remotes' istiod traffic. istiod has no sidecar, so no
AuthorizationPolicy applies to it; HTTP probes are rewritten to the sidecar agent (port 15020), which
authorization does not guard.
"""

from __future__ import annotations

from typing import Any

import pulumi
import pulumi_kubernetes as k8s

from meshfleet_appteam.istio.values import SECURITY_API_VERSION

from ... import naming
from ...config import MeshSpec
from .values import EASTWEST_SELECTOR, NAMESPACE

ALLOW_NOTHING = "allow-nothing"
EASTWEST_ALLOW = "eastwest-gateway-allow-all"


def allow_nothing_spec() -> dict[str, Any]:
    """An ALLOW policy with no rules matches nothing: in the root namespace, every workload denies by default."""
    return {}


def eastwest_allow_spec() -> dict[str, Any]:
    """`rules: [{}]` matches every request: the gateway forwards, the destination authorizes."""
    return {"selector": {"matchLabels": dict(EASTWEST_SELECTOR)}, "action": "ALLOW", "rules": [{}]}


def mesh_default(
    cluster: str, mesh: MeshSpec, after: list[pulumi.Resource], opts: pulumi.ResourceOptions
) -> list[k8s.apiextensions.CustomResource]:
    """What `mesh.defaultAccess` puts in a cluster whose istiod reads config: nothing for `allow`."""
    if mesh.default_access != "deny":
        return []
    # The gateway's exemption first: denying before it exists would cut cross-cluster traffic meanwhile.
    gateway = _policy(naming.child(cluster, "eastwest-allow"), EASTWEST_ALLOW, NAMESPACE, eastwest_allow_spec(), after, opts)
    deny = _policy(naming.child(cluster, "allow-nothing"), ALLOW_NOTHING, NAMESPACE, allow_nothing_spec(), [*after, gateway], opts)
    return [gateway, deny]


def _policy(
    resource_name: str, name: str, namespace: str, spec: dict[str, Any], after: list[pulumi.Resource], opts: pulumi.ResourceOptions
) -> k8s.apiextensions.CustomResource:
    return k8s.apiextensions.CustomResource(
        resource_name,
        api_version=SECURITY_API_VERSION,
        kind="AuthorizationPolicy",
        metadata=k8s.meta.v1.ObjectMetaArgs(name=name, namespace=namespace),
        spec=spec,
        opts=pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(depends_on=after)),
    )
