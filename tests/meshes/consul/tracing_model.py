"""What a Consul sidecar's Envoy names its spans' service, from the ProxyDefaults `config` meshfleet writes.

Three upstream steps, each modelled from its source:

1. Consul's dataplane service answers consul-dataplane's GetEnvoyBootstrapParams (hashicorp/consul
   agent/grpc-external/services/dataplane/get_envoy_bootstrap_params.go, the catalog (v1) branch, stored
   version 04aae7e0): `Config` is the registration merged with central config
   (agent/configentry/merge_service_config.go MergeServiceConfig: `mergo.Merge(&ns.Proxy.Config,
   defaults.ProxyConfig)`, so proxy-defaults keys fill what the registration does not set), and `Service`
   and `Identity` are the destination service's name for a connect-proxy (a sidecar), else the service's
   own name (a mesh gateway).
2. consul-dataplane v2.0.1 renders Envoy's bootstrap: pkg/consuldp/bootstrap.go:70 `ProxyCluster:
   bootstrapParams.Service`, :87-89 `ProxyCluster = bootstrapParams.Identity` when set; :120-121 decodes
   `Config` into the bootstrap config only with `telemetry.useCentralConfig` (default true,
   cmd/consul-dataplane/config.go:226); internal/bootstrap/bootstrap_config.go:163 reads
   `envoy_tracing_json`, :120 `envoy_extra_static_clusters_json`; internal/bootstrap/bootstrap_tpl.go:182
   writes `"node": {"cluster": "{{ .ProxyCluster }}"`, :280 `"tracing": {{ .TracingConfigJSON }}`.
3. Envoy (envoyproxy/envoy as stored, a 1.36+ source: ZipkinConfig has `trace_context_option`):
   - Zipkin: source/extensions/tracers/zipkin/zipkin_tracer_impl.cc `Driver::Driver` refuses a missing
     collector cluster (`Config::Utility::checkCluster`) and builds `Tracer(local_info_.clusterName(), ...)`;
     tracer.cc `startSpan` puts that name in each span's endpoint (`Endpoint ep(service_name_, address_)`),
     serialized as `localEndpoint.serviceName` (span_buffer.cc JsonV2Serializer); api/envoy/config/trace/v3/
     zipkin.proto: `collector_endpoint_version` 0 is `DEPRECATED_AND_UNAVAILABLE_DO_NOT_USE`
     (disallowed_by_default), `collector_endpoint` is required with `collector_cluster`.
   - OpenTelemetry: opentelemetry_tracer_impl.cc `Driver::Driver` passes `service_name`, or
     `kDefaultServiceName` "unknown_service:envoy" (resource_provider.h), to
     resource_provider.cc `getResource`, which merges each resource detector's attributes over it
     (`mergeResource`, insert_or_assign): nothing there reads the node's cluster.
4. The OpenTelemetry Collector's Zipkin receiver (opentelemetry-collector-contrib as stored)
   reads Zipkin v2 JSON on any path but `api/v1/spans` (receiver/zipkinreceiver/trace_receiver.go
   `ServeHTTP`) and makes `localEndpoint.serviceName` the resource's `service.name`
   (pkg/translator/zipkin/zipkinv2/to_translator.go `extractLocalServiceName`,
   `populateResourceFromZipkinSpan`).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

ZIPKIN_FIELDS = {
    "@type",
    "collector_cluster",
    "collector_endpoint",
    "trace_id_128bit",
    "shared_span_context",
    "collector_endpoint_version",
    "collector_hostname",
    "split_spans_for_request",
    "trace_context_option",
    "collector_service",
}
"""ZipkinConfig's fields (zipkin.proto, fields 1-9), with the Any's `@type`."""
ENDPOINT_VERSIONS = ("HTTP_JSON", "HTTP_PROTO")
TRACE_CONTEXT_OPTIONS = ("USE_B3", "USE_B3_WITH_W3C_PROPAGATION")
OTEL_DEFAULT_SERVICE_NAME = "unknown_service:envoy"


class EnvoyRefuses(ValueError):
    """Envoy would not start with this bootstrap."""


@dataclass(frozen=True)
class Registration:
    """A service in Consul's catalog, as consul-k8s registers a pod's sidecar or a mesh gateway."""

    service: str
    kind: str = "connect-proxy"
    destination: str | None = None
    proxy_config: Mapping[str, Any] = field(default_factory=dict)


def bootstrap_params(registration: Registration, proxy_defaults_config: Mapping[str, Any]) -> dict[str, Any]:
    """GetEnvoyBootstrapParams (v1): the merged config, and the name consul-dataplane calls the proxy."""
    config = {**proxy_defaults_config, **registration.proxy_config}  # mergo.Merge: the registration's keys win
    name = registration.destination if registration.kind == "connect-proxy" else registration.service
    assert name, registration
    return {"Service": name, "Identity": name, "Config": config}


def envoy_bootstrap(params: Mapping[str, Any], use_central_config: bool = True) -> dict[str, Any]:
    """consul-dataplane's bootstrap, as far as tracing goes: node.cluster, tracing, static clusters."""
    cluster = params["Identity"] or params["Service"]
    bootstrap: dict[str, Any] = {"node": {"cluster": cluster}, "static_resources": {"clusters": [{"name": "consul-dataplane"}]}}
    if use_central_config:
        config = params["Config"]
        if "envoy_tracing_json" in config:
            bootstrap["tracing"] = json.loads(config["envoy_tracing_json"])
        if "envoy_extra_static_clusters_json" in config:
            bootstrap["static_resources"]["clusters"].append(json.loads(config["envoy_extra_static_clusters_json"]))
    return bootstrap


