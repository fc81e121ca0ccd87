"""What every mesh offers an app team's services, shaped from Istio, Linkerd and Consul alike: routing
(weighted versions, header routes, blue-green, timeouts, retries, locality failover) and access (the callers
a service admits), each built from the mesh's own objects in one cluster.

The fleet's mesh modules (components/meshes/<mesh>/ in meshfleet) are these same classes plus the fleet's
side (control planes, gateways, discovery), so app teams and the fleet build a service's objects alike.
"""

from __future__ import annotations

from abc import ABC
from typing import ClassVar, Protocol

import pulumi

from .access import AccessSupport, ServiceAccessArgs
from .locality import LocalitySupport
from .routing import ServiceRoutingArgs


class RoutingComponent(Protocol):
    def __call__(self, name: str, args: ServiceRoutingArgs, opts: pulumi.ResourceOptions | None = None) -> pulumi.ComponentResource: ...


class AccessComponent(Protocol):
    def __call__(self, name: str, args: ServiceAccessArgs, opts: pulumi.ResourceOptions | None = None) -> pulumi.ComponentResource: ...


class ServiceMesh(ABC):
    """One mesh type, as an app team's program uses it: `mesh_for(fleet.mesh.type)` gives the class."""

    type: ClassVar[str]
    locality: ClassVar[LocalitySupport]
    access: ClassVar[AccessSupport]
    routing_component: ClassVar[RoutingComponent]
    """The mesh's ServiceRouting component (its routing.py)."""
    access_component: ClassVar[AccessComponent]
    """The mesh's ServiceAccess component (its access.py)."""

    @classmethod
    def service_routing(cls, name: str, args: ServiceRoutingArgs, opts: pulumi.ResourceOptions) -> pulumi.ComponentResource:
        """For app teams: weighted versions and locality failover for one service, in one cluster (the
        provider in `opts`). A mesh that cannot fail over across clusters says so in `locality`."""
        return cls.routing_component(name, args, opts)

    @classmethod
    def service_access(cls, name: str, args: ServiceAccessArgs, opts: pulumi.ResourceOptions) -> pulumi.ComponentResource:
        """For app teams: the callers allowed to call one service, in one cluster (the provider in `opts`);
        everybody else is refused. What the mesh's identities cannot express is refused, as `access` says."""
        return cls.access_component(name, args, opts)

    @classmethod
    def version_annotations(cls, version_label: str, version: str) -> dict[str, str]:
        """Pod annotations that one version's pods need so that `service_routing` tells the versions
        apart, beside the `version_label` pod label every mesh reads. Default: none."""
        return {}


__all__ = ["ServiceMesh"]
