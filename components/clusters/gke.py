"""A VPC-native GKE cluster with private nodes, Workload Identity, one node pool and Cloud NAT."""

from __future__ import annotations

from collections.abc import Sequence

import pulumi
import pulumi_gcp as gcp

from .. import naming
from ..config import ClusterSpec, GkeSpec
from .base import NO_NEEDS, Cluster, ClusterNeeds, api_access_cidrs, cluster_provider
from .kubeconfig import data_to_pem, gke_kubeconfig
from .storage import GKE_STORAGE_CLASS

# Least privilege for the nodes' service account: GKE's documented minimum for node service accounts
# (logs, metrics, autoscaling metrics: "Configure GKE node service accounts"; it replaces the four roles
# the older hardening guide listed, in one binding) and pulling images from Artifact Registry.
NODE_ROLES = [
    "roles/container.defaultNodeServiceAccount",
    "roles/artifactregistry.reader",
]


def _addons(needs: ClusterNeeds) -> gcp.container.ClusterAddonsConfigArgs | None:
    """The persistent disk CSI driver (GKE's `standard-rwo` StorageClass) for a mesh that claims volumes."""
    if not needs.volumes:
        return None
    return gcp.container.ClusterAddonsConfigArgs(
        gce_persistent_disk_csi_driver_config=gcp.container.ClusterAddonsConfigGcePersistentDiskCsiDriverConfigArgs(enabled=True)
    )


def _gateway_api(needs: ClusterNeeds) -> gcp.container.ClusterGatewayApiConfigArgs | None:
    """The Gateway API's standard CRDs, which GKE installs and upgrades itself (its managed Gateway API), for a
    mesh that needs them served and does not install them."""
    return gcp.container.ClusterGatewayApiConfigArgs(channel="CHANNEL_STANDARD") if needs.gateway_api_crds else None