def span_service_name(bootstrap: Mapping[str, Any], detected: Mapping[str, str] | None = None) -> str | None:
    """The service name on the spans this Envoy reports; None without a tracer. `detected` stands for the
    OpenTelemetry tracer's resource detectors' attributes."""
    tracer = bootstrap.get("tracing", {}).get("http")
    if tracer is None:
        return None
    config = tracer["typed_config"]
    if tracer["name"] == "envoy.tracers.zipkin":
        unknown = set(config) - ZIPKIN_FIELDS
        if unknown:
            raise EnvoyRefuses(f"ZipkinConfig has no field {sorted(unknown)}")
        if config.get("collector_endpoint_version") not in ENDPOINT_VERSIONS:
            raise EnvoyRefuses("collector_endpoint_version DEPRECATED_AND_UNAVAILABLE_DO_NOT_USE is disallowed by default")
        if config.get("trace_context_option", "USE_B3") not in TRACE_CONTEXT_OPTIONS:
            raise EnvoyRefuses(f"no trace_context_option {config['trace_context_option']!r}")
        if "collector_service" not in config:
            if not config.get("collector_endpoint"):
                raise EnvoyRefuses("collector_endpoint must be specified when using collector_cluster")
            clusters = {c["name"] for c in bootstrap["static_resources"]["clusters"]}
            if config.get("collector_cluster") not in clusters:
                raise EnvoyRefuses(f"envoy.tracers.zipkin: unknown cluster '{config.get('collector_cluster')}'")
        return str(bootstrap["node"]["cluster"])  # Tracer(local_info_.clusterName(), ...) -> localEndpoint.serviceName
    if tracer["name"] == "envoy.tracers.opentelemetry":
        attributes = {"service.name": config.get("service_name") or OTEL_DEFAULT_SERVICE_NAME}
        attributes.update(detected or {})
        return attributes["service.name"]
    raise EnvoyRefuses(f"no tracer model for {tracer['name']}")


def collector_service_name(bootstrap: Mapping[str, Any]) -> str:
    """The OTLP `service.name` a Zipkin span of this Envoy gets in the collector's Zipkin receiver."""
    config = bootstrap["tracing"]["http"]["typed_config"]
    assert "api/v1/spans" not in config["collector_endpoint"], "read as Zipkin v1"
    span = {"localEndpoint": {"serviceName": span_service_name(bootstrap)}}  # JsonV2Serializer
    return str(span["localEndpoint"]["serviceName"] or "OTLPResourceNoServiceName")
