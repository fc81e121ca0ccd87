"""Helm values and custom-resource specs for Istio 1.30, as plain functions of the validated config.

Every path here exists in the pinned charts (../shared/reference/istio.md and the istio/istio files it
cites); Helm silently ignores a mistyped value, so tests/golden/ pins what each cluster receives.
"""

from __future__ import annotations

from typing import Any

import pulumi

from ...config import ClusterSpec, MeshSpec, ObservabilitySpec
from ...gateways import load_balancer_annotations
from ...observability.scrape import ScrapeTarget
from .settings import IstioSettings, Revision

NAMESPACE = "istio-system"
EASTWEST_NAME = "istio-eastwestgateway"
# The selector of the cross-network Gateway and of the istiod-exposing Gateway.
EASTWEST_SELECTOR = {"istio": "eastwestgateway"}
CROSS_NETWORK_PORT = 15443
DISCOVERY_PORT = 15012
WEBHOOK_PORT = 15017


def namespace_labels(cluster: ClusterSpec) -> dict[str, str]:
    # istiod takes an endpoint's network from this label when the pod has none.
    return {"topology.istio.io/network": cluster.network}


def namespace_annotations(cluster: ClusterSpec) -> dict[str, str]:
    # Lets the primary (with EXTERNAL_ISTIOD) manage the remote's webhooks and ConfigMaps.
    return {"topology.istio.io/controlPlaneClusters": cluster.primary} if cluster.primary else {}


def base_values(settings: IstioSettings, cluster: ClusterSpec) -> dict[str, Any]:
    values: dict[str, Any] = {
        # istiod-default-validator calls istiod-<defaultRevision>; with only revisioned control planes
        # the chart default ("default" -> service `istiod`) would point at nothing.
        "defaultRevision": settings.default_revision.name,
    }
    if not cluster.is_primary:
        values["profile"] = "remote"
    return values


def _global_values(mesh: MeshSpec, cluster: ClusterSpec) -> dict[str, Any]:
    return {
        "meshID": mesh.mesh_id,
        "multiCluster": {"clusterName": cluster.name},
        "network": cluster.network,
    }


def mesh_config(mesh: MeshSpec, observability: ObservabilitySpec | None = None) -> dict[str, Any]:
    locality: dict[str, Any] = {"enabled": True}
    if mesh.locality_failover:
        locality["failover"] = [{"from": f.from_region, "to": f.to_region} for f in mesh.locality_failover]
    config: dict[str, Any] = {
        "trustDomain": mesh.trust_domain,
        "defaultConfig": {
            # Lets proxies take a changed root bundle over xDS during a root rotation
            # (tests/integration/security/cacert_rotation in istio/istio).
            "proxyMetadata": {"PROXY_CONFIG_XDS_AGENT": "true"},
        },
        "localityLbSetting": locality,
    }
    tracing = observability.tracing if observability else None
    if tracing is not None:
        # The collector as a named provider; the mesh-wide Telemetry (telemetry_spec) turns it on.
        config["extensionProviders"] = [{"name": TRACING_PROVIDER, "opentelemetry": {"service": tracing.host, "port": tracing.port}}]
    return config


TRACING_PROVIDER = "meshfleet-otlp"
ACCESS_LOG_PROVIDER = "envoy"
"""Istio's built-in provider: the proxy's stdout, in Istio's default format."""
TELEMETRY_NAME = "mesh-default"
# Every injected pod carries this label (injection-template.yaml); its proxy serves Envoy's and Istio's
# metrics on the named port (15090).
SCRAPE_TARGET = ScrapeTarget(
    namespace=NAMESPACE,
    port="http-envoy-prom",
    path="/stats/prometheus",
    selector={"matchExpressions": [{"key": "security.istio.io/tlsMode", "operator": "Exists"}]},
)


