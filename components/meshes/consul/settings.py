"""The `mesh.consul` block: the peering-token generation, who installs the Gateway API CRDs, and the free
edition's limits.

meshfleet runs Consul's free edition (consul-k8s 2.0.3). The Enterprise-only features a user might reach
for are named here so that asking for one is a clear error instead of a setting Helm or Consul ignores.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import pulumi

from ...config import EksSpec, FleetSpec, Problems, Section
from ...config.reader import EXACT_VERSION, quote
from ...k8s import ChartRef

REPOSITORY = "https://helm.releases.hashicorp.com"
CHART = "consul"
VERSION_LINE = "2.0"
DEFAULT_VERSION = "2.0.3"  # consul-k8s v2.0.3 (2026-08-12); every value path is checked against it

# Consul Enterprise features (agent/structs/*_ce.go in hashicorp/consul refuse them in the free edition).
ENTERPRISE_ONLY = {
    "adminPartitions": "admin partitions",
    "samenessGroups": "sameness groups",
    "failoverPolicy": "failover policies (`failover.policy`)",
    "prioritizeByLocality": "prioritize-by-locality",
}


@dataclass(frozen=True)
class ConsulSettings:
    version: str
    """Version of the consul chart (mesh.version)."""
    peering_token_generation: int
    """Bumping it makes every PeeringAcceptor issue a new token, which the program hands to the dialers."""
    install_gateway_api_crds: bool = False
    """`mesh.consul.installGatewayApiCrds`: whether the chart installs the Gateway API CRDs
    (`global.installK8sNetworkingCRDs`). Default: no, every cluster must serve them (docs/consul.md), unless
    the last deployment's chart installed them (`continue_gateway_api_crds`)."""
    gateway_api_crds_set: bool = False
    """Whether the config says `installGatewayApiCrds` at all (the default never removes installed CRDs)."""

    def chart(self) -> ChartRef:
        return ChartRef(REPOSITORY, CHART, self.version)


def parse_settings(fleet: FleetSpec, s: Section) -> ConsulSettings:
    s.reject_unknown(["peeringTokenGeneration", "installGatewayApiCrds", *ENTERPRISE_ONLY])
    for key, feature in ENTERPRISE_ONLY.items():
        if s.has(key):
            s.problem(
                key,
                f"{feature} are a Consul Enterprise feature; meshfleet runs the free edition and never emits them. "
                "Remove the setting (cross-cluster failover is `mesh.locality.failover`, as ordered peer targets)",
            )
    version = fleet.mesh.version or DEFAULT_VERSION
    if version and EXACT_VERSION.match(version) and not version.startswith(f"{VERSION_LINE}."):
        s.problems.add(
            "meshfleet:mesh.version",
            f"{quote(version)} is outside consul-k8s {VERSION_LINE}, the line this meshfleet release pins; "
            f"use a {VERSION_LINE}.x chart such as {DEFAULT_VERSION!r}",
        )
    replicas = fleet.mesh.control_plane_replicas
    if replicas % 2 == 0:
        s.problems.add(
            "meshfleet:mesh.controlPlane.replicas",
            f"{replicas} Consul servers survive no more failures than {replicas - 1} would: Raft needs a majority "
            f"({replicas // 2 + 1} of {replicas}) and the chart's disruption budget lets a drain stop one; "
            "use an odd number such as 3 (or 1 for a test fleet)",
        )
    if fleet.mesh.trust_domain != "cluster.local":
        s.problems.add(
            "meshfleet:mesh.trustDomain",
            f"{quote(fleet.mesh.trust_domain)} cannot be given to Consul, which names each datacenter's trust domain "
            "`<cluster-id>.consul` itself; remove the setting",
        )
    generation = s.integer("peeringTokenGeneration", 1, minimum=1, maximum=1_000_000) or 1
    install_crds = s.boolean("installGatewayApiCrds", False)
    if s.raw.get("installGatewayApiCrds") in (None, False):  # a mistyped value is its own problem
        _check_gateway_api_crds(fleet, s)
    return ConsulSettings(
        version=version,
        peering_token_generation=generation,
        install_gateway_api_crds=install_crds,
        gateway_api_crds_set=s.has("installGatewayApiCrds"),
    )


