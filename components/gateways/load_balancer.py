"""The Service settings that turn an east-west gateway into the right L4 load balancer on each cloud.

One function serves every mesh: Istio's east-west gateway (`service.annotations`), Linkerd's gateway
(`gateway.serviceAnnotations`) and Consul's mesh gateway (`meshGateway.service.annotations`, which
that chart takes as a YAML string) all sit behind the same kind of passthrough load balancer: the
traffic is mTLS routed by SNI, so the load balancer must not terminate it.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from typing import Any, cast

import pulumi
import pulumi_kubernetes as k8s
from pulumi.output import UNKNOWN

from ..clusters import Cluster
from ..config import Cloud, ClusterSpec, Exposure


def load_balancer_annotations(cloud: Cloud, exposure: Exposure) -> dict[str, str]:
    if cloud == "aws":
        # Network Load Balancer of the AWS cloud provider: L4 passthrough, one per Service.
        annotations = {
            "service.beta.kubernetes.io/aws-load-balancer-type": "nlb",
            "service.beta.kubernetes.io/aws-load-balancer-cross-zone-load-balancing-enabled": "true",
        }
        if exposure == "internal":
            annotations["service.beta.kubernetes.io/aws-load-balancer-internal"] = "true"
        return annotations
    if cloud == "gcp":
        if exposure == "internal":
            # Clusters in other regions reach an internal passthrough LB only with global access.
            return {
                "networking.gke.io/load-balancer-type": "Internal",
                "networking.gke.io/internal-load-balancer-allow-global-access": "true",
            }
        return {}  # GKE's default for type LoadBalancer is an external passthrough Network LB.
    return {}  # An adopted cluster: gateway_annotations takes what its config gives for its platform.


# Records on the Service the operator's word (`internalLoadBalancerAnnotations: {}`) that the adopted
# cluster's load balancers are private anyway, so the policy pack sees an internal gateway, not a public one.
PRIVATE_PLATFORM = {"meshfleet.io/load-balancer": "private-platform"}
DECLARED_INTERNAL = "meshfleet.io/internal-annotations"
"""Names, on the Service, the annotations the operator declared make a load balancer internal on an adopted
cluster's platform (`internalLoadBalancerAnnotations`), so the policy pack judges a platform it does not
know (MetalLB's address pools, an on-prem controller's) as the program did: internal, while those
annotations are there."""


def gateway_annotations(cluster: ClusterSpec) -> dict[str, str]:
    """The annotations of a mesh gateway's Service: the cloud's for a created cluster; for an adopted one
    with an internal gateway, those its config gives for its platform (config validation requires them),
    with the record of that declaration."""
    existing = cluster.existing
    if existing is not None and cluster.gateway.exposure == "internal":
        declared = existing.internal_load_balancer_annotations or {}
        if not declared:
            return dict(PRIVATE_PLATFORM)
        return {**declared, DECLARED_INTERNAL: ",".join(sorted(declared))}
    return load_balancer_annotations(cluster.cloud, cluster.gateway.exposure)


def allowed_sources(cluster: Cluster, clusters: Mapping[str, Cluster]) -> pulumi.Output[list[str]]:
    """Who may reach this cluster's gateway: the peers' addresses (private or public, matching the
    gateway's exposure) plus the configured `gateway.sourceRanges`. Empty means unrestricted."""
    internal = cluster.spec.gateway.exposure == "internal"
    extra, me = list(cluster.spec.gateway.source_ranges), cluster.spec.name
    every_cluster = _gathered(tuple((name, c.peer_source_cidrs(internal)) for name, c in clusters.items()))
    return every_cluster.apply(lambda by_cluster: sorted({*extra, *(c for peer, cidrs in by_cluster.items() if peer != me for c in cidrs)}))


@functools.lru_cache(maxsize=4)
def _gathered(sources: tuple[tuple[str, pulumi.Output[list[str]]], ...]) -> pulumi.Output[dict[str, list[str]]]:
    """Every cluster's source addresses in one Output, gathered once per fleet and exposure (Outputs
    compare by identity): a gather of the peers per allow-list is N² Output operations, which cost a
    100-cluster evaluation more CPU than all its resources' own registrations."""
    return pulumi.Output.all(**dict(sources))


def sources_are_known(cluster: Cluster, clusters: Mapping[str, Cluster]) -> bool:
    """Whether `allowed_sources` can be non-empty; decided from config so resources are never created inside an apply."""
    peers = [c for name, c in clusters.items() if name != cluster.spec.name]
    return bool(cluster.spec.gateway.source_ranges) or any(p.has_known_egress for p in peers)


def gateway_address(
    resource_name: str,
    release: k8s.helm.v3.Release,
    service: str,
    published: pulumi.Input[str | None],
    opts: pulumi.ResourceOptions,
) -> pulumi.Output[str]:
    """The IP or hostname of the LoadBalancer Service `service` that a chart release made: its first
    `status.loadBalancer.ingress` entry (`gateway_addresses`, which says how a preview gets it)."""
    return gateway_addresses(resource_name, release, service, pulumi.Output.from_input(published).apply(_listed), opts).apply(
        lambda addresses: addresses[0]
    )


def gateway_addresses(
    resource_name: str,
    release: k8s.helm.v3.Release,
    service: str,
    published: pulumi.Input[list[str] | None],
    opts: pulumi.ResourceOptions,
) -> pulumi.Output[list[str]]:
    """Every IP or hostname of the LoadBalancer Service `service` that a chart release made, in its
    `status.loadBalancer.ingress` order (a dual-stack load balancer publishes one per family).

    `pulumi up` reads the Service after the release (Helm waits for the load balancer's address). A preview
    reads nothing: it takes the addresses the last deployment published (`published`), the ones a kept
    Service still has, and leaves them unknown for a cluster new to the mesh. A read would make the preview
    depend on the release's status, unknown whenever a preview updates the release with a value not yet
    known (a new peer's address in its allow-list), which would show every Link or remote secret naming this
    gateway as changed when `pulumi up` keeps them; and a read of an unreachable cluster fails the whole
    preview (pulumi-kubernetes provider.go Read at v4.32.0), where its other resources only warn.
    """
    if pulumi.runtime.is_dry_run():
        return pulumi.Output.from_input(published).apply(lambda addresses: list(addresses) if addresses else cast(list[str], UNKNOWN))
    read = k8s.core.v1.Service.get(
        resource_name,
        release.status.apply(lambda status: f"{status.namespace}/{service}"),
        opts=pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(depends_on=[release])),
    )
    return read.status.apply(lambda status: _load_balancer_addresses(status, service))


def _listed(address: str | None) -> list[str] | None:
    return [address] if address else None


def _load_balancer_addresses(status: Any, service: str) -> list[str]:
    """What `linkerd multicluster link-gen` takes from the gateway Service (multicluster/cmd/link-gen.go:277-287
    at edge-26.8.3): each ingress entry's IP, else its hostname, skipping empty entries."""
    ingress = (status.load_balancer.ingress if status and status.load_balancer else None) or []
    addresses = [str(entry.ip or entry.hostname) for entry in ingress if entry.ip or entry.hostname]
    if not addresses:
        raise pulumi.RunError(
            f"the load balancer of gateway Service {service!r} has no address; check that the cluster can provision "
            "Services of type LoadBalancer (on kind, run cloud-provider-kind)"
        )
    return addresses
