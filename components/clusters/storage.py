"""Volumes on the clusters the stack creates, for meshes whose control plane claims them (Consul's servers).

EKS: a new cluster has no volume provisioner. The in-tree EBS plugin is gone (Kubernetes moved
`kubernetes.io/aws-ebs` to the `ebs.csi.aws.com` CSI driver and removed the in-tree code in 1.27), EKS does
not install that driver, and clusters created on EKS 1.30 or later have no default StorageClass either
(EKS's 1.30 release notes). So a created EKS cluster that needs volumes gets:

- the `eks-pod-identity-agent` add-on, and the `aws-ebs-csi-driver` add-on whose controller's service
  account (`ebs-csi-controller-sa`) gets a role of its own through **EKS Pod Identity**: the role trusts
  `pods.eks.amazonaws.com` and carries `AmazonEBSCSIDriverPolicy`. Pod Identity rather than IRSA: no
  IAM OIDC provider per cluster (an account-wide object, 100 per account by default, which a large fleet
  would exhaust), a trust policy that names no cluster's issuer, and the association is part of the add-on
  (`aws.eks.Addon` `pod_identity_associations`). The nodes' AmazonEKSWorkerNodePolicy already grants the
  agent `eks-auth:AssumeRoleForPodIdentity`.
- a StorageClass `ebs-gp3` (`ebs.csi.aws.com`, gp3, encrypted, `WaitForFirstConsumer` so that a volume is
  made in the zone the scheduler picked for its pod), which the mesh's claims name.

GKE: the Compute Engine persistent disk CSI driver is a GKE add-on, enabled explicitly here, whose
`standard-rwo` StorageClass (`pd.csi.storage.gke.io`, WaitForFirstConsumer) GKE creates and keeps.
These GKE and EKS facts come from the providers' documentation, not from source read here.
"""

from __future__ import annotations

import json

import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as k8s

from .. import naming
from .base import ClusterNeeds

EBS_CSI_DRIVER = "ebs.csi.aws.com"
EBS_CSI_ADDON = "aws-ebs-csi-driver"
EBS_CSI_SERVICE_ACCOUNT = "ebs-csi-controller-sa"
EBS_CSI_POLICY = "arn:aws:iam::aws:policy/service-role/AmazonEBSCSIDriverPolicy"
POD_IDENTITY_ADDON = "eks-pod-identity-agent"
EKS_STORAGE_CLASS = "ebs-gp3"

GKE_PD_CSI_DRIVER = "pd.csi.storage.gke.io"
GATEWAY_API_CRDS = (
    "gatewayclasses.gateway.networking.k8s.io",
    "gateways.gateway.networking.k8s.io",
    "httproutes.gateway.networking.k8s.io",
    "referencegrants.gateway.networking.k8s.io",
)
"""The Gateway API kinds Consul's connect injector watches (api-gateway/controllers/gatewayclass_controller.go
:129-138 and gateway_controller.go :472-506 at v2.0.3) and its gateway-resources hook writes (a GatewayClass)."""
GKE_STORAGE_CLASS = "standard-rwo"

# EKS Pod Identity's trust policy: the agent assumes the role and tags the session with the pod's identity.
POD_IDENTITY_TRUST = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Principal": {"Service": "pods.eks.amazonaws.com"}, "Action": ["sts:AssumeRole", "sts:TagSession"]}
        ],
    }
)


def eks_storage(
    cluster: str,
    cluster_name: pulumi.Input[str],
    nodes: pulumi.Resource,
    provider: k8s.Provider,
    opts: pulumi.ResourceOptions,
) -> tuple[pulumi.Resource, ...]:
    """The EBS CSI driver with its own role, and the StorageClass `ebs-gp3` that claims name. `opts`: the cluster's AWS
    provider and parent. The add-ons wait for the nodes: EKS reports an add-on active once its pods run."""
    agent = aws.eks.Addon(
        naming.child(cluster, POD_IDENTITY_ADDON),
        cluster_name=cluster_name,
        addon_name=POD_IDENTITY_ADDON,
        opts=pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(depends_on=[nodes])),
    )
    role = aws.iam.Role(naming.child(cluster, "ebs-csi", "role"), assume_role_policy=POD_IDENTITY_TRUST, opts=opts)
    policy = aws.iam.RolePolicyAttachment(
        naming.child(cluster, "ebs-csi", EBS_CSI_POLICY.rsplit("/", 1)[-1]), role=role.name, policy_arn=EBS_CSI_POLICY, opts=opts
    )
    driver = aws.eks.Addon(
        naming.child(cluster, EBS_CSI_ADDON),
        cluster_name=cluster_name,
        addon_name=EBS_CSI_ADDON,
        pod_identity_associations=[aws.eks.AddonPodIdentityAssociationArgs(role_arn=role.arn, service_account=EBS_CSI_SERVICE_ACCOUNT)],
        opts=pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(depends_on=[nodes, agent, policy])),
    )
    storage_class = k8s.storage.v1.StorageClass(
        naming.child(cluster, EKS_STORAGE_CLASS),
        metadata=k8s.meta.v1.ObjectMetaArgs(name=EKS_STORAGE_CLASS),
        provisioner=EBS_CSI_DRIVER,
        parameters={"type": "gp3", "encrypted": "true"},
        volume_binding_mode="WaitForFirstConsumer",
        allow_volume_expansion=True,
        opts=pulumi.ResourceOptions(parent=opts.parent, provider=provider, depends_on=[driver]),
    )
    return (driver, storage_class)


def existing_prerequisites(
    cluster: str, needs: ClusterNeeds, class_name: str | None, provider: k8s.Provider, parent: pulumi.Resource
) -> tuple[pulumi.Resource, ...]:
    """Reads proving an adopted cluster has what the mesh needs, before its control plane installs: a missing
    object fails the read (and the preview) instead of a release that times out. The StorageClass the config
    names, when it names one (whether its provisioner runs cannot be read: only CSI drivers register a
    CSIDriver object), and the Gateway API CRDs a mesh needs served."""
    opts = pulumi.ResourceOptions(parent=parent, provider=provider)
    reads: list[pulumi.Resource] = []
    if needs.volumes and class_name is not None:
        reads.append(k8s.storage.v1.StorageClass.get(naming.child(cluster, "storage-class"), class_name, opts=opts))
    if needs.gateway_api_crds:
        reads += [
            k8s.apiextensions.v1.CustomResourceDefinition.get(naming.child(cluster, "crd", crd.split(".", 1)[0]), crd, opts=opts)
            for crd in GATEWAY_API_CRDS
        ]
    return tuple(reads)
