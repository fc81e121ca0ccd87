"""Helm values and custom-resource specs for Linkerd edge-26.8.3, as plain functions of the validated config.

Every value path and field here exists at that tag of linkerd/linkerd2 (charts/linkerd-control-plane,
charts/linkerd-crds, multicluster/charts/linkerd-multicluster, controller/gen/apis/link/v1alpha3);
Helm silently ignores a mistyped value, so tests/golden/linkerd.helm-values.yaml pins what each
cluster receives.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pulumi

from meshfleet_appteam.linkerd.values import GATEWAY_NAME, MULTICLUSTER_NAMESPACE, NAMESPACE, proxy_identity

from ...config import ClusterSpec, MeshSpec, ObservabilitySpec
from ...gateways import gateway_annotations
from ...observability.scrape import ScrapeTarget

ISSUER_SECRET = "linkerd-identity-issuer"
ISSUER_SCHEME = "kubernetes.io/tls"
GATEWAY_PORT = 4143
PROBE_PORT = 4191
PROBE_PATH = "/ready"
PROBE_SECONDS = 3
# proxy-injector and sp-validator (8443), policy-validator (9443): called by the API server.
WEBHOOK_PORTS = (8443, 9443)
# The service account the multicluster chart makes in every cluster for its peers to read it with
# (remoteMirrorServiceAccountName's default; multicluster/cmd/root.go defaultServiceAccountName).
REMOTE_ACCESS_ACCOUNT = "linkerd-service-mirror-remote-access-default"
# EKS and GKE cannot change the cluster domain, and adopted clusters are expected to keep it.
CLUSTER_DOMAIN = "cluster.local"
# The label app teams put on a Service to mirror it into the other clusters (link-gen's `selector`).
EXPORTED_LABEL = "mirror.linkerd.io/exported"
INJECTION_ANNOTATIONS = {"linkerd.io/inject": "enabled"}


def identity_name(trust_domain: str) -> str:
    """The identity controller's name, which upstream's examples give the issuer as its CN
    (controller/cmd/identity/main.go `identity.%s.%s`; bin/certs-openssl)."""
    return f"identity.{NAMESPACE}.{trust_domain}"


def gateway_identity(trust_domain: str) -> str:
    """What the gateway Service's `mirror.linkerd.io/gateway-identity` annotation says, and the Link repeats."""
    return proxy_identity(GATEWAY_NAME, MULTICLUSTER_NAMESPACE, trust_domain)


# --- namespaces: what the charts render only under the CLI (templates/namespace.yaml of each chart) ---


def control_plane_namespace_labels() -> dict[str, str]:
    return {
        "linkerd.io/is-control-plane": "true",
        "config.linkerd.io/admission-webhooks": "disabled",
        "linkerd.io/control-plane-ns": NAMESPACE,
        # linkerd-init needs NET_ADMIN without the CNI plugin (`cniEnabled: false`, the chart default).
        "pod-security.kubernetes.io/enforce": "privileged",
    }


def control_plane_namespace_annotations() -> dict[str, str]:
    return {"linkerd.io/inject": "disabled"}


def multicluster_namespace_labels() -> dict[str, str]:
    return {"linkerd.io/extension": "multicluster", "pod-security.kubernetes.io/enforce": "privileged"}


# --- charts ------------------------------------------------------------------------------------------


def crds_values() -> dict[str, Any]:
    # Gateway API CRDs are not the mesh's to own (installGatewayAPI defaults to false, said here so a
    # reviewer sees it): meshfleet routes with policy.linkerd.io HTTPRoutes, which linkerd-crds ships.
    return {"installGatewayAPI": False}


def _control_plane_ha(replicas: int) -> dict[str, Any]:
    """charts/linkerd-control-plane/values-ha.yaml with `controllerReplicas` = the configured replicas.
    (`controllerResources` there is only a YAML anchor for the per-component resources below.)"""
    controller = {"cpu": {"limit": "", "request": "100m"}, "memory": {"limit": "250Mi", "request": "50Mi"}}
    return {
        "enablePodDisruptionBudget": True,
        "controller": {"podDisruptionBudget": {"maxUnavailable": 1}},
        "deploymentStrategy": {"rollingUpdate": {"maxUnavailable": 1, "maxSurge": "25%"}},
        "enablePodAntiAffinity": True,
        "controllerReplicas": replicas,
        "destinationResources": controller,
        "identityResources": {"cpu": {"limit": "", "request": "100m"}, "memory": {"limit": "250Mi", "request": "10Mi"}},
        "heartbeatResources": controller,
        "proxyInjectorResources": controller,
        "webhookFailurePolicy": "Fail",
        "spValidatorResources": controller,
        "highAvailability": True,  # read by `linkerd check`
    }


