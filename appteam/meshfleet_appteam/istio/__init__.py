"""Istio 1.30 for an app team's services; the fleet's Istio (components/meshes/istio in meshfleet) is this
class plus the control planes, gateways and discovery.

- routing.py: weighted versions, header routes, mirroring, blue-green (a DestinationRule and a VirtualService)
- locality.py: the per-service DestinationRule with failover and outlier detection
- access.py: a service's callers (an AuthorizationPolicy)
- values.py: the API versions they are written in
"""

from __future__ import annotations

from ..locality import LocalitySupport
from ..service_mesh import ServiceMesh
from .access import ACCESS, ServiceAccess
from .routing import ServiceRouting


class IstioServices(ServiceMesh):
    type = "istio"
    locality = LocalitySupport(
        cross_cluster_failover=True,
        summary="nearest locality first, then the mesh-wide failover order; per service through a "
        "DestinationRule with outlier detection (ServiceFailover)",
    )
    access = ACCESS
    routing_component = ServiceRouting
    access_component = ServiceAccess


__all__ = ["IstioServices"]
