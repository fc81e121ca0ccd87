"""Istio 1.30: multi-primary or primary-remote, multi-network, plug-in CA from the fleet's trust.

Where things are made:
- control_plane.py: istio-system, `cacerts`, base and istiod (one release per revision)
- eastwest.py: the east-west gateway, cross-network Gateway and istiod exposure
- discovery.py: reader tokens and one remote secret per primary (endpoint discovery without istioctl)
- access.py: the fleet's default access (AuthorizationPolicies)
- values.py: every Helm value and custom-resource spec, as plain functions

App teams' pieces (routing, locality failover, callers) are meshfleet_appteam.istio (appteam/), which
`Istio` extends: an app team installs them without the fleet, and both build a service's objects alike.
"""

from __future__ import annotations

from collections.abc import Mapping

import pulumi

from meshfleet_appteam.istio import IstioServices

from ...clusters import Cluster
from ...config import ClusterSpec, FleetSpec, MeshRules, Section, TracingRules
from ...last_deployment import LastDeployment
from ...trust import CaProfile, FleetTrust
from ..base import IdentitySupport, Mesh, MeshDeployment, MeshPorts
from . import values
from .mesh import IstioMesh as IstioMeshDeployment
from .mesh import IstioMeshArgs
from .settings import DEFAULT_VERSION, KUBERNETES_MINORS, VERSION_LINE, IstioSettings, parse_settings


class Istio(Mesh, IstioServices):
    rules = MeshRules(
        available=True,
        topologies=("multi-primary", "primary-remote"),
        example_version=DEFAULT_VERSION,
        label=f"Istio {VERSION_LINE}",
        kubernetes_minors=KUBERNETES_MINORS,
        tracing=TracingRules(
            # istiod finds the collector by its exact host or <namespace>/<host> (pilot/pkg/model/telemetry_logging.go
            # LookupCluster, 1.30.3) and otherwise leaves tracing out of every proxy's config, logging only
            # "could not find cluster for tracing provider" (pilot/pkg/networking/core/tracing.go otelConfig).
            exact_host="istiod looks the collector up by its exact host and, not finding it, silently configures no tracing"
        ),
    )
    ports = MeshPorts(
        webhooks=(values.WEBHOOK_PORT,),
        east_west=(values.CROSS_NETWORK_PORT,),
        control_plane_exposure=(values.DISCOVERY_PORT, values.WEBHOOK_PORT),
    )
    identity = IdentitySupport(
        shared_root=True,
        summary="istiod signs workload certificates with the cluster's intermediate (plug-in CA `cacerts`), "
        "so every workload chains to the fleet's root bundle",
    )

    def __init__(self, fleet: FleetSpec, settings: IstioSettings) -> None:
        super().__init__(fleet)
        self.settings = settings

    @classmethod
    def from_config(cls, fleet: FleetSpec, settings: Section) -> Istio:
        parsed = parse_settings(fleet, settings)
        return cls(fleet, parsed)

    def ca_profile(self, cluster: ClusterSpec) -> CaProfile | None:
        if not cluster.is_primary:
            return None  # a remote's proxies are signed by its primary's istiod
        # As istio/istio tools/certs builds intermediates (Makefile.selfsigned.mk).
        return CaProfile(common_name="Intermediate CA", locality=cluster.name, dns_names=(f"istiod.{values.NAMESPACE}.svc",))

    def deploy(
        self, clusters: Mapping[str, Cluster], trust: FleetTrust, last: LastDeployment, opts: pulumi.ResourceOptions
    ) -> MeshDeployment:
        return IstioMeshDeployment("istio", IstioMeshArgs(self.fleet, self.settings, clusters, trust, last), opts)


__all__ = ["Istio"]
