"""Istio's east-west gateway in one cluster: the gateway chart with `networkGateway`, its load balancer's
address, the cross-network Gateway (AUTO_PASSTHROUGH on 15443) and, on a primary that serves remote
clusters, istiod exposed through it (samples/multicluster/expose-istiod-rev.yaml.tmpl)."""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_kubernetes as k8s

from ... import naming
from ...config import ClusterSpec
from ...gateways import gateway_address
from ...k8s import helm_release
from . import values
from .settings import IstioSettings, Revision


@dataclass(frozen=True)
class EastWestGatewayArgs:
    cluster: ClusterSpec
    settings: IstioSettings
    allowed_sources: pulumi.Input[list[str]] | None
    """`loadBalancerSourceRanges`; None leaves the load balancer open to whoever can route to it."""
    expose_control_plane: bool
    """A primary serving remote clusters exposes istiod (15012 xDS, 15017 webhooks) through the gateway."""
    after: Sequence[pulumi.Resource]
    """The control plane releases: the gateway's pods are injected by istiod, and CRs need base's CRDs."""
    published_address: pulumi.Input[str | None]
    """The address the last deployment published, which a preview shows (`gateway_address`)."""


class EastWestGateway(pulumi.ComponentResource):
    release: k8s.helm.v3.Release
    address: pulumi.Output[str]
    """The load balancer's IP or hostname."""

    def __init__(self, args: EastWestGatewayArgs, opts: pulumi.ResourceOptions) -> None:
        cluster = args.cluster
        super().__init__("meshfleet:istio:EastWestGateway", cluster.name, None, opts)
        # A Release: Helm waits until the load balancer has an address, which remotes and the contract need.
        self.release = helm_release(
            naming.child(cluster.name, values.EASTWEST_NAME),
            values.EASTWEST_NAME,
            args.settings.chart("gateway"),
            values.NAMESPACE,
            values.eastwest_gateway_values(cluster, args.settings.default_revision.name, args.allowed_sources),
            pulumi.ResourceOptions(parent=self, depends_on=list(args.after)),
        )
        self.address = gateway_address(
            naming.child(cluster.name, values.EASTWEST_NAME, "service"),
            self.release,
            values.EASTWEST_NAME,
            args.published_address,
            pulumi.ResourceOptions(parent=self),
        )
        custom = pulumi.ResourceOptions(parent=self, depends_on=[self.release, *args.after])
        if cluster.is_primary:
            # A remote's gateway is programmed by its primary, from the primary's config.
            self._custom_resource(cluster.name, "cross-network-gateway", "Gateway", values.cross_network_gateway_spec(), custom)
        if args.expose_control_plane:
            self._custom_resource(cluster.name, "istiod-gateway", "Gateway", istiod_gateway_spec(), custom)
            for revision in args.settings.revisions:
                self._custom_resource(
                    cluster.name, f"istiod-vs-{revision.name}", "VirtualService", istiod_virtual_service_spec(revision), custom
                )
        self.register_outputs({"address": self.address})

    def _custom_resource(self, cluster: str, name: str, kind: str, spec: dict[str, Any], opts: pulumi.ResourceOptions) -> None:
        k8s.apiextensions.CustomResource(
            naming.child(cluster, name),
            api_version="networking.istio.io/v1",
            kind=kind,
            metadata=k8s.meta.v1.ObjectMetaArgs(name=name, namespace=values.NAMESPACE),
            spec=spec,
            opts=opts,
        )


def address_for_remotes(primary: str, remotes: Sequence[str], address: str) -> str:
    """The primary's gateway address as its remotes' `global.remotePilotAddress`; it must be an IP.

    For a hostname the remote's istiod stub becomes an ExternalName Service (1.30
    `templates/remote-istiod-service.yaml`), which an admission webhook cannot call, so no pod in the
    remote would ever be injected. Judged from the resolved address, whatever the cloud or adoption.
    """
    try:
        ipaddress.ip_address(address)
    except ValueError:
        raise pulumi.RunError(
            f"the east-west gateway of primary {primary!r} published the hostname {address!r}, but it serves the remote "
            f"clusters {', '.join(repr(r) for r in remotes)}: Istio turns a hostname into an ExternalName istiod Service in "
            "each remote, which cannot carry the sidecar-injection webhook (port 443 to the gateway's 15017); give the "
            "primary a load balancer that publishes an IP (an AWS NLB never does), or use topology 'multi-primary'"
        ) from None
    return address


def istiod_gateway_spec() -> dict[str, Any]:
    return {
        "selector": dict(values.EASTWEST_SELECTOR),
        "servers": [
            {
                "port": {"name": "tls-istiod", "number": values.DISCOVERY_PORT, "protocol": "TLS"},
                "tls": {"mode": "PASSTHROUGH"},
                "hosts": ["*"],
            },
            {
                "port": {"name": "tls-istiodwebhook", "number": values.WEBHOOK_PORT, "protocol": "TLS"},
                "tls": {"mode": "PASSTHROUGH"},
                "hosts": ["*"],
            },
        ],
    }


def istiod_virtual_service_spec(revision: Revision) -> dict[str, Any]:
    """Routes a remote's xDS (15012) and webhook (15017 -> istiod 443) traffic for one revision by SNI."""
    service = f"istiod-{revision.name}.{values.NAMESPACE}.svc"
    host = f"{service}.cluster.local"
    return {
        "hosts": ["*"],
        "gateways": ["istiod-gateway"],
        "tls": [
            {
                "match": [{"port": port, "sniHosts": [service, host]}],
                "route": [{"destination": {"host": host, "port": {"number": target}}}],
            }
            for port, target in ((values.DISCOVERY_PORT, values.DISCOVERY_PORT), (values.WEBHOOK_PORT, 443))
        ],
    }
