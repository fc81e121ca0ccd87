"""Linkerd facts, read from what meshfleet (or anyone) gives Linkerd edge-26.8.3's charts and objects.

Linkerd keeps its trust anchors in the control-plane chart's values (`identityTrustAnchorsPEM`) and its
issuer in the `linkerd-identity-issuer` Secret (scheme `kubernetes.io/tls`), or, in the chart's default
scheme, in the values themselves (`identity.issuer.tls.crtPEM`), where the key policy finds its key.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .base import (
    RELEASE,
    SECRET,
    AdmittedIdentity,
    CaMaterial,
    ControlPlane,
    DefaultAccess,
    Exposure,
    MeshMtls,
    OwnTraffic,
    OwnTrafficAllowed,
    Resource,
    SharedArrival,
    TrustAnchors,
    chart_name,
    get,
    internal_load_balancer,
    secret_strings,
)

CONTROL_PLANE_CHART = "linkerd-control-plane"
MULTICLUSTER_CHART = "linkerd-multicluster"
ISSUER_SECRET = "linkerd-identity-issuer"
MIRROR_SECRET_TYPE = "mirror.linkerd.io/remote-kubeconfig"
# Inbound policies under which a meshed pod takes no plain text unless a Server allows it.
STRICT_POLICIES = {"all-authenticated", "deny"}
# What a `deny` default must leave open, and where edge-26.8.3 does: the control plane's pods pin
# `all-unauthenticated` (charts/linkerd-control-plane/templates/destination.yaml, identity.yaml,
# proxy-injector.yaml: the API server's webhook calls are not meshed), the multicluster gateway pins
# `all-authenticated` and ships its Server and AuthorizationPolicy (multicluster gateway.yaml,
# gateway-policy.yaml), and the policy controller authorizes kubelet probes from `policyController.probeNetworks`.
CONTROL_PLANE = "control plane"
PROBES = "kubelet probes"
GATEWAY = "multicluster gateway"
FIXES = {
    CONTROL_PLANE: "the linkerd-control-plane chart pins its pods' policy; install it from the chart",
    PROBES: "set policyController.probeNetworks to the networks kubelets probe from (the chart's default is every "
    "network), or every meshed pod fails its probes",
    GATEWAY: "install linkerd-multicluster from its chart, which pins the gateway's policy and authorizes meshed peers",
}


MESH_TLS_AUTHENTICATION = "kubernetes:policy.linkerd.io/v1alpha1:MeshTLSAuthentication"
LINKED_FIX = (
    "admit them on the services they may reach with the caller `mesh.access.linked_clusters('{cluster}')` (every "
    'workload of every linked cluster; docs/linkerd.md, "Access rules"), or accept that no call crosses clusters'
)


def _values(resource: Resource, chart: str) -> Mapping[str, Any] | None:
    """The chart's values, read key by key: at preview the trust anchors are unknown, which must not stop
    the policies that read only the replicas or the inbound policy."""
    if resource.type != RELEASE or chart_name(resource) != chart:
        return None
    return resource.props.get("values") or {}


class LinkerdFacts:
    name = "linkerd"

    def control_plane(self, resource: Resource) -> ControlPlane | None:
        values = _values(resource, CONTROL_PLANE_CHART)
        if values is None:
            return None
        return ControlPlane(
            urn=resource.urn,
            cluster_key=resource.provider_urn,
            cluster=resource.cluster,
            revision="",  # Linkerd has no revisions: one control plane per cluster
            chart_version=str(resource.props.get("version") or ""),
            mesh_id=None,  # Linkerd has no mesh id
            trust_domain=str(values.get("identityTrustDomain") or values.get("clusterDomain") or "cluster.local"),
            is_remote=False,
            replicas=int(values.get("controllerReplicas") or 1),
            disruption_budget=values.get("enablePodDisruptionBudget") is True,
        )

    def east_west_gateway(self, resource: Resource) -> Exposure | None:
        values = _values(resource, MULTICLUSTER_CHART)
        gateway = (values or {}).get("gateway") or {}
        if values is None or gateway.get("enabled", True) is False:
            return None
        return Exposure(
            urn=resource.urn,
            cluster=resource.cluster,
            service_type=str(gateway.get("serviceType") or "LoadBalancer"),
            internal=internal_load_balancer(gateway.get("serviceAnnotations") or {}),
            source_ranges=tuple(str(r) for r in gateway.get("loadBalancerSourceRanges") or ()),
        )

    def ca_material(self, resource: Resource) -> CaMaterial | None:
        if resource.type == SECRET and get(resource.props, "metadata", "name") == ISSUER_SECRET:
            data = secret_strings(resource)
            return CaMaterial(resource.urn, resource.cluster, data.get("tls.crt") or data.get("crt.pem", ""))
        values = _values(resource, CONTROL_PLANE_CHART)
        if values is not None and get(values, "identity", "issuer", "scheme", default="linkerd.io/tls") == "linkerd.io/tls":
            # The chart's default scheme: it renders the issuer Secret from these values.
            return CaMaterial(resource.urn, resource.cluster, str(get(values, "identity", "issuer", "tls", "crtPEM", default="")))
        return None

    def trust_anchors(self, resource: Resource) -> TrustAnchors | None:
        values = _values(resource, CONTROL_PLANE_CHART)
        if values is None:
            return None
        return TrustAnchors(resource.urn, resource.cluster, str(values.get("identityTrustAnchorsPEM") or ""))

    def mesh_wide_mtls(self, resource: Resource) -> MeshMtls | None:
        values = _values(resource, CONTROL_PLANE_CHART)
        if values is None:
            return None
        policy = str(get(values, "proxy", "defaultInboundPolicy", default="all-unauthenticated"))
        return MeshMtls(resource.urn, resource.provider_urn, "STRICT" if policy in STRICT_POLICIES else f"PERMISSIVE ({policy})")

    def default_access(self, resource: Resource) -> DefaultAccess | None:
        values = _values(resource, CONTROL_PLANE_CHART)
        if values is None:
            return None
        policy = str(get(values, "proxy", "defaultInboundPolicy", default="all-unauthenticated"))
        return DefaultAccess(
            resource.urn, resource.provider_urn, resource.cluster, policy == "deny", f"proxy.defaultInboundPolicy: {policy}"
        )

    def own_traffic(self, resource: Resource) -> list[OwnTraffic]:
        needs = []
        if _values(resource, CONTROL_PLANE_CHART) is not None:
            needs = [CONTROL_PLANE, PROBES]
        elif (values := _values(resource, MULTICLUSTER_CHART)) is not None and get(values, "gateway", "enabled", default=True) is not False:
            needs = [GATEWAY]
        return [OwnTraffic(resource.urn, resource.provider_urn, resource.cluster, what, {}, FIXES[what]) for what in needs]

    def own_traffic_allowed(self, resource: Resource) -> list[OwnTrafficAllowed]:
        allowed = []
        if (values := _values(resource, CONTROL_PLANE_CHART)) is not None:
            allowed.append(CONTROL_PLANE)
            if get(values, "policyController", "probeNetworks", default=["0.0.0.0/0"]):
                allowed.append(PROBES)
        elif _values(resource, MULTICLUSTER_CHART) is not None:
            allowed.append(GATEWAY)
        return [OwnTrafficAllowed(resource.urn, resource.provider_urn, what=what) for what in allowed]

    def shared_arrivals(self, resource: Resource) -> list[SharedArrival]:
        """In gateway mode the gateway opens a new connection to the target under its own identity
        (linkerd/linkerd2#9848): the one the chart annotates its Service with (multicluster gateway.yaml,
        `mirror.linkerd.io/gateway-identity`)."""
        values = _values(resource, MULTICLUSTER_CHART)
        if values is None or get(values, "gateway", "enabled", default=True) is False:
            return []
        name = str(get(values, "gateway", "name", default="linkerd-gateway"))
        namespace = str(resource.props.get("namespace") or "linkerd-multicluster")
        control_plane = str(values.get("linkerdNamespace") or "linkerd")
        trust_domain = str(values.get("identityTrustDomain") or "cluster.local")
        identity = f"{name}.{namespace}.serviceaccount.identity.{control_plane}.{trust_domain}"
        return [SharedArrival(resource.urn, resource.provider_urn, resource.cluster, identity, LINKED_FIX.format(cluster=resource.cluster))]

    def admitted_identities(self, resource: Resource) -> list[AdmittedIdentity]:
        """A MeshTLSAuthentication's `identities` (`*` and `*.<suffix>` are wildcards), and its ServiceAccount
        `identityRefs` as `<account>.<namespace>.serviceaccount.` (meshtls-authentication.yaml at edge-26.8.3)."""
        if resource.type != MESH_TLS_AUTHENTICATION:
            return []
        spec = resource.props.get("spec") or {}
        found = [AdmittedIdentity(resource.provider_urn, str(i)) for i in spec.get("identities") or ()]
        for ref in spec.get("identityRefs") or ():
            if ref.get("kind") == "ServiceAccount" and ref.get("name"):
                namespace = ref.get("namespace") or get(resource.props, "metadata", "namespace", default="default")
                found.append(AdmittedIdentity(resource.provider_urn, f"{ref['name']}.{namespace}.serviceaccount.*"))
        return found

    def failover_without_outlier_detection(self, resource: Resource) -> list[str]:
        return []  # Linkerd has no locality failover to misconfigure

    def remote_kubeconfigs(self, resource: Resource) -> list[tuple[str, str]]:
        if resource.type != SECRET or resource.props.get("type") != MIRROR_SECRET_TYPE:
            return []
        return sorted(secret_strings(resource).items())

    def secret_material(self, value: str) -> str | None:
        return None  # Linkerd hands no credential across clusters but link kubeconfigs, checked on their own
