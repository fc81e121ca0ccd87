"""An EKS cluster with its own VPC, built from raw pulumi-aws resources.

Raw resources rather than pulumi-eks: pulumi-eks's Cluster is a remote component, opaque to unit tests
and to CrossGuard's view of what it contains, and we need its security group and NAT addresses anyway.
"""

from __future__ import annotations

import json
from collections.abc import Sequence

import pulumi
import pulumi_aws as aws

from .. import naming
from ..config import ClusterSpec, EksSpec
from .base import NO_NEEDS, Cluster, ClusterNeeds, api_access_cidrs, cluster_provider
from .kubeconfig import data_to_pem, eks_kubeconfig
from .storage import EKS_STORAGE_CLASS, eks_storage
from .subnets import plan_zone_subnets

ADMIN_POLICY = "arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy"
CLUSTER_POLICIES = ["arn:aws:iam::aws:policy/AmazonEKSClusterPolicy"]
NODE_POLICIES = [
    "arn:aws:iam::aws:policy/AmazonEKSWorkerNodePolicy",
    "arn:aws:iam::aws:policy/AmazonEKS_CNI_Policy",
    "arn:aws:iam::aws:policy/AmazonEC2ContainerRegistryReadOnly",
]


def _assume_role_policy(service: str) -> str:
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Principal": {"Service": service}, "Action": "sts:AssumeRole"}],
        }
    )


