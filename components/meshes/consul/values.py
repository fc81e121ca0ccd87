"""Helm values and custom-resource specs for consul-k8s 2.0.3, as plain functions of the validated config.

Every value path and field here exists in hashicorp/consul-k8s at v2.0.3 (`charts/consul/values.yaml`,
`control-plane/api/v1alpha1/*_types.go`; docs/consul.md cites each). Helm silently ignores a mistyped
value and the API server prunes an unknown field, so tests/golden/consul.helm-values.yaml pins what each
cluster receives.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from typing import Any

import pulumi
import yaml

# The names app teams' config entries are written with (meshfleet_appteam.consul), the fleet's objects too.
from meshfleet_appteam.consul.values import API_VERSION as API_VERSION
from meshfleet_appteam.consul.values import peer_name as peer_name

from ...config import ClusterSpec, MeshSpec, ObservabilitySpec, TracingSpec
from ...gateways import gateway_annotations
from ...observability.scrape import ScrapeTarget

NAMESPACE = "consul"
RELEASE = "consul"
# `global.name`: the chart's prefix for every object it makes (`consul-mesh-gateway`, ...); without it
# the prefix would be `<release>-consul`.
FULLNAME = "consul"
MESH_GATEWAY_SERVICE = f"{FULLNAME}-mesh-gateway"

WEBHOOK_PORT = 8080
"""The connect injector's container port (Service 443): it admits pods and every Consul custom resource."""
MESH_GATEWAY_PORT = 8443
"""The mesh gateway's container port; the Service listens on the same port (see mesh_gateway_values)."""

INJECTION_LABEL = {"meshfleet.io/consul-inject": "enabled"}
"""The namespace label whose pods the injector's webhook selects (connectInject.namespaceSelector)."""

CA_CERT_SECRET = "consul-ca-cert"
CA_KEY_SECRET = "consul-ca-key"

CA_DIGEST_ANNOTATION = "meshfleet.io/agent-ca"
"""Pod annotation on the servers, the connect injector and the mesh gateway: the digest of the agent TLS CA
file. Each reads that file only at start (no `auto_reload_config` outside Vault, server-config-configmap.yaml;
the injector reads it once, inject-connect/command.go), so a new file must restart them; and changing a
release value is what makes Helm run tls-init (a pre-upgrade hook) to re-issue the servers' certificates."""

WAIT_FOR = "pulumi.com/waitFor"
SYNCED = "condition=Synced"
"""Every Consul custom resource's controller reports `Synced` once Consul has it (config entries:
controllers/configentries/configentry_controller.go:261-268 `syncSuccessful`; api/v1alpha1/status.go:19)."""

PEERING_TOKEN_LABEL = "consul.hashicorp.com/peering-token"
PEERING_VERSION_ANNOTATION = "consul.hashicorp.com/peering-version"
PEERING_TOKEN_KEY = "data"


def datacenter(cluster: ClusterSpec) -> str:
    """The cluster's Consul datacenter. Cluster names are unique DNS labels, which Consul accepts as they are
    (lowercase letters, digits, '-' or '_'); the name can never change once servers run, like the cluster's."""
    return cluster.name


def peering_token_secret(peer: str, generation: int = 1) -> str:
    """The token Secret named after `peer`. An acceptor's names its token generation (the first keeps the plain
    name): a Secret name an acceptor never wrote makes its controller generate a token whatever its status says,
    which is what recovers an acceptor whose status write failed (docs/consul.md, "Peering, without the CLI").
    The dialer's copy keeps the plain name."""
    return f"peering-token-{peer}" if generation == 1 else f"peering-token-{peer}-{generation}"


def ca_file_digest(ca_file_pem: str) -> str:
    return "sha256:" + hashlib.sha256(ca_file_pem.encode()).hexdigest()


def ca_rollout_annotations(ca_file_pem: pulumi.Input[str]) -> pulumi.Output[str]:
    """The chart's `annotations` values are YAML strings (tpl'd into the pod templates)."""
    return pulumi.Output.from_input(ca_file_pem).apply(lambda pem: yaml.safe_dump({CA_DIGEST_ANNOTATION: ca_file_digest(pem)}))


