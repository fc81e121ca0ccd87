"""Linkerd edge-26.8.3 for an app team's services; the fleet's Linkerd (components/meshes/linkerd in
meshfleet) is this class plus the control planes, gateways and links.

- routing.py: weighted versions and header routes (a Service per version and an HTTPRoute)
- locality.py: what Linkerd offers instead of cross-cluster locality failover
- access.py: a service's callers (Server, MeshTLSAuthentication, AuthorizationPolicy, HTTPRoutes)
- values.py: the names and identities they are written with
"""

from __future__ import annotations

from ..service_mesh import ServiceMesh
from .access import ACCESS, ServiceAccess
from .locality import LOCALITY
from .routing import ServiceRouting


class LinkerdServices(ServiceMesh):
    type = "linkerd"
    locality = LOCALITY
    access = ACCESS
    routing_component = ServiceRouting
    access_component = ServiceAccess


__all__ = ["LinkerdServices"]
