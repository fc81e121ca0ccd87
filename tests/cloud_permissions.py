"""What each cloud resource type the program registers needs from the deploying identity.

`tests/test_deploying.py` runs the real program for the example stacks, collects every `aws:*` and `gcp:*`
type token (and the cloud providers) it registers, and checks `docs/iam/aws-policy.json` and
`docs/iam/gcp-role.yaml` against this table: a type missing here, or an action the files do not grant,
fails the suite, so adding a resource to `components/clusters/` means saying what it needs.

Where the entries come from: the API calls of each resource's create, read, update and delete in the
Terraform providers pulumi-aws 7.51.1 and pulumi-gcp 10.2.0 bridge (terraform-provider-aws
`internal/service/ec2`, `iam`, `eks`; terraform-provider-google `services/compute`, `container`,
`resourcemanager`), named as in AWS's Service Authorization Reference and Google's IAM permissions
reference. Examples of calls that are easy to miss: deleting a subnet first deletes the lingering
network interfaces in it (`deleteLingeringENIs` in `vpc_subnet.go`: DescribeNetworkInterfaces,
DetachNetworkInterface, DeleteNetworkInterface); EC2 tags on create need `ec2:CreateTags`; a GKE subnet,
router or firewall needs `compute.networks.updatePolicy` on its network; a node pool with a service
account needs `iam.serviceAccounts.actAs` on it. None of this was checked against a live account:
the first real `pulumi up` with these files is the proof (docs/deploying.md says so).
"""

from __future__ import annotations

# Read-only EC2 calls the resources make (covered by one `ec2:Describe*` in the policy).
_EC2_READS = ("ec2:DescribeVpcs", "ec2:DescribeSubnets", "ec2:DescribeRouteTables", "ec2:DescribeSecurityGroups")
_EC2_TAGS = ("ec2:CreateTags", "ec2:DeleteTags")
_EKS_TAGS = ("eks:TagResource", "eks:UntagResource")

AWS_ACTIONS: dict[str, tuple[str, ...]] = {
    # The provider checks its credentials and learns the account id on configure.
    "pulumi:providers:aws": ("sts:GetCallerIdentity",),
    "aws:ec2/vpc:Vpc": (
        "ec2:CreateVpc", "ec2:DeleteVpc", "ec2:DescribeVpcs", "ec2:DescribeVpcAttribute", "ec2:ModifyVpcAttribute",
        # the VPC's main route table, default network ACL and default security group are read back
        "ec2:DescribeRouteTables", "ec2:DescribeNetworkAcls", "ec2:DescribeSecurityGroups", *_EC2_TAGS,
    ),
    "aws:ec2/internetGateway:InternetGateway": (
        "ec2:CreateInternetGateway", "ec2:AttachInternetGateway", "ec2:DetachInternetGateway", "ec2:DeleteInternetGateway",
        "ec2:DescribeInternetGateways", *_EC2_TAGS,
    ),
    "aws:ec2/subnet:Subnet": (
        "ec2:CreateSubnet", "ec2:DeleteSubnet", "ec2:DescribeSubnets", "ec2:ModifySubnetAttribute",
        "ec2:DescribeNetworkInterfaces", "ec2:DetachNetworkInterface", "ec2:DeleteNetworkInterface", *_EC2_TAGS,
    ),
    "aws:ec2/routeTable:RouteTable": (
        "ec2:CreateRouteTable", "ec2:DeleteRouteTable", "ec2:DescribeRouteTables", "ec2:CreateRoute", "ec2:ReplaceRoute",
        "ec2:DeleteRoute", *_EC2_TAGS,
    ),
    "aws:ec2/routeTableAssociation:RouteTableAssociation": (
        "ec2:AssociateRouteTable", "ec2:DisassociateRouteTable", "ec2:ReplaceRouteTableAssociation", "ec2:DescribeRouteTables",
    ),
    "aws:ec2/eip:Eip": (
        "ec2:AllocateAddress", "ec2:ReleaseAddress", "ec2:DisassociateAddress", "ec2:DescribeAddresses",
        "ec2:DescribeAddressesAttribute", *_EC2_TAGS,
    ),
    "aws:ec2/natGateway:NatGateway": ("ec2:CreateNatGateway", "ec2:DeleteNatGateway", "ec2:DescribeNatGateways", *_EC2_TAGS),
    "aws:ec2/securityGroupRule:SecurityGroupRule": (
        "ec2:AuthorizeSecurityGroupIngress", "ec2:RevokeSecurityGroupIngress", "ec2:UpdateSecurityGroupRuleDescriptionsIngress",
        "ec2:DescribeSecurityGroups", "ec2:DescribeSecurityGroupRules",
    ),
    "aws:iam/role:Role": (
        "iam:CreateRole", "iam:GetRole", "iam:DeleteRole", "iam:UpdateRole", "iam:UpdateAssumeRolePolicy", "iam:TagRole",
        "iam:UntagRole", "iam:ListRolePolicies", "iam:ListAttachedRolePolicies", "iam:ListInstanceProfilesForRole",
    ),
    "aws:iam/rolePolicyAttachment:RolePolicyAttachment": ("iam:AttachRolePolicy", "iam:DetachRolePolicy", "iam:ListAttachedRolePolicies"),
    "aws:eks/cluster:Cluster": (
        "eks:CreateCluster", "eks:DescribeCluster", "eks:DeleteCluster", "eks:UpdateClusterConfig", "eks:UpdateClusterVersion",
        "eks:DescribeUpdate", *_EKS_TAGS,
        # the cluster role is handed to EKS; EKS's service-linked role is made on an account's first cluster
        "iam:PassRole", "iam:CreateServiceLinkedRole",
    ),
    "aws:eks/nodeGroup:NodeGroup": (
        "eks:CreateNodegroup", "eks:DescribeNodegroup", "eks:DeleteNodegroup", "eks:UpdateNodegroupConfig",
        "eks:UpdateNodegroupVersion", "eks:DescribeUpdate", *_EKS_TAGS, "iam:PassRole", "iam:CreateServiceLinkedRole",
        *_EC2_READS,
    ),
    "aws:eks/accessEntry:AccessEntry": (
        "eks:CreateAccessEntry", "eks:DescribeAccessEntry", "eks:UpdateAccessEntry", "eks:DeleteAccessEntry", *_EKS_TAGS,
    ),
    # Consul's servers need volumes: the EBS CSI driver add-on, its controller's role through EKS Pod Identity
    # (components/clusters/storage.py), and the Pod Identity agent add-on.
    "aws:eks/addon:Addon": (
        "eks:CreateAddon", "eks:DescribeAddon", "eks:UpdateAddon", "eks:DeleteAddon", "eks:DescribeAddonVersions", *_EKS_TAGS,
        "eks:CreatePodIdentityAssociation", "eks:DescribePodIdentityAssociation", "eks:UpdatePodIdentityAssociation",
        "eks:DeletePodIdentityAssociation", "iam:PassRole",
    ),
    "aws:eks/accessPolicyAssociation:AccessPolicyAssociation": (
        "eks:AssociateAccessPolicy", "eks:ListAssociatedAccessPolicies", "eks:DisassociateAccessPolicy",
    ),
}  # fmt: skip