def consul_values(
    mesh: MeshSpec,
    cluster: ClusterSpec,
    sources: pulumi.Input[list[str]] | None,
    ca_file_pem: pulumi.Input[str],
    observability: ObservabilitySpec | None = None,
    storage_class: str | None = None,
    install_gateway_api_crds: bool = False,
) -> dict[str, Any]:
    """`ca_file_pem`: what `consul-ca-cert` holds as `tls.crt`, the agent TLS CA file (signing CA first).
    `storage_class`: the StorageClass the servers' volume claims name (None: the cluster's default class)."""
    replicas = mesh.control_plane_replicas
    rollout = ca_rollout_annotations(ca_file_pem)
    values: dict[str, Any] = {
        "global": {
            "name": FULLNAME,
            "datacenter": datacenter(cluster),
            "tls": {
                "enabled": True,
                # tls-init signs the servers' certificates with the cluster's intermediate: with both names set
                # the chart mounts the two Secrets, made before the release, and passes them as -ca/-key files
                # (templates/tls-init-job.yaml:91-94); with one missing it would look up or make a CA itself.
                "caCert": {"secretName": CA_CERT_SECRET, "secretKey": "tls.crt"},
                "caKey": {"secretName": CA_KEY_SECRET, "secretKey": "tls.key"},
            },
            "peering": {"enabled": True},
            # ACLs on, default policy deny (templates/server-config-configmap.yaml acl-config.json): a pod can
            # register only as the service its Kubernetes service account names, so the mTLS identities
            # (SPIFFE by service name) are bound to workloads, and Consul's API needs a token. The
            # server-acl-init job bootstraps ACLs and writes the bootstrap token into a Secret in the cluster
            # (`consul-bootstrap-acl-token`): it never passes through Pulumi. Components log in with their
            # service accounts through the Kubernetes auth methods that job makes.
            "acls": {"manageSystemACLs": True},
            # The servers' gossip is encrypted with a key a pre-install job writes into a Secret in the
            # cluster (templates/gossip-encryption-autogenerate-job.yaml): it never passes through Pulumi.
            "gossipEncryption": {"autoGenerate": True},
            **gateway_api_values(install_gateway_api_crds),
        },
        "server": {
            "replicas": replicas,
            # Every server claims a volume (server-statefulset.yaml volumeClaimTemplates); a claim naming no
            # class gets the cluster's default, and stays Pending where there is none (docs/consul.md, "What a cluster must provide").
            **({"storageClass": storage_class} if storage_class else {}),
            # With one server the chart's budget is maxUnavailable 0, which blocks every node drain
            # (_helpers.tpl consul.server.pdb.maxUnavailable); above one it is maxUnavailable 1.
            "disruptionBudget": {"enabled": replicas > 1},
            # A new CA file rolls the servers one at a time (updatePartition 0) after tls-init re-issued their certificates.
            "annotations": rollout,
        },
        "connectInject": {
            "enabled": True,
            # Inject every pod of a labelled namespace. The selector is only on the pods webhook; the
            # webhooks admitting Consul's custom resources select every namespace.
            "default": True,
            "namespaceSelector": yaml.safe_dump({"matchLabels": dict(INJECTION_LABEL)}),
            # It bakes the CA file it read at start into every pod it injects (CONSUL_CACERT_PEM).
            "annotations": rollout,
            **injector_availability(replicas),
        },
        "meshGateway": {**mesh_gateway_values(cluster, sources), "annotations": rollout},
    }
    if observability is not None and observability.metrics:
        # Sidecars and the mesh gateway serve Envoy's metrics on a `prometheus` container port (20200,
        # /metrics) and carry the prometheus.io annotations (connectInject.metrics, global.metrics).
        values["global"]["metrics"] = {"enabled": True, "enableGatewayMetrics": True}
        values["connectInject"]["metrics"] = {"defaultEnabled": True}
        # ui.metrics.enabled "-" follows global.metrics.enabled and points the UI at the chart's default
        # baseURL http://prometheus-server (values.yaml, templates/server-config-configmap.yaml): a
        # Prometheus the fleet does not run. Off, said explicitly; the gate and dashboards read Prometheus.
        values["ui"] = {"metrics": {"enabled": False}}
    return values


def gateway_api_values(install: bool) -> dict[str, Any]:
    """Who installs the Gateway API CRDs (`mesh.consul.installGatewayApiCrds`). The chart's default installs
    them cluster-wide (`global.installK8sNetworkingCRDs`, crd-*-external.yaml), which fails where they exist
    and deletes every Gateway and HTTPRoute of the cluster with the release. Off, the cluster serves them; and
    the injector is told not to watch TCPRoute (`global.crds.enableTcpRoute` renders `-enabe-tcp-route`,
    connect-inject-deployment.yaml :312-318), an experimental-channel kind a standard install does not serve."""
    if install:
        return {"installK8sNetworkingCRDs": True}
    return {"installK8sNetworkingCRDs": False, "crds": {"enableTcpRoute": False}}


INJECTOR_HA_REPLICAS = 2


