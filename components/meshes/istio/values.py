"""Helm values and custom-resource specs for Istio 1.30, as plain functions of the validated config.

Every path here exists in the pinned charts (../shared/reference/istio.md and the istio/istio files it
cites); Helm silently ignores a mistyped value, so tests/golden/ pins what each cluster receives.
"""

from __future__ import annotations

from typing import Any

import pulumi

from ...config import ClusterSpec, MeshSpec, ObservabilitySpec
from ...gateways import gateway_annotations
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


# A remote's validators call istiod through the stub Service, and no istiod patches their caBundle there:
# Helm renders them `Ignore` only on install (`not .Release.IsUpgrade`), so the first upgrade would make
# them fail closed on a webhook that cannot be verified. Both charts read `base.validationFailurePolicy`
# (base templates/defaultrevision-validatingwebhookconfiguration.yaml, istiod
# templates/validatingwebhookconfiguration.yaml); the primary validates the config it reads anyway.
REMOTE_VALIDATION = {"validationFailurePolicy": "Ignore"}


def base_values(settings: IstioSettings, cluster: ClusterSpec) -> dict[str, Any]:
    values: dict[str, Any] = {
        # istiod-default-validator calls istiod-<defaultRevision>; with only revisioned control planes
        # the chart default ("default" -> service `istiod`) would point at nothing.
        "defaultRevision": settings.default_revision.name,
    }
    if not cluster.is_primary:
        values["profile"] = "remote"
        values["base"] = dict(REMOTE_VALIDATION)
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
# Gateways are injected with the gateway template, which adds no tlsMode label (1.30.3
# istio-discovery/files/gateway-injection-template.yaml); the gateway chart labels them `istio: <name>`
# (gateway/templates/_helpers.tpl selectorLabels) and names 15090 `http-envoy-prom` (deployment.yaml).
# istiod carries `istio: pilot` but no such port, so it is not scraped.
GATEWAY_SCRAPE_TARGET = ScrapeTarget(
    namespace=NAMESPACE,
    port="http-envoy-prom",
    path="/stats/prometheus",
    selector={"matchExpressions": [{"key": "istio", "operator": "Exists"}]},
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
        "global": global_values,
        # The primary's istiod reads the cluster and network of injected proxies from this path.
        "istiodRemote": {"injectionPath": injection_path(cluster)},
        "base": dict(REMOTE_VALIDATION),
    }


def injection_path(cluster: ClusterSpec) -> str:
    """Where a cluster's injection webhooks call istiod: a remote's path tells its primary's istiod the
    cluster and network of the pods (pkg/kube/inject/webhook.go `URLParameterToEnv`)."""
    return "/inject" if cluster.is_primary else f"/inject/cluster/{cluster.name}/net/{cluster.network}"


# --- revision tags -------------------------------------------------------------------------------------
# The istiod chart's `revisionTags` would make the release of each revision own its tags' objects, so a
# tag moved between two releases that both keep tags is claimed by one before the other lets go, and Helm's
# ownership check fails. The objects are made on their own instead, as `istioctl tag set` renders them
# (templates/revision-tags-mwc.yaml and revision-tags-svc.yaml of the 1.30 istiod chart): one webhook
# configuration and one Service per tag, whose names do not depend on the revision, so moving a tag is an
# update of those objects, in any order of moves, swaps and rollbacks.


def revision_tag_webhook_name(tag: str) -> str:
    return f"istio-revision-tag-{tag}"


def revision_tag_service_name(tag: str) -> str:
    return f"istiod-revision-tag-{tag}"


def revision_tag_labels(tag: str, revision: Revision) -> dict[str, str]:
    # istiod patches the caBundle only of webhook configurations labelled with its own revision
    # (pkg/webhooks/webhookpatch.go), so the label moves with the tag.
    return {"istio.io/tag": tag, "istio.io/rev": revision.name, "app": "sidecar-injector"}


def _injector(
    prefix: str, revision: Revision, path: str, namespaces: list[dict[str, Any]], objects: list[dict[str, Any]]
) -> dict[str, Any]:
    return {
        "name": f"{prefix}sidecar-injector.istio.io",
        "clientConfig": {"service": {"name": f"istiod-{revision.name}", "namespace": NAMESPACE, "path": path, "port": 443}},
        "sideEffects": "None",
        "rules": [{"operations": ["CREATE"], "apiGroups": [""], "apiVersions": ["v1"], "resources": ["pods"]}],
        "failurePolicy": "Fail",
        "reinvocationPolicy": "Never",
        "admissionReviewVersions": ["v1"],
        "namespaceSelector": {"matchExpressions": namespaces},
        "objectSelector": {"matchExpressions": objects},
    }


def _label(key: str, operator: str, *values: str) -> dict[str, Any]:
    return {"key": key, "operator": operator, **({"values": list(values)} if values else {})}


def revision_tag_webhooks(tag: str, revision: Revision, cluster: ClusterSpec) -> list[dict[str, Any]]:
    """The injection webhooks of one tag: namespaces labelled `istio.io/rev=<tag>` and pods labelled so;
    the `default` tag also serves `istio-injection=enabled` and `sidecar.istio.io/inject=true`."""
    path = injection_path(cluster)
    not_opted_out = _label("sidecar.istio.io/inject", "NotIn", "false")
    webhooks = [
        _injector(
            "rev.namespace.",
            revision,
            path,
            [_label("istio.io/rev", "In", tag), _label("istio-injection", "DoesNotExist")],
            [not_opted_out],
        ),
        _injector(
            "rev.object.",
            revision,
            path,
            [_label("istio.io/rev", "DoesNotExist"), _label("istio-injection", "DoesNotExist")],
            [not_opted_out, _label("istio.io/rev", "In", tag)],
        ),
    ]
    if tag == "default":
        webhooks += [
            _injector("namespace.", revision, path, [_label("istio-injection", "In", "enabled")], [not_opted_out]),
            _injector(
                "object.",
                revision,
                path,
                [_label("istio-injection", "DoesNotExist"), _label("istio.io/rev", "DoesNotExist")],
                [_label("sidecar.istio.io/inject", "In", "true"), _label("istio.io/rev", "DoesNotExist")],
            ),
        ]
    return webhooks


def revision_tag_service_spec(revision: Revision) -> dict[str, Any]:
    """The tag's Service selects the revision's istiod pods, on istiod's own ports."""
    return {
        "ports": [
            {"port": 15010, "name": "grpc-xds", "protocol": "TCP"},
            {"port": DISCOVERY_PORT, "name": "https-dns", "protocol": "TCP"},
            {"port": 443, "name": "https-webhook", "targetPort": WEBHOOK_PORT, "protocol": "TCP"},
            {"port": 15014, "name": "http-monitoring", "protocol": "TCP"},
        ],
        "selector": {"app": "istiod", "istio.io/rev": revision.name},
    }


def eastwest_gateway_values(cluster: ClusterSpec, revision: str, sources: pulumi.Input[list[str]] | None) -> dict[str, Any]:
    replicas = cluster.gateway.replicas
    service: dict[str, Any] = {"type": "LoadBalancer"}
    annotations = gateway_annotations(cluster)
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