def telemetry_spec(observability: ObservabilitySpec) -> dict[str, Any] | None:
    """The root namespace's `Telemetry` (telemetry.istio.io/v1): tracing and access logs for the whole
    mesh; None when neither is asked for. Metrics need nothing: Istio's proxies serve them by default."""
    spec: dict[str, Any] = {}
    if observability.tracing is not None:
        tracing: dict[str, Any] = {"providers": [{"name": TRACING_PROVIDER}]}
        if observability.tracing.sampling_percent is not None:
            tracing["randomSamplingPercentage"] = observability.tracing.sampling_percent
        spec["tracing"] = [tracing]
    if observability.access_logs:
        spec["accessLogging"] = [{"providers": [{"name": ACCESS_LOG_PROVIDER}]}]
    return spec or None


def istiod_values(
    mesh: MeshSpec, revision: Revision, cluster: ClusterSpec, serves_remotes: bool, observability: ObservabilitySpec | None = None
) -> dict[str, Any]:
    """A primary's control plane revision."""
    global_values = _global_values(mesh, cluster)
    if serves_remotes:
        global_values["externalIstiod"] = True
    replicas = mesh.control_plane_replicas
    # A one-replica control plane with a minAvailable-1 budget would block every node drain.
    global_values["defaultPodDisruptionBudget"] = {"enabled": replicas > 1}
    return {
        "revision": revision.name,
        "revisionTags": list(revision.tags),
        "global": global_values,
        "meshConfig": mesh_config(mesh, observability),
        # Accept a root-cert.pem that adds or drops roots (istiod's handleEvent); without it a
        # root rotation is refused ("Updating new ROOT-CA not supported").
        "env": {"ISTIO_MULTIROOT_MESH": "true"},
        # The HPA owns the replica count (autoscaleEnabled defaults to true); its floor is the HA size,
        # and the chart's PodDisruptionBudget (minAvailable 1) keeps one running through drains.
        "autoscaleMin": replicas,
        "autoscaleMax": max(5, replicas),
    }


def remote_istiod_values(
    mesh: MeshSpec, revision: Revision, cluster: ClusterSpec, remote_pilot_address: pulumi.Input[str]
) -> dict[str, Any]:
    """A remote cluster's revision: webhooks and a stub `istiod-<rev>` Service pointing at the primary's gateway."""
    global_values = _global_values(mesh, cluster)
    global_values["remotePilotAddress"] = remote_pilot_address
    global_values["configCluster"] = True
    return {
        "profile": "remote",
        "revision": revision.name,
        "revisionTags": list(revision.tags),
        "global": global_values,
        # The primary's istiod reads the cluster and network of injected proxies from this path.
        "istiodRemote": {"injectionPath": f"/inject/cluster/{cluster.name}/net/{cluster.network}"},
    }


def eastwest_gateway_values(cluster: ClusterSpec, revision: str, sources: pulumi.Input[list[str]] | None) -> dict[str, Any]:
    replicas = cluster.gateway.replicas
    service: dict[str, Any] = {"type": "LoadBalancer"}
    annotations = load_balancer_annotations(cluster.cloud, cluster.gateway.exposure)
    if annotations:
        service["annotations"] = annotations
    if sources is not None:
        service["loadBalancerSourceRanges"] = sources
    values: dict[str, Any] = {
        "name": EASTWEST_NAME,
        # Labels the pods and Service with the network and builds the network ports (15021, 15443,
        # 15012, 15017) from the chart's networkGatewayPorts defaults.
        "networkGateway": cluster.network,
        "revision": revision,
        "labels": dict(EASTWEST_SELECTOR),
        "service": service,
        "autoscaling": {"enabled": True, "minReplicas": replicas, "maxReplicas": max(5, replicas)},
    }
    if replicas > 1:  # the chart renders a PodDisruptionBudget only above one replica
        values["podDisruptionBudget"] = {"minAvailable": 1}
    return values


def cross_network_gateway_spec() -> dict[str, Any]:
    """samples/multicluster/expose-services.yaml: services reach this network through the gateway by SNI."""
    return {
        "selector": dict(EASTWEST_SELECTOR),
        "servers": [
            {
                "port": {"number": CROSS_NETWORK_PORT, "name": "tls", "protocol": "TLS"},
                "tls": {"mode": "AUTO_PASSTHROUGH"},
                "hosts": ["*.local"],
            }
        ],
    }


def peer_authentication_spec(mesh: MeshSpec) -> dict[str, Any]:
    return {"mtls": {"mode": mesh.mtls}}
