"""What an app team builds on a meshfleet fleet, beside the contract it reads (meshfleet_contract): its
services' routing, access rules and locality failover on the mesh the fleet runs, and the canary rollout.

Needs the Pulumi SDK and pulumi-kubernetes only. In an app team's program:
`mesh = mesh_for(fleet.mesh.type)`, then `mesh.service_routing(...)` and `mesh.service_access(...)` with
the provider of each cluster (docs/app-teams.md). One module per mesh (istio/, linkerd/, consul/), the very
code the fleet's mesh modules (components/meshes/<mesh>/ in meshfleet) use, so both build a service alike.
"""

from .access import AccessRule, AccessSupport, Caller, ServiceAccessArgs
from .consul import ConsulServices
from .istio import IstioServices
from .linkerd import LinkerdServices
from .locality import LocalityFailover, LocalitySupport
from .routing import BlueGreen, HeaderMatch, HeaderRoute, Ingress, Mirror, Retries, ServiceRoutingArgs
from .service_mesh import ServiceMesh

# The meshfleet release this package belongs to: the fleet (components.__version__), the contract package and
# this one are released together from one tag, and tests/test_package.py keeps the three equal.
__version__ = "1.1.0"

AVAILABLE: dict[str, type[ServiceMesh]] = {mesh.type: mesh for mesh in (IstioServices, LinkerdServices, ConsulServices)}


def mesh_for(mesh_type: str) -> type[ServiceMesh]:
    """The module of the mesh a fleet runs (e.g. from its contract's `mesh.type`)."""
    if mesh_type not in AVAILABLE:
        raise ValueError(f"this meshfleet release has no {mesh_type!r} module; available: {', '.join(sorted(AVAILABLE))}")
    return AVAILABLE[mesh_type]


__all__ = [
    "AVAILABLE",
    "AccessRule",
    "AccessSupport",
    "BlueGreen",
    "Caller",
    "ConsulServices",
    "HeaderMatch",
    "HeaderRoute",
    "Ingress",
    "IstioServices",
    "LinkerdServices",
    "LocalityFailover",
    "LocalitySupport",
    "Mirror",
    "Retries",
    "ServiceAccessArgs",
    "ServiceMesh",
    "ServiceRoutingArgs",
    "__version__",
    "mesh_for",
]
