"""The fleet's contract with application teams: the stack outputs they may rely on, and a typed reader.

The producer (`stack_outputs`) and the reader (`read_fleet`) live together so that the keys and the
version are written down once. Rules of the contract:

- `contractVersion` is `MAJOR.MINOR`. A minor version only adds keys; a reader accepts its own major
  version at the same or a newer minor. A new major version may remove or change keys.
- No output is a credential. A secret value, should the contract ever need one, is its own top-level
  output: Pulumi tracks secretness per top-level output, so one secret inside `clusters` would make
  the whole map secret to every consumer.
- App teams authenticate with their own cloud identity: `ClusterRecord.kubeconfig()` builds an exec
  kubeconfig (`aws eks get-token`, `gke-gcloud-auth-plugin`); the fleet never hands out its own.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pulumi

from .clusters.kubeconfig import eks_kubeconfig, gke_kubeconfig, pem_to_data

if TYPE_CHECKING:
    from .clusters import Cluster
    from .config import FleetSpec
    from .meshes import Mesh, MeshDeployment
    from .trust import FleetTrust

CONTRACT_VERSION = "1.0"

# Every key of contract 1.0; the README's "Stack outputs" table documents each.
TOP_LEVEL_KEYS = ("contractVersion", "mesh", "clusters", "rootCaBundle")
MESH_KEYS = ("type", "version", "meshId", "trustDomain", "topology", "mtls", "injectionLabel", "revisions", "defaultRevision", "locality")
CLUSTER_KEYS = ("name", "cloud", "created", "region", "zones", "network", "role", "apiEndpoint", "caCertificate", "eastWestGatewayAddress")


class ContractError(pulumi.RunError):
    """The producer stack does not publish a contract this reader understands."""


# --- producing ---------------------------------------------------------------------------------------


def stack_outputs(
    spec: FleetSpec,
    mesh: Mesh,
    clusters: Mapping[str, Cluster],
    trust: FleetTrust,
    deployment: MeshDeployment,
) -> dict[str, pulumi.Input[object]]:
    fleet = deployment.fleet_outputs()
    return {
        "contractVersion": CONTRACT_VERSION,
        "mesh": {
            "type": spec.mesh.type,
            "version": spec.mesh.version,
            "meshId": spec.mesh.mesh_id,
            "trustDomain": spec.mesh.trust_domain,
            "topology": spec.mesh.topology,
            "mtls": spec.mesh.mtls,
            "injectionLabel": fleet["injectionLabel"],
            "revisions": fleet["revisions"],
            "defaultRevision": fleet["defaultRevision"],
            "locality": {
                "crossClusterFailover": mesh.locality.cross_cluster_failover,
                "summary": mesh.locality.summary,
                "failover": [{"from": f.from_region, "to": f.to_region} for f in spec.mesh.locality_failover],
            },
        },
        "clusters": {
            name: {
                "name": name,
                "cloud": cluster.spec.cloud,
                "created": cluster.spec.create is not None,
                "region": cluster.spec.region,
                "zones": list(cluster.spec.zones),
                "network": cluster.spec.network,
                "role": cluster.spec.role,
                "apiEndpoint": cluster.endpoint,
                "caCertificate": cluster.ca_certificate_pem,
                "eastWestGatewayAddress": deployment.cluster_outputs(name)["eastWestGatewayAddress"],
            }
            for name, cluster in clusters.items()
        },
        "rootCaBundle": trust.bundle_pem,
    }


# --- reading -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class LocalityRecord:
    cross_cluster_failover: bool
    summary: str
    failover: tuple[tuple[str, str], ...]
    """(from region, to region), in order."""


@dataclass(frozen=True)
class MeshRecord:
    type: str
    version: str
    mesh_id: str
    trust_domain: str
    topology: str
    mtls: str
    injection_label: dict[str, str]
    """The namespace label that puts a namespace's workloads in the mesh."""
    revisions: dict[str, dict[str, Any]]
    default_revision: str
    locality: LocalityRecord


@dataclass(frozen=True)
class ClusterRecord:
    name: str
    cloud: str
    created: bool
    region: str
    zones: tuple[str, ...]
    network: str
    role: str
    api_endpoint: str
    ca_certificate: str
    east_west_gateway_address: str

    def kubeconfig(self, *, aws_role_arn: str | None = None) -> str:
        """A kubeconfig that authenticates with the caller's own cloud identity (no credential inside).

        For clusters the fleet created; an adopted cluster's owners hand out its credentials.
        """
        if not self.created or self.cloud not in ("aws", "gcp"):
            raise ContractError(
                f"cluster {self.name!r} is adopted by the fleet (cloud {self.cloud!r}), so meshfleet cannot build credentials "
                "for it; get a kubeconfig from its owners"
            )
        ca_data = pem_to_data(self.ca_certificate)
        if self.cloud == "aws":
            return eks_kubeconfig(self.name, self.api_endpoint, ca_data, self.name, self.region, aws_role_arn)
        return gke_kubeconfig(self.name, self.api_endpoint, ca_data)