def injector_availability(server_replicas: int) -> dict[str, Any]:
    """The connect injector runs like the servers: alone in a one-server test fleet, without a disruption budget
    (for one replica the chart renders `maxUnavailable: 0`, which blocks every node drain); otherwise two
    replicas (its webhooks admit every injected pod and Consul resource, failurePolicy Fail) and a budget of
    one. `maxUnavailable` is written out: the chart computes `(n/2)-1` for any other count but 3, which is 0
    for two replicas (_helpers.tpl `consul.pdb.connectInject.maxUnavailable`, v2.0.3 lines 326-338)."""
    if server_replicas == 1:
        return {"replicas": 1, "disruptionBudget": {"enabled": False}}
    return {"replicas": INJECTOR_HA_REPLICAS, "disruptionBudget": {"enabled": True, "maxUnavailable": 1}}


def mesh_gateway_values(cluster: ClusterSpec, sources: pulumi.Input[list[str]] | None) -> dict[str, Any]:
    # The Service listens on the container port, so one port is opened in every cloud's firewall: GCE rules
    # see the load balancer's port before the node forwards it, EKS security groups the pod's port.
    service: dict[str, Any] = {"type": "LoadBalancer", "port": MESH_GATEWAY_PORT}
    annotations = gateway_annotations(cluster)
    if annotations:
        service["annotations"] = yaml.safe_dump(annotations)  # the chart takes a YAML string (tpl)
    if sources is not None:
        # No value for source ranges: `additionalSpec` is YAML appended to the Service spec.
        service["additionalSpec"] = pulumi.Output.from_input(sources).apply(_source_ranges_spec)
    return {
        "enabled": True,
        "replicas": cluster.gateway.replicas,
        "containerPort": MESH_GATEWAY_PORT,
        # The WAN address peers dial is the load balancer's IP or hostname, at service.port.
        "wanAddress": {"source": "Service"},
        "service": service,
    }


def _source_ranges_spec(sources: list[str]) -> str:
    return yaml.safe_dump({"loadBalancerSourceRanges": list(sources)})


def mesh_entry_spec(mesh: MeshSpec) -> dict[str, Any]:
    """The cluster's one `Mesh` config entry (named `mesh`)."""
    return {
        # Peers' servers reach each other through the mesh gateways, so only the gateways face other clusters.
        "peering": {"peerThroughMeshGateways": True},
        # ProxyDefaults may only relax mTLS when the mesh allows it.
        "allowEnablingPermissiveMutualTLS": mesh.mtls == "PERMISSIVE",
    }


def proxy_defaults_spec(mesh: MeshSpec, observability: ObservabilitySpec | None = None) -> dict[str, Any]:
    """`ProxyDefaults` named `global`: mesh-wide mTLS, and traffic to peers leaving through the local gateway;
    with `observability`, Envoy's access logs (spec.accessLogs) and tracing (spec.config escape hatches)."""
    spec: dict[str, Any] = {
        "mutualTLSMode": mesh.mtls.lower(),
        "meshGateway": {"mode": "local"},
    }
    if observability is not None and observability.access_logs:
        spec["accessLogs"] = {"enabled": True, "type": "stdout"}
    if observability is not None and observability.tracing is not None:
        spec["config"] = envoy_tracing_config(observability.tracing)
    return spec


TRACING_CLUSTER = "meshfleet-zipkin-collector"
ZIPKIN_PATH = "/api/v2/spans"
"""Zipkin's v2 span API, which the OpenTelemetry Collector's `zipkin` receiver and Zipkin itself serve."""
DEFAULT_SAMPLING_PERCENT = 1.0
"""Istio's default, so that a fleet's sampling does not depend on its mesh."""
# The injector labels every injected pod (connect-inject/webhook/mesh_webhook.go, constants.KeyInjectStatus);
# consul-dataplane serves Envoy's metrics on the `prometheus` container port once metrics are on.
SCRAPE_TARGET = ScrapeTarget(
    namespace=NAMESPACE,
    port="prometheus",
    path="/metrics",
    selector={"matchLabels": {"consul.hashicorp.com/connect-inject-status": "injected"}},
)
# The mesh gateway is not injected: the chart labels it `component: mesh-gateway` and, with
# enableGatewayMetrics, serves /metrics on 20200 without naming the port (v2.0.3
# templates/mesh-gateway-deployment.yaml: prometheus.io/port "20200", ports: only `gateway`).
GATEWAY_SCRAPE_TARGET = ScrapeTarget(
    namespace=NAMESPACE, port=20200, path="/metrics", selector={"matchLabels": {"component": "mesh-gateway"}}
)