class GkeCluster(pulumi.ComponentResource):
    """Network, subnet with pod and service ranges, Cloud NAT with fixed addresses, the cluster and its node pool."""

    cluster: Cluster

    def __init__(
        self,
        spec: ClusterSpec,
        peer_egress_cidrs: pulumi.Input[Sequence[str]],
        opts: pulumi.ResourceOptions | None = None,
        needs: ClusterNeeds = NO_NEEDS,
    ) -> None:
        super().__init__("meshfleet:clusters:GkeCluster", spec.name, None, opts)
        assert isinstance(spec.create, GkeSpec)
        settings = spec.create
        self._spec = spec
        gcp_provider = gcp.Provider(
            naming.child(spec.name, "gcp"), project=settings.project, region=spec.region, opts=pulumi.ResourceOptions(parent=self)
        )
        self._opts = pulumi.ResourceOptions(parent=self, provider=gcp_provider)
        self._node_tag = naming.child(spec.name, "nodes")

        network = gcp.compute.Network(naming.child(spec.name, "net"), auto_create_subnetworks=False, opts=self._opts)
        self._network = network
        subnet = gcp.compute.Subnetwork(
            naming.child(spec.name, "subnet"),
            network=network.id,
            region=spec.region,
            ip_cidr_range=settings.subnet_cidr,
            private_ip_google_access=True,
            secondary_ip_ranges=[
                gcp.compute.SubnetworkSecondaryIpRangeArgs(range_name="pods", ip_cidr_range=settings.pods_cidr),
                gcp.compute.SubnetworkSecondaryIpRangeArgs(range_name="services", ip_cidr_range=settings.services_cidr),
            ],
            opts=self._opts,
        )
        router = gcp.compute.Router(naming.child(spec.name, "router"), network=network.id, region=spec.region, opts=self._opts)
        # A reserved address instead of auto-allocated NAT IPs: peers allow-list it, so it must not change.
        nat_address = gcp.compute.Address(naming.child(spec.name, "nat-ip"), region=spec.region, opts=self._opts)
        gcp.compute.RouterNat(
            naming.child(spec.name, "nat"),
            router=router.name,
            region=spec.region,
            nat_ip_allocate_option="MANUAL_ONLY",
            nat_ips=[nat_address.self_link],
            source_subnetwork_ip_ranges_to_nat="ALL_SUBNETWORKS_ALL_IP_RANGES",
            opts=self._opts,
        )
        node_account = gcp.serviceaccount.Account(
            naming.child(spec.name, "nodes-sa"),
            account_id=naming.child(spec.name, "nodes")[:30],
            display_name=f"meshfleet nodes of {spec.name}",
            opts=self._opts,
        )
        for role in NODE_ROLES:
            gcp.projects.IAMMember(
                naming.child(spec.name, "nodes-sa", role.split("/")[-1]),
                project=settings.project,
                role=role,
                member=node_account.member,
                opts=self._opts,
            )

        api_cidrs = api_access_cidrs(settings.api_access_cidrs, peer_egress_cidrs)
        gke = gcp.container.Cluster(
            naming.child(spec.name, "gke"),
            name=spec.name,
            location=spec.region,
            node_locations=list(spec.zones) or None,
            network=network.id,
            subnetwork=subnet.id,
            networking_mode="VPC_NATIVE",
            ip_allocation_policy=gcp.container.ClusterIpAllocationPolicyArgs(
                cluster_secondary_range_name="pods", services_secondary_range_name="services"
            ),
            # The default pool cannot be configured like ours; GKE needs one to start, then drops it.
            remove_default_node_pool=True,
            initial_node_count=1,
            release_channel=gcp.container.ClusterReleaseChannelArgs(channel=settings.release_channel),
            workload_identity_config=gcp.container.ClusterWorkloadIdentityConfigArgs(workload_pool=f"{settings.project}.svc.id.goog"),
            # Google Groups for RBAC: app teams' `group:` identities (meshfleet:teams) bind by group.
            authenticator_groups_config=gcp.container.ClusterAuthenticatorGroupsConfigArgs(security_group=settings.rbac_security_group)
            if settings.rbac_security_group
            else None,
            private_cluster_config=gcp.container.ClusterPrivateClusterConfigArgs(
                enable_private_nodes=True, enable_private_endpoint=False, master_ipv4_cidr_block=settings.master_cidr
            ),
            master_authorized_networks_config=gcp.container.ClusterMasterAuthorizedNetworksConfigArgs(
                cidr_blocks=pulumi.Output.from_input(api_cidrs).apply(
                    lambda cidrs: [
                        gcp.container.ClusterMasterAuthorizedNetworksConfigCidrBlockArgs(cidr_block=c, display_name=c) for c in cidrs
                    ]
                )
            ),
            addons_config=_addons(needs),
            gateway_api_config=_gateway_api(needs),
            opts=self._opts,
        )
        self._master_cidr = settings.master_cidr
        nodes = gcp.container.NodePool(
            naming.child(spec.name, "nodes"),
            cluster=gke.id,
            location=spec.region,
            autoscaling=gcp.container.NodePoolAutoscalingArgs(
                total_min_node_count=settings.nodes.min_size, total_max_node_count=settings.nodes.max_size
            ),
            initial_node_count=max(1, settings.nodes.desired_size // max(1, len(spec.zones) or 3)),
            node_config=gcp.container.NodePoolNodeConfigArgs(
                machine_type=settings.nodes.instance_types[0],
                service_account=node_account.email,
                oauth_scopes=["https://www.googleapis.com/auth/cloud-platform"],
                workload_metadata_config=gcp.container.NodePoolNodeConfigWorkloadMetadataConfigArgs(mode="GKE_METADATA"),
                tags=[self._node_tag],
            ),
            opts=self._opts,
        )

        endpoint = gke.endpoint.apply(lambda host: f"https://{host}")
        ca_data = gke.master_auth.cluster_ca_certificate.apply(lambda ca: ca or "")
        kubeconfig = pulumi.Output.all(endpoint, ca_data).apply(lambda a: gke_kubeconfig(spec.name, a[0], a[1]))
        provider, tolerant_reads = cluster_provider(self, spec.name, kubeconfig, gke.id, nodes)
        self.cluster = Cluster(
            spec=spec,
            provider=provider,
            tolerant_reads=tolerant_reads,
            endpoint=endpoint,
            ca_certificate_pem=ca_data.apply(data_to_pem),
            egress_cidrs=nat_address.address.apply(lambda ip: [f"{ip}/32"]),
            private_cidrs=pulumi.Output.from_input([settings.subnet_cidr, settings.pods_cidr]),
            has_known_egress=True,
            firewall=self,
            component=self,
            storage_class=GKE_STORAGE_CLASS if needs.volumes else None,
        )
        self.register_outputs({"endpoint": endpoint, "id": gke.id, "kubeconfig": pulumi.Output.secret(kubeconfig)})

    # MeshFirewall --------------------------------------------------------------------------------
    # GKE's own firewall rules let the private control plane reach nodes only on 443 and 10250, so a
    # webhook on any other port needs a rule (istio/istio#19532).

    def allow_from_control_plane(self, purpose: str, ports: Sequence[int]) -> None:
        self._allow(purpose, ports, [self._master_cidr], f"meshfleet {purpose}: GKE control plane to pods")

    def allow_from_peers(self, purpose: str, ports: Sequence[int], cidrs: pulumi.Input[Sequence[str]]) -> None:
        self._allow(purpose, ports, cidrs, f"meshfleet {purpose}: other clusters of the mesh")

    def _allow(self, purpose: str, ports: Sequence[int], cidrs: pulumi.Input[Sequence[str]], description: str) -> None:
        gcp.compute.Firewall(
            naming.child(self._spec.name, purpose),
            network=self._network.id,
            direction="INGRESS",
            description=description,
            allows=[gcp.compute.FirewallAllowArgs(protocol="tcp", ports=[str(p) for p in ports])],
            source_ranges=cidrs,
            target_tags=[self._node_tag],
            opts=self._opts,
        )