def default_inbound_policy(mesh: MeshSpec) -> str:
    """Mesh-wide STRICT: a meshed pod accepts only mTLS-authenticated clients unless a Server says otherwise;
    `mesh.defaultAccess: deny` refuses every client no Server authorizes (access.py says what stays open).
    Kubelet probes stay authorized either way (the policy controller synthesizes them)."""
    if mesh.default_access == "deny":
        return "deny"
    return "all-authenticated" if mesh.mtls == "STRICT" else "all-unauthenticated"


ACCESS_LOG_FORMAT = "json"
"""LINKERD2_PROXY_ACCESS_LOG (charts/partials/templates/_proxy.tpl renders it from `proxy.accessLog`)."""
# The injector labels every meshed pod with its control plane's namespace (pkg/k8s/labels.go
# ControllerNSLabel); the proxy serves its metrics on the admin port (`linkerd-admin`, 4191).
SCRAPE_TARGET = ScrapeTarget(
    namespace=NAMESPACE,
    port="linkerd-admin",
    path="/metrics",
    selector={"matchExpressions": [{"key": "linkerd.io/control-plane-ns", "operator": "Exists"}]},
)


def proxy_telemetry_values(observability: ObservabilitySpec) -> dict[str, Any]:
    """`proxy.tracing` and `proxy.accessLog` of the control-plane chart (values.yaml at edge-26.8.3). The
    proxy checks the collector's mesh identity, which the chart requires (_proxy.tpl fails without it)."""
    proxy: dict[str, Any] = {}
    tracing = observability.tracing
    if tracing is not None:
        identity = {"serviceAccountName": tracing.collector_service_account, "namespace": tracing.namespace}
        proxy["tracing"] = {"enabled": True, "collector": {"endpoint": tracing.endpoint, "meshIdentity": identity}}
    if observability.access_logs:
        proxy["accessLog"] = ACCESS_LOG_FORMAT
    return proxy


def control_plane_values(
    mesh: MeshSpec, trust_anchors_pem: pulumi.Input[str], observability: ObservabilitySpec | None = None
) -> dict[str, Any]:
    proxy: dict[str, Any] = {"defaultInboundPolicy": default_inbound_policy(mesh)}
    values: dict[str, Any] = {
        # The whole root bundle: a root rotation is a bundle change, which rolls the control plane
        # (linkerd.io/trust-root-sha256 pod annotation) and reaches new workloads through the injector.
        "identityTrustAnchorsPEM": trust_anchors_pem,
        "identityTrustDomain": mesh.trust_domain,
        # The issuer comes from the `linkerd-identity-issuer` Secret this program writes (tls.crt, tls.key);
        # the chart renders no issuer Secret and its key never enters the release's values.
        "identity": {"issuer": {"scheme": ISSUER_SCHEME}},
    }
    if mesh.control_plane_replicas > 1:
        values.update(_control_plane_ha(mesh.control_plane_replicas))
        # values-ha.yaml's proxy requests, beside the inbound policy.
        proxy["resources"] = {"cpu": {"request": "100m"}, "memory": {"limit": "250Mi", "request": "20Mi"}}
    if observability is not None:
        proxy.update(proxy_telemetry_values(observability))
    values["proxy"] = proxy
    return values


def multicluster_values(
    mesh: MeshSpec, cluster: ClusterSpec, sources: pulumi.Input[list[str]] | None, linked: Sequence[str]
) -> dict[str, Any]:
    """The linkerd-multicluster chart: the gateway other clusters reach, and one service-mirror
    controller per cluster this one links to (`controllers[].link.ref.name` = the Link's name)."""
    gateway: dict[str, Any] = {"enabled": True, "replicas": cluster.gateway.replicas}
    annotations = gateway_annotations(cluster)
    if annotations:
        gateway["serviceAnnotations"] = annotations
    if sources is not None:
        gateway["loadBalancerSourceRanges"] = sources
    values: dict[str, Any] = {
        "identityTrustDomain": mesh.trust_domain,  # the gateway's identity annotation is built from it
        "gateway": gateway,
        "controllers": [{"link": {"ref": {"name": target}}} for target in linked],
    }
    if cluster.gateway.replicas > 1:
        # multicluster values-ha.yaml: spread the gateway (and the controllers) and give each a
        # maxUnavailable-1 disruption budget; the replica count is the cluster's gateway setting.
        values["enablePodAntiAffinity"] = True
    return values


