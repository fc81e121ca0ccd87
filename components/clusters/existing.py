"""Adopting a cluster that already exists: a context of the operator's kubeconfig, a kubeconfig held as a
Pulumi secret, or a stack reference to the stack that owns the cluster.

Only the API endpoint and CA are read out of the kubeconfig (they are not credentials); the kubeconfig
itself stays a secret and is only ever handed to the cluster's Kubernetes provider.
"""

from __future__ import annotations

import json

import pulumi

from .. import naming
from ..config import ClusterSpec, ExistingSpec
from .base import NO_NEEDS, Cluster, ClusterNeeds, Connection, kubernetes_providers
from .kubeconfig import KubeconfigCluster, KubeconfigError, operator_kubeconfig_path, read_cluster
from .storage import existing_prerequisites


class ExistingClusterError(pulumi.RunError):
    pass


class ExistingCluster(pulumi.ComponentResource):
    cluster: Cluster

    def __init__(
        self,
        spec: ClusterSpec,
        kubeconfig_secret: pulumi.Input[str] | None = None,
        opts: pulumi.ResourceOptions | None = None,
        needs: ClusterNeeds = NO_NEEDS,
    ) -> None:
        super().__init__("meshfleet:clusters:ExistingCluster", spec.name, None, opts)
        assert spec.existing is not None
        settings = spec.existing
        self._cluster_name = spec.name
        identity = f"meshfleet/{spec.name}"
        child = pulumi.ResourceOptions(parent=self)
        if settings.context is not None:
            # The provider reads the operator's kubeconfig itself, so no credential enters the state.
            found = read_operator_context(settings.context)
            provider, tolerant_reads = kubernetes_providers(
                spec.name, Connection(context=settings.context, cluster_identifier=identity), child
            )
            described: pulumi.Output[KubeconfigCluster] = pulumi.Output.from_input(found)
        else:
            kubeconfig = pulumi.Output.secret(self._kubeconfig(settings, kubeconfig_secret))
            provider, tolerant_reads = kubernetes_providers(
                spec.name, Connection(kubeconfig=kubeconfig, cluster_identifier=identity), child
            )
            described = pulumi.Output.unsecret(kubeconfig.apply(lambda text: _describe(spec.name, text)))

        endpoint = described.apply(lambda d: settings.api_server or d.server)
        # The CA of the endpoint the peers dial: what their reader kubeconfigs trust.
        ca_pem = described.apply(lambda d: settings.api_server_ca or d.ca_pem or "")
        prerequisites = existing_prerequisites(spec.name, needs, settings.storage_class, provider, self)
        self.cluster = Cluster(
            spec=spec,
            provider=provider,
            tolerant_reads=tolerant_reads,
            endpoint=endpoint,
            ca_certificate_pem=ca_pem,
            egress_cidrs=pulumi.Output.from_input(list(settings.egress_cidrs)),
            private_cidrs=pulumi.Output.from_input(list(settings.egress_cidrs)),
            has_known_egress=bool(settings.egress_cidrs),
            firewall=None,
            component=self,
            storage_class=settings.storage_class if needs.volumes else None,
            prerequisites=prerequisites,
        )
        self.register_outputs({"endpoint": endpoint})

    def _kubeconfig(self, settings: ExistingSpec, kubeconfig_secret: pulumi.Input[str] | None) -> pulumi.Input[str]:
        if settings.kubeconfig_secret_key is not None:
            if kubeconfig_secret is None:
                raise ExistingClusterError(f"the kubeconfig of {self._cluster_name!r} was not passed in")
            return kubeconfig_secret
        assert settings.stack_reference is not None
        reference = pulumi.StackReference(
            naming.child(self._cluster_name, "stack"), stack_name=settings.stack_reference, opts=pulumi.ResourceOptions(parent=self)
        )
        # A cluster stack may export the kubeconfig as text or as an object.
        return reference.require_output(settings.stack_output).apply(lambda v: v if isinstance(v, str) else json.dumps(v))


def _describe(cluster: str, kubeconfig: str) -> KubeconfigCluster:
    try:
        return read_cluster(kubeconfig)
    except KubeconfigError as error:
        raise ExistingClusterError(f"the kubeconfig of cluster {cluster!r} {error}") from None


def read_operator_context(context: str) -> KubeconfigCluster:
    path = operator_kubeconfig_path()
    try:
        return read_cluster(path.read_text(), context)
    except FileNotFoundError:
        raise ExistingClusterError(f"context {context!r} needs a kubeconfig, and {path} does not exist") from None
    except IsADirectoryError:
        raise ExistingClusterError(f"context {context!r} needs a kubeconfig, and {path} is a directory, not a kubeconfig file") from None
    except KubeconfigError as error:
        raise ExistingClusterError(f"kubeconfig {path} {error}") from None
