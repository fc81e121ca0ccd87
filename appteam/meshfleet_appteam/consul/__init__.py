"""Consul (consul-k8s 2.0.3, free edition) for an app team's services; the fleet's Consul
(components/meshes/consul in meshfleet) is this class plus the servers, mesh gateways and peerings.

- routing.py: weighted versions and header routes (ServiceDefaults, resolver subsets, ServiceSplitter, ServiceRouter)
- locality.py: the per-service ServiceResolver with failover to peers
- access.py: a service's callers (a ServiceIntentions)
- values.py: the API version, peer names and the version annotation they are written with
"""

from __future__ import annotations

from ..locality import LocalitySupport
from ..service_mesh import ServiceMesh
from . import values
from .access import ACCESS, ServiceAccess
from .routing import ServiceRouting


class ConsulServices(ServiceMesh):
    type = "consul"
    locality = LocalitySupport(
        cross_cluster_failover=True,
        summary="local datacenter first, then the peers in the regions mesh.locality.failover names, in order, once no "
        "local instance passes its health checks; per service through a ServiceResolver (failover targets on peers). "
        "No zone preference inside a datacenter: prioritize-by-locality is Consul Enterprise",
    )
    access = ACCESS
    routing_component = ServiceRouting
    access_component = ServiceAccess

    @classmethod
    def version_annotations(cls, version_label: str, version: str) -> dict[str, str]:
        # The endpoints controller copies these into the Consul service's Meta, which subsets filter on.
        return {f"{values.SERVICE_META_ANNOTATION}{version_label}": version}


__all__ = ["ConsulServices"]