# --- links: what `linkerd multicluster link-gen` would print, run against the target ---------------


def credentials_secret_name(target: str) -> str:
    """The only Secret `controller-<target>` may read (templates/controller/rbac.yaml resourceNames)."""
    return f"cluster-credentials-{target}"


def destination_credentials_labels(target: str) -> dict[str, str]:
    return {"multicluster.linkerd.io/cluster-name": target}


def destination_credentials_annotations(trust_domain: str) -> dict[str, str]:
    """The target's identity trust domain and cluster domain, from its linkerd-config (link-gen.go)."""
    return {"multicluster.linkerd.io/trust-domain": trust_domain, "multicluster.linkerd.io/cluster-domain": CLUSTER_DOMAIN}


LINK_API_VERSION = "multicluster.linkerd.io/v1alpha3"
CREATED_BY = "linkerd.io/created-by"


def created_by(chart_version: str) -> str:
    """What link-gen annotates a Link with, `linkerd/cli <version>` (pkg/k8s/labels.go:543-545 at edge-26.8.3),
    which `linkerd multicluster check` compares with its own version ("Link and CLI versions match",
    multicluster/cmd/check.go:362-385): the CLI of chart `2026.8.3` is `edge-26.8.3` (bin/compute-edge-version)."""
    year, month, number = chart_version.split(".")[:3]
    return f"linkerd/cli edge-{int(year) % 100}.{int(month)}.{number}"


def link_spec(target: str, trust_domain: str, gateway_address: pulumi.Input[str], generation: int) -> dict[str, Any]:
    """A v1alpha3 Link to `target` through its gateway (controller/gen/apis/link/v1alpha3/types.go), which
    names the credentials' generation so that a rotation changes the spec (see `credentials_generation_marker`)."""
    return {
        "targetClusterName": target,
        "targetClusterDomain": CLUSTER_DOMAIN,
        "targetClusterLinkerdNamespace": NAMESPACE,
        "clusterCredentialsSecret": credentials_secret_name(target),
        # An IP or an NLB hostname; the service mirror resolves hostnames itself.
        "gatewayAddress": gateway_address,
        "gatewayPort": str(GATEWAY_PORT),
        "gatewayIdentity": gateway_identity(trust_domain),
        # link-gen turns the gateway's `mirror.linkerd.io/probe-period: "3"` into a duration.
        "probeSpec": {"path": PROBE_PATH, "port": str(PROBE_PORT), "period": f"{PROBE_SECONDS}s"},
        # An empty selector exports nothing; these are link-gen's defaults.
        "selector": {"matchLabels": {EXPORTED_LABEL: "true"}},
        "remoteDiscoverySelector": {"matchLabels": {EXPORTED_LABEL: "remote-discovery"}},
        "federatedServiceSelector": {"matchLabels": {"mirror.linkerd.io/federated": "member"}},
        "excludedAnnotations": [credentials_generation_marker(generation)],
    }


CREDENTIALS_GENERATION = "meshfleet.io/link-credentials-generation"


def credentials_generation_marker(generation: int) -> str:
    """The Link's one `excludedAnnotations` entry: an annotation key no Service carries, so excluding it from
    mirrored Services changes nothing, but its generation suffix makes a token rotation a Link spec change.
    The service mirror re-reads `cluster-credentials-<target>` only when it restarts its cluster watcher,
    which it does on a Link spec change and on nothing else (multicluster/service-mirror/link_handlers.go:38,
    multicluster/cmd/service-mirror/main.go:196-203 at edge-26.8.3); it watches no Secret."""
    return f"{CREDENTIALS_GENERATION}-{generation}"


def restart_annotations(generation: int) -> dict[str, str]:
    """Pod-template annotation that restarts the destination controller when the link tokens are rotated:
    its cluster store handles Secret additions and deletions only, not updates
    (controller/api/destination/watcher/cluster_store.go:113-165 at edge-26.8.3)."""
    return {CREDENTIALS_GENERATION: str(generation)}
