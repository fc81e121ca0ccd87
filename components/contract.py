"""The fleet's contract with application teams: the stack outputs they may rely on, and a typed reader.

The producer (`stack_outputs`) and the reader (`read_fleet`) live together so that the keys and the
version are written down once. Rules of the contract:

- `contractVersion` is `MAJOR.MINOR`. A minor version only adds keys; a reader accepts its own major
  version at any minor: keys added after the producer's minor read as their documented defaults
  (`ADDED_IN`). A new major version may remove or change keys.
- No output is a credential. A secret value, should the contract ever need one, is its own top-level
  output: Pulumi tracks secretness per top-level output, so one secret inside `clusters` would make
  the whole map secret to every consumer.
- Each meshfleet release (`components.__version__`) names in CHANGELOG.md the contract version its fleets
  publish, so an app team pins the release whose reader matches its fleet.
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

CONTRACT_VERSION = "1.1"

# Every key of the contract; docs/contract.md documents each.
TOP_LEVEL_KEYS = ("contractVersion", "mesh", "clusters", "rootCaBundle")
MESH_KEYS = (
    "type",
    "version",
    "meshId",
    "trustDomain",
    "topology",
    "mtls",
    "injectionLabel",
    "injectionAnnotations",
    "revisions",
    "defaultRevision",
    "locality",
    "identity",
)
# Keys a minor version added, with what they mean for a stack that publishes an older minor.
# 1.1: Linkerd joins a namespace by annotation, and Consul may keep a CA of its own per cluster;
# every 1.0 fleet ran Istio, which needs no annotation and chains to the shared root.
ADDED_IN: dict[str, tuple[tuple[int, int], object]] = {
    "injectionAnnotations": ((1, 1), {}),
    "identity": (
        (1, 1),
        {"sharedRoot": True, "summary": "workload certificates chain to the fleet's root bundle (contract 1.0 fleets run Istio)"},
    ),
}
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
            "injectionAnnotations": fleet["injectionAnnotations"],
            "revisions": fleet["revisions"],
            "defaultRevision": fleet["defaultRevision"],
            "locality": {
                "crossClusterFailover": mesh.locality.cross_cluster_failover,
                "summary": mesh.locality.summary,
                "failover": [{"from": f.from_region, "to": f.to_region} for f in spec.mesh.locality_failover],
            },
            "identity": {"sharedRoot": mesh.identity.shared_root, "summary": mesh.identity.summary},
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
class IdentityRecord:
    shared_root: bool
    """Whether workload certificates chain to `rootCaBundle`; if not, each cluster's mesh keeps its own CA."""
    summary: str


@dataclass(frozen=True)
class MeshRecord:
    type: str
    version: str
    mesh_id: str
    trust_domain: str
    topology: str
    mtls: str
    injection_label: dict[str, str]
    """The namespace labels that put a namespace's workloads in the mesh."""
    injection_annotations: dict[str, str]
    """The namespace annotations that put a namespace's workloads in the mesh (Linkerd); often none."""
    revisions: dict[str, dict[str, Any]]
    default_revision: str | None
    """None for a mesh without revisions."""
    locality: LocalityRecord
    identity: IdentityRecord

    @property
    def namespace_metadata(self) -> dict[str, dict[str, str]]:
        """`labels` and `annotations` for a namespace that joins the mesh, whatever the mesh."""
        return {"labels": dict(self.injection_label), "annotations": dict(self.injection_annotations)}


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


def check_version(published: object, stack: str) -> tuple[int, int]:
    """The published (major, minor), if this reader understands it."""
    parts = published.split(".") if isinstance(published, str) else []
    if len(parts) != 2 or not all(part.isdigit() for part in parts):
        raise ContractError(
            f"fleet stack {stack!r} publishes no meshfleet contract version (got {published!r}); is it a meshfleet fleet stack?"
        )
    major, minor = int(parts[0]), int(parts[1])
    ours_major = int(CONTRACT_VERSION.split(".")[0])
    if major != ours_major:
        raise ContractError(
            f"fleet stack {stack!r} publishes contract {published}, but this reader understands {ours_major}.0 "
            f"to {ours_major}.x; use the meshfleet release that matches the fleet (components/contract.py)"
        )
    return major, minor


# Keys whose value may be None. The Python SDK leaves None values out of the maps it serializes, so a
# stack publishes such a key by not publishing it (e.g. `defaultRevision` of a mesh without revisions).
NULLABLE_KEYS = ("defaultRevision",)


def _mesh_value(mesh: Mapping[str, Any], key: str, published: tuple[int, int], stack: str) -> Any:
    added = ADDED_IN.get(key)
    if added is not None and published < added[0]:
        return mesh.get(key, added[1])
    if key in NULLABLE_KEYS and isinstance(mesh, Mapping):
        return mesh.get(key)
    return _require(mesh, key, "mesh.", stack)


def parse_contract(outputs: Mapping[str, Any], stack: str) -> FleetContract:
    """Typed records from a fleet stack's outputs; a ContractError names what is wrong."""
    published = check_version(outputs.get("contractVersion"), stack)
    mesh = _require(outputs, "mesh", "", stack)
    values = {key: _mesh_value(mesh, key, published, stack) for key in MESH_KEYS}
    locality = values["locality"]
    identity = values["identity"]
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
            injection_annotations=dict(values["injectionAnnotations"]),
            revisions=dict(values["revisions"]),
            default_revision=values["defaultRevision"],
            locality=LocalityRecord(
                cross_cluster_failover=bool(_require(locality, "crossClusterFailover", "mesh.locality.", stack)),
                summary=str(_require(locality, "summary", "mesh.locality.", stack)),
                failover=tuple((f["from"], f["to"]) for f in _require(locality, "failover", "mesh.locality.", stack)),
            ),
            identity=IdentityRecord(
                shared_root=bool(_require(identity, "sharedRoot", "mesh.identity.", stack)),
                summary=str(_require(identity, "summary", "mesh.identity.", stack)),
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