def envoy_tracing_config(tracing: TracingSpec) -> dict[str, str]:
    """Consul's Envoy escape hatches for tracing (each a JSON string in ProxyDefaults `config`): Envoy's
    Zipkin tracer (`envoy_tracing_json`), a static cluster for the collector's Zipkin receiver, plain HTTP
    (`envoy_extra_static_clusters_json`), and the HTTP listeners' sampling (`envoy_listener_tracing_json`).
    Envoy reads the first two at bootstrap: sidecars pick them up when their pods restart.

    Zipkin, not OpenTelemetry: this config is one for every sidecar, and Envoy's OpenTelemetry tracer names
    the spans' service after its `service_name` (default "unknown_service:envoy"), while its Zipkin tracer
    names them after the node's cluster, which Consul's bootstrap sets to the proxy's service
    (tests/meshes/consul/tracing_model.py). Spans carry 128-bit ids and both B3 and W3C `traceparent`
    headers, so applications instrumented with OpenTelemetry SDKs join the same traces."""
    tracer = {
        "http": {
            "name": "envoy.tracers.zipkin",
            "typed_config": {
                "@type": "type.googleapis.com/envoy.config.trace.v3.ZipkinConfig",
                "collector_cluster": TRACING_CLUSTER,
                "collector_endpoint": ZIPKIN_PATH,
                # The enum's default is DEPRECATED_AND_UNAVAILABLE_DO_NOT_USE, refused by Envoy.
                "collector_endpoint_version": "HTTP_JSON",
                "collector_hostname": tracing.host,
                "trace_id_128bit": True,
                # A client and a server span per hop, as OpenTelemetry SDKs and Istio's proxies report them.
                "shared_span_context": False,
                "trace_context_option": "USE_B3_WITH_W3C_PROPAGATION",
            },
        }
    }
    collector = {
        "name": TRACING_CLUSTER,
        "type": "STRICT_DNS",
        "connect_timeout": "5s",
        "load_assignment": {
            "cluster_name": TRACING_CLUSTER,
            "endpoints": [
                {"lb_endpoints": [{"endpoint": {"address": {"socket_address": {"address": tracing.host, "port_value": tracing.port}}}}]}
            ],
        },
    }
    sampling = DEFAULT_SAMPLING_PERCENT if tracing.sampling_percent is None else tracing.sampling_percent
    listener = {
        "@type": "type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager.Tracing",
        "random_sampling": {"value": sampling},
    }
    return {
        "envoy_tracing_json": json.dumps(tracer, sort_keys=True),
        "envoy_extra_static_clusters_json": json.dumps(collector, sort_keys=True),
        "envoy_listener_tracing_json": json.dumps(listener, sort_keys=True),
    }


def exported_services_spec(peers: Sequence[str]) -> dict[str, Any]:
    """Every service of the cluster, exported to every peer. The webhook refuses a wildcard peer, not a
    wildcard service; failover to a peer needs the service exported by that peer."""
    return {"services": [{"name": "*", "consumers": [{"peer": peer} for peer in sorted(peers)]}]}


MESH_DEFAULT_ACTION = "allow"
"""What a meshed service may do to another when no more specific intention says otherwise, with the fleet's
default `mesh.defaultAccess: allow`: "mTLS, every meshed service may call every other" (as on Istio and
Linkerd with STRICT mTLS). With ACLs Consul's own default is deny (the ACL default policy), so the fleet
writes this allow; `deny` writes deny, and services admit their callers with ServiceIntentions named after
them (access.py), which take precedence over the wildcard destination."""


def mesh_default_action(mesh: MeshSpec) -> str:
    return "deny" if mesh.default_access == "deny" else MESH_DEFAULT_ACTION


def default_intentions_spec(peers: Sequence[str], action: str = MESH_DEFAULT_ACTION) -> dict[str, Any]:
    """The cluster's one ServiceIntentions for the wildcard destination `*`: every local service, and every
    service of each peer, may call every service here. The webhook refuses a wildcard peer but not a
    wildcard source name (serviceintentions_types.go SourceIntention.validate), and Consul refuses a source
    listed twice (the pair peer, name): so one local source and one per peer."""
    local = [{"name": "*", "action": action}]
    return {"destination": {"name": "*"}, "sources": local + [{"name": "*", "peer": peer, "action": action} for peer in sorted(peers)]}


def peer_secret_spec(secret: str) -> dict[str, Any]:
    """`spec` of a PeeringAcceptor (where it writes the token) or a PeeringDialer (where it reads it)."""
    return {"peer": {"secret": {"name": secret, "key": PEERING_TOKEN_KEY, "backend": "kubernetes"}}}