class EksCluster(pulumi.ComponentResource):
    """VPC across the configured zones, IAM roles, the EKS control plane, access entries and a managed node group."""

    cluster: Cluster

    def __init__(
        self,
        spec: ClusterSpec,
        peer_egress_cidrs: pulumi.Input[Sequence[str]],
        opts: pulumi.ResourceOptions | None = None,
        needs: ClusterNeeds = NO_NEEDS,
    ) -> None:
        super().__init__("meshfleet:clusters:EksCluster", spec.name, None, opts)
        assert isinstance(spec.create, EksSpec)
        settings = spec.create
        self._spec = spec
        # One provider per cluster: its region, and nothing falls back to ambient credentials' defaults.
        aws_provider = aws.Provider(naming.child(spec.name, "aws"), region=spec.region, opts=pulumi.ResourceOptions(parent=self))
        self._opts = pulumi.ResourceOptions(parent=self, provider=aws_provider)
        tags = {"meshfleet:cluster": spec.name, f"kubernetes.io/cluster/{spec.name}": "shared"}

        vpc = aws.ec2.Vpc(
            naming.child(spec.name, "vpc"),
            cidr_block=settings.vpc_cidr,
            enable_dns_hostnames=True,
            enable_dns_support=True,
            tags={**tags, "Name": spec.name},
            opts=self._opts,
        )
        gateway = aws.ec2.InternetGateway(naming.child(spec.name, "igw"), vpc_id=vpc.id, tags=tags, opts=self._opts)
        public_routes = aws.ec2.RouteTable(
            naming.child(spec.name, "public-routes"),
            vpc_id=vpc.id,
            routes=[aws.ec2.RouteTableRouteArgs(cidr_block="0.0.0.0/0", gateway_id=gateway.id)],
            tags=tags,
            opts=self._opts,
        )
        public_subnets: list[aws.ec2.Subnet] = []
        private_subnets: list[aws.ec2.Subnet] = []
        nat_ips: list[pulumi.Output[str]] = []
        for plan in plan_zone_subnets(settings.vpc_cidr, spec.zones):
            public = aws.ec2.Subnet(
                naming.child(spec.name, "public", plan.zone),
                vpc_id=vpc.id,
                cidr_block=plan.public,
                availability_zone=plan.zone,
                map_public_ip_on_launch=False,
                tags={**tags, "kubernetes.io/role/elb": "1"},
                opts=self._opts,
            )
            aws.ec2.RouteTableAssociation(
                naming.child(spec.name, "public-route", plan.zone), subnet_id=public.id, route_table_id=public_routes.id, opts=self._opts
            )
            # A NAT gateway per zone: a zone outage does not cut the others' egress, and the fixed
            # addresses are what peers allow-list.
            address = aws.ec2.Eip(naming.child(spec.name, "nat-ip", plan.zone), domain="vpc", tags=tags, opts=self._opts)
            nat = aws.ec2.NatGateway(
                naming.child(spec.name, "nat", plan.zone), allocation_id=address.id, subnet_id=public.id, tags=tags, opts=self._opts
            )
            private = aws.ec2.Subnet(
                naming.child(spec.name, "private", plan.zone),
                vpc_id=vpc.id,
                cidr_block=plan.private,
                availability_zone=plan.zone,
                tags={**tags, "kubernetes.io/role/internal-elb": "1"},
                opts=self._opts,
            )
            private_routes = aws.ec2.RouteTable(
                naming.child(spec.name, "private-routes", plan.zone),
                vpc_id=vpc.id,
                routes=[aws.ec2.RouteTableRouteArgs(cidr_block="0.0.0.0/0", nat_gateway_id=nat.id)],
                tags=tags,
                opts=self._opts,
            )
            aws.ec2.RouteTableAssociation(
                naming.child(spec.name, "private-route", plan.zone), subnet_id=private.id, route_table_id=private_routes.id, opts=self._opts
            )
            public_subnets.append(public)
            private_subnets.append(private)
            nat_ips.append(address.public_ip)

        cluster_role = self._role("cluster", "eks.amazonaws.com", CLUSTER_POLICIES)
        node_role = self._role("node", "ec2.amazonaws.com", NODE_POLICIES)

        eks = aws.eks.Cluster(
            naming.child(spec.name, "eks"),
            name=spec.name,
            version=settings.kubernetes_version,
            role_arn=cluster_role.arn,
            vpc_config=aws.eks.ClusterVpcConfigArgs(
                subnet_ids=[s.id for s in private_subnets + public_subnets],
                endpoint_private_access=True,
                endpoint_public_access=True,
                public_access_cidrs=api_access_cidrs(settings.api_access_cidrs, peer_egress_cidrs),
            ),
            access_config=aws.eks.ClusterAccessConfigArgs(
                authentication_mode="API",
                bootstrap_cluster_creator_admin_permissions=True,
            ),
            tags=tags,
            opts=self._opts,
        )
        for i, principal in enumerate(settings.admin_principal_arns):
            entry = aws.eks.AccessEntry(
                naming.child(spec.name, "admin", str(i)), cluster_name=eks.name, principal_arn=principal, type="STANDARD", opts=self._opts
            )
            aws.eks.AccessPolicyAssociation(
                naming.child(spec.name, "admin", str(i), "policy"),
                cluster_name=eks.name,
                principal_arn=entry.principal_arn,
                policy_arn=ADMIN_POLICY,
                access_scope=aws.eks.AccessPolicyAssociationAccessScopeArgs(type="cluster"),
                opts=self._opts,
            )
        nodes = aws.eks.NodeGroup(
            naming.child(spec.name, "nodes"),
            cluster_name=eks.name,
            node_role_arn=node_role.arn,
            subnet_ids=[s.id for s in private_subnets],
            instance_types=list(settings.nodes.instance_types),
            scaling_config=aws.eks.NodeGroupScalingConfigArgs(
                min_size=settings.nodes.min_size,
                max_size=settings.nodes.max_size,
                desired_size=settings.nodes.desired_size,
            ),
            tags=tags,
            opts=self._opts,
        )
        self._security_group_id = eks.vpc_config.cluster_security_group_id
        # For access entries made elsewhere (components/teams.py): the cluster's name as an output, and its region's provider.
        self.eks_name: pulumi.Output[str] = eks.name
        self.aws_provider = aws_provider

        ca_data = eks.certificate_authority.data
        kubeconfig = pulumi.Output.all(eks.endpoint, ca_data, eks.name).apply(
            lambda a: eks_kubeconfig(spec.name, a[0], a[1], a[2], spec.region, settings.kubeconfig_role_arn)
        )
        provider, tolerant_reads = cluster_provider(self, spec.name, kubeconfig, eks.arn, nodes)
        storage = eks_storage(spec.name, eks.name, nodes, provider, self._opts) if needs.volumes else ()
        self.cluster = Cluster(
            spec=spec,
            provider=provider,
            tolerant_reads=tolerant_reads,
            endpoint=eks.endpoint,
            ca_certificate_pem=ca_data.apply(data_to_pem),
            egress_cidrs=pulumi.Output.all(*nat_ips).apply(lambda ips: [f"{ip}/32" for ip in ips]),
            private_cidrs=pulumi.Output.from_input([settings.vpc_cidr]),
            has_known_egress=True,
            firewall=self,
            component=self,
            storage_class=EKS_STORAGE_CLASS if needs.volumes else None,
            prerequisites=storage,
        )
        self.register_outputs({"endpoint": eks.endpoint, "arn": eks.arn, "kubeconfig": pulumi.Output.secret(kubeconfig)})

    def _role(self, purpose: str, service: str, policies: list[str]) -> aws.iam.Role:
        role = aws.iam.Role(
            naming.child(self._spec.name, purpose, "role"), assume_role_policy=_assume_role_policy(service), opts=self._opts
        )
        for policy in policies:
            aws.iam.RolePolicyAttachment(
                naming.child(self._spec.name, purpose, policy.rsplit("/", 1)[-1]), role=role.name, policy_arn=policy, opts=self._opts
            )
        return role

    # MeshFirewall --------------------------------------------------------------------------------
    # EKS attaches its cluster security group to the control plane's network interfaces and to the
    # managed nodes, so that group is both the source (control plane) and the target (nodes).

    def allow_from_control_plane(self, purpose: str, ports: Sequence[int]) -> None:
        self._allow(purpose, ports, "EKS control plane", source_security_group_id=self._security_group_id)

    def allow_from_peers(self, purpose: str, ports: Sequence[int], cidrs: pulumi.Input[Sequence[str]]) -> None:
        self._allow(purpose, ports, "other clusters of the mesh", cidr_blocks=cidrs)

    def _allow(self, purpose: str, ports: Sequence[int], source: str, **allowed: pulumi.Input[object]) -> None:
        for port in ports:
            aws.ec2.SecurityGroupRule(
                naming.child(self._spec.name, purpose, str(port)),
                type="ingress",
                description=f"meshfleet {purpose}: {source} to {port}",
                security_group_id=self._security_group_id,
                protocol="tcp",
                from_port=port,
                to_port=port,
                opts=self._opts,
                **allowed,  # type: ignore[arg-type]
            )
