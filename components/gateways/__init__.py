"""Shared east-west plumbing: load balancers in front of mesh gateways and the firewall rules behind them.

`network_access.open_mesh_ports` is imported from its module: it depends on the mesh interface, which
itself uses this package.
"""

from .load_balancer import (
    allowed_sources,
    gateway_address,
    gateway_addresses,
    gateway_annotations,
    load_balancer_annotations,
    sources_are_known,
)

__all__ = [
    "allowed_sources",
    "gateway_address",
    "gateway_addresses",
    "gateway_annotations",
    "load_balancer_annotations",
    "sources_are_known",
]