@dataclass(frozen=True)
class FleetContract:
    version: str
    mesh: MeshRecord
    clusters: dict[str, ClusterRecord]
    root_ca_bundle: str


def _require(source: Mapping[str, Any], key: str, where: str, stack: str) -> Any:
    if not isinstance(source, Mapping) or key not in source:
        raise ContractError(f"fleet stack {stack!r} publishes no {where}{key}, which contract {CONTRACT_VERSION} requires")
    return source[key]


def check_version(published: object, stack: str) -> None:
    if not isinstance(published, str) or published.count(".") != 1:
        raise ContractError(
            f"fleet stack {stack!r} publishes no meshfleet contract version (got {published!r}); is it a meshfleet fleet stack?"
        )
    major, minor = (int(part) for part in published.split("."))
    ours_major, ours_minor = (int(part) for part in CONTRACT_VERSION.split("."))
    if major != ours_major or minor < ours_minor:
        raise ContractError(
            f"fleet stack {stack!r} publishes contract {published}, but this reader understands {ours_major}.{ours_minor} "
            f"to {ours_major}.x; use the meshfleet release that matches the fleet (components/contract.py)"
        )


def parse_contract(outputs: Mapping[str, Any], stack: str) -> FleetContract:
    """Typed records from a fleet stack's outputs; a ContractError names what is wrong."""
    check_version(outputs.get("contractVersion"), stack)
    mesh = _require(outputs, "mesh", "", stack)
    values = {key: _require(mesh, key, "mesh.", stack) for key in MESH_KEYS}
    locality = values["locality"]
    clusters = {}
    for name, cluster in dict(_require(outputs, "clusters", "", stack)).items():
        fields = {key: _require(cluster, key, f"clusters.{name}.", stack) for key in CLUSTER_KEYS}
        clusters[name] = ClusterRecord(
            name=fields["name"],
            cloud=fields["cloud"],
            created=bool(fields["created"]),
            region=fields["region"],
            zones=tuple(fields["zones"]),
            network=fields["network"],
            role=fields["role"],
            api_endpoint=fields["apiEndpoint"],
            ca_certificate=fields["caCertificate"],
            east_west_gateway_address=fields["eastWestGatewayAddress"],
        )
    return FleetContract(
        version=outputs["contractVersion"],
        mesh=MeshRecord(
            type=values["type"],
            version=values["version"],
            mesh_id=values["meshId"],
            trust_domain=values["trustDomain"],
            topology=values["topology"],
            mtls=values["mtls"],
            injection_label=dict(values["injectionLabel"]),
            revisions=dict(values["revisions"]),
            default_revision=values["defaultRevision"],
            locality=LocalityRecord(
                cross_cluster_failover=bool(_require(locality, "crossClusterFailover", "mesh.locality.", stack)),
                summary=str(_require(locality, "summary", "mesh.locality.", stack)),
                failover=tuple((f["from"], f["to"]) for f in _require(locality, "failover", "mesh.locality.", stack)),
            ),
        ),
        clusters=clusters,
        root_ca_bundle=_require(outputs, "rootCaBundle", "", stack),
    )


def read_fleet(stack: str, opts: pulumi.ResourceOptions | None = None) -> FleetContract:
    """Read a fleet stack's contract as plain, typed values.

    Plain values, not Outputs: an app team creates a provider per cluster, so it must know the clusters
    while its program is being built. The stack reference is read before anything else is created, the
    way the SDK's own synchronous calls wait for the engine.
    """
    from pulumi.runtime.sync_await import _sync_await

    reference = pulumi.StackReference(f"fleet-{stack.replace('/', '-')}", stack_name=stack, opts=opts)
    outputs = {}
    for key in TOP_LEVEL_KEYS:
        details = _sync_await(reference.get_output_details(key))
        if details.secret_value is not None:
            raise ContractError(f"fleet stack {stack!r} publishes {key!r} as a secret; contract {CONTRACT_VERSION} keys carry no secrets")
        if details.value is not None:
            outputs[key] = details.value
    return parse_contract(outputs, stack)
