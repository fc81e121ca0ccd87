"""Credentials with which one cluster's control plane reads another cluster's API.

istiod (remote secrets) and Linkerd's service mirror (Links) both need a kubeconfig for a reader
service account of the other cluster, with an inline token: both refuse exec plugins. The token comes
from a `kubernetes.io/service-account-token` Secret that this program owns, so it is rotated by config:
bumping the generation creates a new Secret (a new token), moves every consumer to it, then deletes
the old Secret, which revokes the old token.

The kubeconfig trusts the CA of the endpoint the peer dials (`Cluster.ca_certificate_pem`: EKS's
certificate authority, GKE's master_auth, an adopted cluster's kubeconfig), as `linkerd multicluster
link-gen` copies the cluster entry of the operator's kubeconfig (multicluster/cmd/link-gen.go:188-196 at
edge-26.8.3). Not the token Secret's `ca.crt`, which istioctl's create-remote-secret copies
(istioctl/pkg/multicluster/remote_secret.go:223-229, 258-260 at 1.30.3): that is the controller manager's
root CA file for in-cluster clients, and an endpoint behind its own certificate (a proxy, a load
balancer, an on-prem API server with a corporate certificate) is not signed by it: the peer then fails
with `x509: certificate signed by unknown authority`.
"""

from __future__ import annotations

import base64
from collections.abc import Sequence

import pulumi
import pulumi_kubernetes as k8s

from ..clusters import Cluster
from ..clusters.kubeconfig import pem_to_data, token_kubeconfig


class ReaderCredentials(pulumi.ComponentResource):
    secret: k8s.core.v1.Secret
    kubeconfig: pulumi.Output[str]

    def __init__(
        self,
        resource_name: str,
        cluster: Cluster,
        namespace: str,
        service_account: str,
        generation: int,
        after: Sequence[pulumi.Resource],
        opts: pulumi.ResourceOptions,
    ) -> None:
        """`after`: what must exist before the token is requested (the service account and its RBAC).
        A token Secret for a missing account is deleted by the token controller."""
        super().__init__("meshfleet:k8s:ReaderCredentials", resource_name, None, opts)
        self._cluster = cluster
        self.secret = k8s.core.v1.Secret(
            resource_name,
            metadata=k8s.meta.v1.ObjectMetaArgs(
                name=f"{service_account}-token-g{generation}",
                namespace=namespace,
                annotations={
                    "kubernetes.io/service-account.name": service_account,
                    # The token controller fills the Secret asynchronously; without this the provider's
                    # built-in wait gives up after a few seconds (pulumi-kubernetes#2048).
                    "pulumi.com/waitFor": "jsonpath={.data.token}",
                },
            ),
            type="kubernetes.io/service-account-token",
            opts=pulumi.ResourceOptions(parent=self, depends_on=list(after)),
        )
        self.kubeconfig = self._kubeconfig()
        """A kubeconfig for this cluster named after it, with the token the token controller wrote and the
        CA of the cluster's endpoint; one Output that every cluster reading this one shares."""
        self.register_outputs({"secret_name": self.secret.metadata.name})

    def _kubeconfig(self) -> pulumi.Output[str]:
        name = self._cluster.spec.name

        def build(args: list[object]) -> str:
            data, server, ca_pem = args
            assert isinstance(data, dict) and isinstance(server, str) and isinstance(ca_pem, str)
            token = base64.b64decode(data["token"]).decode()
            return token_kubeconfig(name, server, pem_to_data(ca_pem) if ca_pem else "", token)

        inputs = pulumi.Output.all(self.secret.data, self._cluster.endpoint, self._cluster.ca_certificate_pem)
        return pulumi.Output.secret(inputs.apply(build))
