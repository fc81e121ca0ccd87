"""Consul's spans are named after each proxy's service: the ProxyDefaults `config` meshfleet writes, run
through Consul's bootstrap params, consul-dataplane's bootstrap and Envoy's tracers as their sources have
them (tests/meshes/consul/tracing_model.py)."""

from __future__ import annotations

import json

import pytest

from components.config import TracingSpec
from components.meshes.consul.values import envoy_tracing_config

from .tracing_model import EnvoyRefuses, Registration, bootstrap_params, collector_service_name, envoy_bootstrap, span_service_name

ZIPKIN = TracingSpec("otel-collector.observability.svc.cluster.local:9411", None, None, "zipkin")
SIDECARS = [Registration("shop-sidecar-proxy", destination="shop"), Registration("cart-sidecar-proxy", destination="cart")]


@pytest.mark.parametrize("registration", SIDECARS, ids=lambda r: r.destination)
def test_every_sidecars_spans_carry_its_own_service_name(registration: Registration) -> None:
    bootstrap = envoy_bootstrap(bootstrap_params(registration, envoy_tracing_config(ZIPKIN)))
    assert span_service_name(bootstrap) == registration.destination
    assert collector_service_name(bootstrap) == registration.destination


def test_the_mesh_gateways_spans_carry_the_gateways_name() -> None:
    bootstrap = envoy_bootstrap(bootstrap_params(Registration("mesh-gateway", kind="mesh-gateway"), envoy_tracing_config(ZIPKIN)))
    assert span_service_name(bootstrap) == "mesh-gateway"


def test_envoys_opentelemetry_tracer_in_proxy_defaults_named_every_span_unknown_service() -> None:
    """What meshfleet 1.0 wrote: one OpenTelemetry tracer for every sidecar, without (and unable to set per
    service) `service_name`."""
    tracer = {"http": {"name": "envoy.tracers.opentelemetry", "typed_config": {"grpc_service": {"envoy_grpc": {"cluster_name": "c"}}}}}
    config = {"envoy_tracing_json": json.dumps(tracer)}
    names = {span_service_name(envoy_bootstrap(bootstrap_params(r, config))) for r in SIDECARS}
    assert names == {"unknown_service:envoy"}


def test_without_central_config_consul_dataplane_configures_no_tracer() -> None:
    params = bootstrap_params(SIDECARS[0], envoy_tracing_config(ZIPKIN))
    assert span_service_name(envoy_bootstrap(params, use_central_config=False)) is None


def test_envoy_would_refuse_the_zipkin_tracer_without_an_endpoint_version_or_its_cluster() -> None:
    config = envoy_tracing_config(ZIPKIN)
    tracer = json.loads(config["envoy_tracing_json"])
    del tracer["http"]["typed_config"]["collector_endpoint_version"]
    with pytest.raises(EnvoyRefuses, match="disallowed by default"):
        span_service_name(envoy_bootstrap(bootstrap_params(SIDECARS[0], {**config, "envoy_tracing_json": json.dumps(tracer)})))
    without_cluster = {k: v for k, v in config.items() if k != "envoy_extra_static_clusters_json"}
    with pytest.raises(EnvoyRefuses, match="unknown cluster 'meshfleet-zipkin-collector'"):
        span_service_name(envoy_bootstrap(bootstrap_params(SIDECARS[0], without_cluster)))
