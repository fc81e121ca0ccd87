"""Istio facts, read from what meshfleet (or anyone) gives Istio 1.30's charts and custom resources."""

from __future__ import annotations

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

ROOT_NAMESPACE = "istio-system"
EASTWEST_FIX = (
    "add an AuthorizationPolicy in istio-system that selects the gateway's pods with `rules: [{}]` (it forwards mTLS "
    "untouched; the destination's sidecar checks the caller), as meshfleet does with mesh.defaultAccess: deny"
)


def _values(resource: Resource) -> dict[str, Any]:
    values = resource.props.get("values") or {}
    # The istiod chart merges `pilot.*` over the top level (templates/zzy_descope_legacy.yaml).
    return {**dict(values), **dict(values.get("pilot") or {})}


def _authorization_policy(resource: Resource) -> dict[str, Any] | None:
    """The spec of an AuthorizationPolicy in the root namespace, which applies to the whole mesh."""
    if not (resource.type.startswith("kubernetes:security.istio.io/") and resource.type.endswith(":AuthorizationPolicy")):
        return None
    if get(resource.props, "metadata", "namespace") != ROOT_NAMESPACE:
        return None
    return dict(resource.props.get("spec") or {})


def _gateway_pod_labels(values: dict[str, Any]) -> dict[str, str]:
    """The gateway chart's pod labels (templates/_helpers.tpl gateway.selectorLabels, plus `labels`)."""
    name = str(values.get("name") or "istio-gateway")
    return {"app": name, "istio": name.removeprefix("istio-"), **{str(k): str(v) for k, v in dict(values.get("labels") or {}).items()}}


def _cacerts(resource: Resource) -> dict[str, str] | None:
    """The files of istiod's plug-in CA Secret."""
    if resource.type != SECRET or get(resource.props, "metadata", "name") != "cacerts":
        return None
    return secret_strings(resource)


