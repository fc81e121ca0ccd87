"""The consul-k8s 2.0.3 names an app team's config entries need: their API version, how a peer is named and
the pod annotation that puts a version in the Consul service's Meta. The fleet's Helm values (meshfleet's
components/meshes/consul/values.py) use the same constants."""

from __future__ import annotations

API_VERSION = "consul.hashicorp.com/v1alpha1"

SERVICE_META_ANNOTATION = "consul.hashicorp.com/service-meta-"
"""Pod annotation prefix that the endpoints controller copies into the Consul service's Meta."""


def peer_name(cluster: str) -> str:
    """What every other cluster calls this one as a peer: its name (a DNS label, as peer names must be)."""
    return cluster