GCP_PERMISSIONS: dict[str, tuple[str, ...]] = {
    "pulumi:providers:gcp": (),  # configuring the provider calls nothing
    "gcp:compute/network:Network": (
        "compute.networks.create", "compute.networks.get", "compute.networks.delete", "compute.globalOperations.get",
    ),
    "gcp:compute/subnetwork:Subnetwork": (
        "compute.subnetworks.create", "compute.subnetworks.get", "compute.subnetworks.update", "compute.subnetworks.delete",
        "compute.subnetworks.setPrivateIpGoogleAccess", "compute.networks.updatePolicy", "compute.regionOperations.get",
    ),
    "gcp:compute/router:Router": (
        "compute.routers.create", "compute.routers.get", "compute.routers.update", "compute.routers.delete",
        "compute.networks.updatePolicy", "compute.regionOperations.get",
    ),
    "gcp:compute/address:Address": (
        "compute.addresses.create", "compute.addresses.get", "compute.addresses.delete", "compute.addresses.setLabels",
        "compute.regionOperations.get",
    ),
    # Cloud NAT is part of its router: created and removed by updating the router, using the reserved address.
    "gcp:compute/routerNat:RouterNat": (
        "compute.routers.get", "compute.routers.update", "compute.addresses.use", "compute.regionOperations.get",
    ),
    "gcp:compute/firewall:Firewall": (
        "compute.firewalls.create", "compute.firewalls.get", "compute.firewalls.update", "compute.firewalls.delete",
        "compute.networks.updatePolicy", "compute.globalOperations.get",
    ),
    "gcp:serviceaccount/account:Account": (
        "iam.serviceAccounts.create", "iam.serviceAccounts.get", "iam.serviceAccounts.update", "iam.serviceAccounts.delete",
    ),
    "gcp:projects/iAMMember:IAMMember": ("resourcemanager.projects.getIamPolicy", "resourcemanager.projects.setIamPolicy"),
    # The default pool GKE starts with runs as the project's default compute service account (actAs).
    "gcp:container/cluster:Cluster": (
        "container.clusters.create", "container.clusters.get", "container.clusters.update", "container.clusters.delete",
        "container.operations.get", "iam.serviceAccounts.actAs",
    ),
    # Node pools are changes to their cluster; the pool runs as the nodes' service account (actAs).
    "gcp:container/nodePool:NodePool": (
        "container.clusters.get", "container.clusters.update", "container.operations.get", "iam.serviceAccounts.actAs",
    ),
}  # fmt: skip

# The IAM roles the program creates (and hands to EKS) are named `<cluster>-<purpose>-role-<suffix>`
# (components/clusters/eks.py `_role`, Pulumi's auto-naming adds the suffix): the policy scopes its IAM
# actions to these names.
ROLE_PURPOSES = ("cluster", "node", "csi")
