"""The typed reader app teams use: a fleet stack's outputs, checked against the schema of the version the
fleet publishes, with the defaults of keys added after it, as plain records."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pulumi

from .definition import CONTRACT, CONTRACT_VERSION, TOP_LEVEL_KEYS, VERSIONS, MapOf, Record, Shape, Version, parse_version
from .kubeconfig import eks_kubeconfig, gke_kubeconfig, pem_to_data
from .schema import problems, schema_for


class ContractError(pulumi.RunError):
    """The producer stack does not publish a contract this reader understands."""


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
class TeamRecord:
    name: str
    namespaces: dict[str, tuple[str, ...]]
    """The team's namespaces in each cluster it works on, by cluster name."""


@dataclass(frozen=True)
class FleetContract:
    version: str
    mesh: MeshRecord
    clusters: dict[str, ClusterRecord]
    root_ca_bundle: str
    teams: dict[str, TeamRecord]
    """The app teams the fleet declares (contract 1.2; none for older fleets)."""


def check_version(published: object, stack: str) -> Version:
    """The published (major, minor), if this reader understands it."""
    parts = published.split(".") if isinstance(published, str) else []
    if len(parts) != 2 or not all(part.isdigit() for part in parts):
        raise ContractError(
            f"fleet stack {stack!r} publishes no meshfleet contract version (got {published!r}); is it a meshfleet fleet stack?"
        )
    major, minor = int(parts[0]), int(parts[1])
    ours_major = parse_version(CONTRACT_VERSION)[0]
    if major != ours_major:
        raise ContractError(
            f"fleet stack {stack!r} publishes contract {published}, but this reader understands {ours_major}.0 "
            f"to {ours_major}.x; use the meshfleet-contract release that matches the fleet (docs/contract.md)"
        )
    return major, minor


def known_version(published: Version) -> str:
    """The newest version this reader knows that `published` includes: a newer minor only adds keys."""
    return max((v for v in VERSIONS if parse_version(v) <= published), key=parse_version)


def validate(outputs: Mapping[str, Any], stack: str) -> Version:
    """Check the outputs against the JSON Schema of the version they publish; a ContractError names every problem."""
    published = check_version(outputs.get("contractVersion"), stack)
    version = known_version(published)
    found = problems(outputs, schema_for(version))
    if found:
        raise ContractError(
            "; ".join(
                f"fleet stack {stack!r} publishes no {path}, which contract {version} requires"
                if problem == "missing"
                else f"fleet stack {stack!r} publishes {path} that is not {problem}, as contract {version} requires"
                for path, problem in found
            )
        )
    return published


def with_defaults(value: Any, shape: Shape, published: Version) -> Any:
    """The value with the documented default of every key added after the published minor, and None for
    nullable keys left out."""
    if isinstance(shape, MapOf) and isinstance(value, Mapping):
        return {name: with_defaults(item, shape.values, published) for name, item in value.items()}
    if not isinstance(shape, Record) or not isinstance(value, Mapping):
        return value
    filled = dict(value)
    for key in shape.keys:
        if key.name in filled:
            filled[key.name] = with_defaults(filled[key.name], key.shape, published)
        elif key.added > published or key.nullable:
            filled[key.name] = key.default
    return filled


def parse_contract(outputs: Mapping[str, Any], stack: str) -> FleetContract:
    """Typed records from a fleet stack's outputs; a ContractError names what is wrong."""
    published = validate(outputs, stack)
    values = with_defaults(outputs, CONTRACT, published)
    mesh = values["mesh"]
    locality, identity = mesh["locality"], mesh["identity"]
    return FleetContract(
        version=values["contractVersion"],
        mesh=MeshRecord(
            type=mesh["type"],
            version=mesh["version"],
            mesh_id=mesh["meshId"],
            trust_domain=mesh["trustDomain"],
            topology=mesh["topology"],
            mtls=mesh["mtls"],
            injection_label=dict(mesh["injectionLabel"]),
            injection_annotations=dict(mesh["injectionAnnotations"]),
            revisions=dict(mesh["revisions"]),
            default_revision=mesh["defaultRevision"],
            locality=LocalityRecord(
                cross_cluster_failover=locality["crossClusterFailover"],
                summary=locality["summary"],
                failover=tuple((step["from"], step["to"]) for step in locality["failover"]),
            ),
            identity=IdentityRecord(shared_root=identity["sharedRoot"], summary=identity["summary"]),
        ),
        clusters={
            name: ClusterRecord(
                name=cluster["name"],
                cloud=cluster["cloud"],
                created=cluster["created"],
                region=cluster["region"],
                zones=tuple(cluster["zones"]),
                network=cluster["network"],
                role=cluster["role"],
                api_endpoint=cluster["apiEndpoint"],
                ca_certificate=cluster["caCertificate"],
                east_west_gateway_address=cluster["eastWestGatewayAddress"],
            )
            for name, cluster in values["clusters"].items()
        },
        root_ca_bundle=values["rootCaBundle"],
        teams={
            name: TeamRecord(name=team["name"], namespaces={cluster: tuple(spaces) for cluster, spaces in team["namespaces"].items()})
            for name, team in values["teams"].items()
        },
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
