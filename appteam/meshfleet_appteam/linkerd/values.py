"""The Linkerd edge-26.8.3 names an app team's access rules need: where the multicluster gateway runs and
how a meshed pod's identity is spelled. The fleet's Helm values (meshfleet's
components/meshes/linkerd/values.py) use the same constants."""

from __future__ import annotations

NAMESPACE = "linkerd"
MULTICLUSTER_NAMESPACE = "linkerd-multicluster"
GATEWAY_NAME = "linkerd-gateway"


def proxy_identity(service_account: str, namespace: str, trust_domain: str) -> str:
    """A meshed pod's TLS identity (its certificate's one DNS name; charts/partials/templates/_proxy.tpl)."""
    return f"{service_account}.{namespace}.serviceaccount.identity.{NAMESPACE}.{trust_domain}"