def _check_gateway_api_crds(fleet: FleetSpec, s: Section) -> None:
    """The connect injector watches Gateway API kinds whether or not the chart installs their CRDs, and exits
    when they are not served (docs/consul.md, "What a cluster must provide"). GKE installs them for a cluster the stack
    creates; EKS has no such option, and meshfleet does not install cluster-wide CRDs behind the chart's back."""
    eks = sorted(name for name, cluster in fleet.clusters.items() if isinstance(cluster.create, EksSpec))
    if eks:
        s.problem(
            "installGatewayApiCrds",
            f"is false (its default), and EKS serves no Gateway API CRDs on the clusters this stack creates there "
            f"({', '.join(eks)}), which Consul's connect injector watches: it would exit and the release fail. Set it to "
            "true to have the chart install them (removing the mesh then deletes every Gateway and HTTPRoute of those "
            "clusters; `helm install` fails where they exist already), or adopt the clusters once they serve them",
        )


GENERATION_OUTPUT = "consulPeeringTokenGeneration"
"""The stack output (outside the contract) recording the generation a deployment used."""
GATEWAY_API_CRDS_OUTPUT = "consulGatewayApiCrds"
"""The stack output (outside the contract) recording whether a deployment's chart installed the Gateway API CRDs."""

_CRDS_GO_WITH_THE_RELEASE = (
    "Helm deletes CRDs that leave a release, and the API server then deletes every object of their kinds: every "
    "Gateway, HTTPRoute, GatewayClass, ReferenceGrant and TCPRoute in the cluster, whoever made it"
)


def continue_gateway_api_crds(settings: ConsulSettings, deployed_mesh: object, deployed_crds: object) -> ConsulSettings:
    """What `installGatewayApiCrds` means against the last deployment. Before meshfleet 1.1 (no
    `consulGatewayApiCrds` output) the chart's default `global.installK8sNetworkingCRDs: true` installed the
    CRDs (charts/consul/values.yaml at v2.0.3); turning that off would delete them with the next release
    upgrade. So, unset, the setting keeps what the last deployment did and warns; set to false over installed
    CRDs, it warns what `up` will delete."""
    ran_consul = isinstance(deployed_mesh, dict) and deployed_mesh.get("type") == "consul"
    installed = ran_consul and deployed_crds is not False
    if not installed:
        return settings
    key = "meshfleet:mesh.consul.installGatewayApiCrds"
    if not settings.gateway_api_crds_set:
        pulumi.log.warn(
            f"{key} is unset; keeping true because the last deployment's Consul chart installed the Gateway API CRDs. "
            f"Set it to true to keep them and silence this warning. Setting it to false removes them: {_CRDS_GO_WITH_THE_RELEASE} "
            "(docs/consul.md, 'The Gateway API CRDs')"
        )
        return replace(settings, install_gateway_api_crds=True)
    if not settings.install_gateway_api_crds:
        pulumi.log.warn(
            f"{key} is false and the last deployment's Consul chart installed the Gateway API CRDs: this update removes them "
            f"from every cluster's release. {_CRDS_GO_WITH_THE_RELEASE} (docs/consul.md, 'The Gateway API CRDs')"
        )
    return settings


def check_deployed_generation(settings: ConsulSettings, deployed: object) -> None:
    """Refuse a `peeringTokenGeneration` below the one the last deployment used. The acceptor controller only
    ever raises `status.latestPeeringVersion` (updateStatus, peering_acceptor_controller.go:262-271) and makes no
    token for a lower annotation (shouldGenerateToken :232-240): every acceptor's wait would time out."""
    if not isinstance(deployed, int | float) or settings.peering_token_generation >= deployed:
        return  # a first deployment, or one from before the output existed: nothing to compare with
    problems = Problems()
    used = int(deployed)
    problems.add(
        "meshfleet:mesh.consul.peeringTokenGeneration",
        f"{settings.peering_token_generation} is lower than {used}, which the last deployment used: an acceptor's status "
        f"keeps the highest version it reached, so a lower one is never reported and every acceptor would be waited for "
        f"until `pulumi up` times out. Set {used} to keep the current tokens, or {used + 1} to re-issue them",
    )
    problems.raise_if_any()


__all__ = [
    "DEFAULT_VERSION",
    "ENTERPRISE_ONLY",
    "GATEWAY_API_CRDS_OUTPUT",
    "GENERATION_OUTPUT",
    "ConsulSettings",
    "check_deployed_generation",
    "continue_gateway_api_crds",
    "parse_settings",
]
