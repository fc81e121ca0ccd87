"""Consul facts, read from what meshfleet (or anyone) gives consul-k8s 2.0.3's chart and custom resources.

What is true of a Consul fleet, and so what the policies check:
- the control plane is the consul release's servers (`server.replicas`, `server.disruptionBudget`);
- the east-west gateway is its mesh gateway, whose annotations and extra Service spec are YAML strings;
- the CA material in a cluster is the agents' TLS CA (`global.tls.caCert`), not a workload CA: each
  datacenter keeps its own Connect CA (docs/consul.md). Its Secret records, under `ca.crt`, the fleet
  roots it chains to (the chart mounts only `tls.crt`), which is what the consistency policy joins with;
- mesh-wide mTLS is ProxyDefaults `global` (`mutualTLSMode`, empty meaning strict);
- identities are bound to workloads only with ACLs (`global.acls.manageSystemACLs`): without them any pod
  registers as any service name, and its certificate names that service;
- peering tokens are credentials handed to another cluster: only Secrets may carry them.
"""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any

import yaml

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

API_GROUP = "kubernetes:consul.hashicorp.com/"
CA_CERT_SECRETS = ("consul-ca-cert",)
# Fields of a peering token (hashicorp/consul agent/structs/peering.go PeeringToken).
TOKEN_FIELDS = {"CA", "ServerAddresses", "ServerName", "PeerID", "EstablishmentSecret"}
UNBOUND_WITHOUT_ACLS = (
    "Consul runs without ACLs (global.acls.manageSystemACLs is off), so any pod may register as any service and get "
    "its certificate; turn ACLs on (meshfleet's Consul module does) and run each service as a service account of its name"
)


def _values(resource: Resource) -> dict[str, Any] | None:
    if resource.type != RELEASE or chart_name(resource) != "consul":
        return None
    return dict(resource.props.get("values") or {})


def _yaml_map(text: Any) -> dict[str, Any]:
    """A chart value that is a YAML string (or, written by hand, already a map)."""
    if isinstance(text, dict):
        return text
    try:
        loaded = yaml.safe_load(str(text or "")) or {}
    except yaml.YAMLError:
        return {}
    return loaded if isinstance(loaded, dict) else {}


def is_peering_token(value: str) -> bool:
    """Whether a string is a Consul peering token (base64 JSON), or that token base64-encoded once more as
    a Secret's `data` holds it."""
    for _ in range(2):
        try:
            value = base64.b64decode(value, validate=True).decode()
        except (binascii.Error, UnicodeDecodeError, ValueError):
            return False
        try:
            document = json.loads(value)
        except ValueError:
            continue
        return isinstance(document, dict) and set(document) >= TOKEN_FIELDS
    return False


class ConsulFacts:
    name = "consul"

    def control_plane(self, resource: Resource) -> ControlPlane | None:
        values = _values(resource)
        if values is None:
            return None
        server = values.get("server") or {}
        replicas = int(server.get("replicas", 1))
        return ControlPlane(
            urn=resource.urn,
            cluster_key=resource.provider_urn,
            cluster=str(get(values, "global", "datacenter") or resource.cluster),
            revision="",
            chart_version=str(resource.props.get("version") or ""),
            mesh_id=None,  # Consul has no mesh id; datacenters are peered, not one mesh by name
            trust_domain=None,  # `<cluster-id>.consul`, chosen by each datacenter itself
            is_remote=False,
            replicas=replicas,
            # One server gets maxUnavailable 0 from the chart, which blocks drains instead of protecting quorum.
            disruption_budget=get(server, "disruptionBudget", "enabled", default=True) is not False and replicas > 1,
            unbound_identities=None if get(values, "global", "acls", "manageSystemACLs") in (True, "true") else UNBOUND_WITHOUT_ACLS,
        )

    def east_west_gateway(self, resource: Resource) -> Exposure | None:
        values = _values(resource)
        gateway = (values or {}).get("meshGateway") or {}
        if not gateway.get("enabled"):
            return None
        service = gateway.get("service") or {}
        annotations = _yaml_map(service.get("annotations"))
        internal = internal_load_balancer(annotations)
        ranges = _yaml_map(service.get("additionalSpec")).get("loadBalancerSourceRanges") or []
        return Exposure(
            urn=resource.urn,
            cluster=resource.cluster,
            service_type=str(service.get("type") or "LoadBalancer"),
            internal=internal,
            source_ranges=tuple(str(r) for r in ranges),
        )

    def ca_material(self, resource: Resource) -> CaMaterial | None:
        data = self._ca_secret(resource)
        if data is None:
            return None
        return CaMaterial(resource.urn, resource.cluster, data.get("tls.crt", ""))

    def trust_anchors(self, resource: Resource) -> TrustAnchors | None:
        data = self._ca_secret(resource)
        if data is None:
            return None
        return TrustAnchors(resource.urn, resource.cluster, data.get("ca.crt", ""))

    @staticmethod
    def _ca_secret(resource: Resource) -> dict[str, str] | None:
        if resource.type != SECRET or get(resource.props, "metadata", "name") not in CA_CERT_SECRETS:
            return None
        return secret_strings(resource)

    def mesh_wide_mtls(self, resource: Resource) -> MeshMtls | None:
        if not (resource.type.startswith(API_GROUP) and resource.type.endswith(":ProxyDefaults")):
            return None
        if get(resource.props, "metadata", "name") != "global":
            return None
        mode = str(get(resource.props, "spec", "mutualTLSMode") or "strict")
        return MeshMtls(resource.urn, resource.provider_urn, mode.upper())

    def default_access(self, resource: Resource) -> DefaultAccess | None:
        if not (resource.type.startswith(API_GROUP) and resource.type.endswith(":ServiceIntentions")):
            return None
        if get(resource.props, "spec", "destination", "name") != "*":
            return None
        local = [s for s in get(resource.props, "spec", "sources", default=[]) if s.get("name") == "*" and not s.get("peer")]
        action = str(local[0].get("action") or "") if local else ""
        return DefaultAccess(resource.urn, resource.provider_urn, resource.cluster, action == "deny", f"ServiceIntentions * -> *: {action}")

    def own_traffic(self, resource: Resource) -> list[OwnTraffic]:
        # Nothing of Consul's own is subject to intentions: servers are not in the mesh, and mesh gateways
        # forward peers' mTLS connections to the destination's sidecar, which applies the intentions.
        return []

    def own_traffic_allowed(self, resource: Resource) -> list[OwnTrafficAllowed]:
        return []

    def failover_without_outlier_detection(self, resource: Resource) -> list[str]:
        return []  # Consul fails over on health checks; there is no outlier detection to forget

    def remote_kubeconfigs(self, resource: Resource) -> list[tuple[str, str]]:
        return []  # peering runs through the mesh gateways: no cluster reads another's API

    def shared_arrivals(self, resource: Resource) -> list[SharedArrival]:
        return []  # Consul's mesh gateways pass the caller's mTLS through: callers keep their identity

    def admitted_identities(self, resource: Resource) -> list[AdmittedIdentity]:
        return []

    def secret_material(self, value: str) -> str | None:
        return "a Consul peering token" if is_peering_token(value) else None