class IstioFacts:
    name = "istio"

    def control_plane(self, resource: Resource) -> ControlPlane | None:
        if resource.type != RELEASE or chart_name(resource) != "istiod":
            return None
        values = _values(resource)
        global_values = values.get("global") or {}
        remote = values.get("profile") == "remote" or global_values.get("profile") == "remote"
        autoscaled = values.get("autoscaleEnabled", True) is not False
        replicas = int(values.get("autoscaleMin", 1) if autoscaled else values.get("replicaCount", 1))
        return ControlPlane(
            urn=resource.urn,
            cluster_key=resource.provider_urn,
            cluster=str(get(global_values, "multiCluster", "clusterName") or resource.cluster),
            revision=str(values.get("revision") or ""),
            chart_version=str(resource.props.get("version") or ""),
            mesh_id=global_values.get("meshID"),
            trust_domain=get(values, "meshConfig", "trustDomain"),
            is_remote=remote,
            replicas=replicas,
            disruption_budget=get(global_values, "defaultPodDisruptionBudget", "enabled", default=True) is not False,
        )

    def east_west_gateway(self, resource: Resource) -> Exposure | None:
        if chart_name(resource) != "gateway":
            return None
        values = _values(resource)
        if not values.get("networkGateway"):
            return None  # an ingress gateway, not east-west
        service = values.get("service") or {}
        annotations = {**dict(values.get("annotations") or {}), **dict(service.get("annotations") or {})}
        return Exposure(
            urn=resource.urn,
            cluster=resource.cluster,
            service_type=str(service.get("type") or "LoadBalancer"),
            internal=internal_load_balancer(annotations),
            source_ranges=tuple(str(r) for r in service.get("loadBalancerSourceRanges") or ()),
        )

    def ca_material(self, resource: Resource) -> CaMaterial | None:
        data = _cacerts(resource)
        if data is None:
            return None
        # The kubernetes.io/tls form (tls.crt, ca.crt) istiod also accepts (pilot/pkg/bootstrap/istio_ca.go).
        return CaMaterial(resource.urn, resource.cluster, data.get("ca-cert.pem", data.get("tls.crt", "")))

    def trust_anchors(self, resource: Resource) -> TrustAnchors | None:
        data = _cacerts(resource)
        if data is None:
            return None
        return TrustAnchors(resource.urn, resource.cluster, data.get("root-cert.pem", data.get("ca.crt", "")))

    def mesh_wide_mtls(self, resource: Resource) -> MeshMtls | None:
        if not (resource.type.startswith("kubernetes:security.istio.io/") and resource.type.endswith(":PeerAuthentication")):
            return None
        if get(resource.props, "metadata", "namespace") != ROOT_NAMESPACE or get(resource.props, "spec", "selector"):
            return None  # namespace- or workload-wide, not mesh-wide
        return MeshMtls(resource.urn, resource.provider_urn, str(get(resource.props, "spec", "mtls", "mode") or "PERMISSIVE"))

    def failover_without_outlier_detection(self, resource: Resource) -> list[str]:
        if not (resource.type.startswith("kubernetes:networking.istio.io/") and resource.type.endswith(":DestinationRule")):
            return []
        spec = resource.props.get("spec") or {}
        top = spec.get("trafficPolicy") or {}
        places = [("trafficPolicy", top, top)]
        places += [(f"subsets[{s.get('name')}].trafficPolicy", s.get("trafficPolicy") or {}, top) for s in spec.get("subsets") or []]
        places += [(f"trafficPolicy.portLevelSettings[{get(p, 'port', 'number')}]", p, top) for p in top.get("portLevelSettings") or []]
        problems = []
        for where, policy, fallback in places:
            locality = get(policy, "loadBalancer", "localityLbSetting") or {}
            fails_over = bool(locality.get("failover") or locality.get("failoverPriority"))
            if fails_over and not (policy.get("outlierDetection") or fallback.get("outlierDetection")):
                problems.append(where)
        return problems

    def remote_kubeconfigs(self, resource: Resource) -> list[tuple[str, str]]:
        if resource.type != SECRET or get(resource.props, "metadata", "labels", "istio/multiCluster") != "true":
            return []
        return sorted(secret_strings(resource).items())

    def default_access(self, resource: Resource) -> DefaultAccess | None:
        spec = _authorization_policy(resource)
        if spec is None or spec.get("selector") or spec.get("targetRef") or spec.get("targetRefs"):
            return None  # not mesh-wide
        if spec.get("action", "ALLOW") != "ALLOW" or spec.get("rules") or spec.get("provider"):
            return None
        # An ALLOW policy that matches nothing, for every workload: Istio's allow-nothing.
        return DefaultAccess(
            resource.urn, resource.provider_urn, resource.cluster, True, f"allow-nothing AuthorizationPolicy {resource.name}"
        )

    def own_traffic(self, resource: Resource) -> list[OwnTraffic]:
        if chart_name(resource) != "gateway":
            return []
        values = _values(resource)
        if not values.get("networkGateway"):
            return []  # an ingress gateway: the user's own traffic, for the user's own rules
        return [
            OwnTraffic(
                resource.urn, resource.provider_urn, resource.cluster, "east-west gateway", _gateway_pod_labels(values), EASTWEST_FIX
            )
        ]

    def own_traffic_allowed(self, resource: Resource) -> list[OwnTrafficAllowed]:
        spec = _authorization_policy(resource)
        if spec is None or spec.get("action", "ALLOW") != "ALLOW" or spec.get("targetRef") or spec.get("targetRefs"):
            return []
        if not any(rule in ({}, None) for rule in spec.get("rules") or []):
            return []  # only a rule without conditions lets every request of the mesh's own through
        selector = {str(k): str(v) for k, v in dict(get(spec, "selector", "matchLabels", default={})).items()}
        return [OwnTrafficAllowed(resource.urn, resource.provider_urn, selector=selector)]

    def shared_arrivals(self, resource: Resource) -> list[SharedArrival]:
        return []  # Istio's east-west gateway passes the caller's mTLS through: callers keep their identity

    def admitted_identities(self, resource: Resource) -> list[AdmittedIdentity]:
        return []

    def secret_material(self, value: str) -> str | None:
        return None  # Istio hands no credential across clusters but remote kubeconfigs, checked on their own
