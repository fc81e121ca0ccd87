"""The fleet's side of the contract with application teams: the stack outputs it publishes.

The definition, the JSON Schemas and the typed reader live in the `meshfleet-contract` distribution
(contract/meshfleet_contract), which app teams install without the fleet's cloud SDKs; the fleet writes
through the same package (`contract_outputs`), so writer and reader cannot drift. Each meshfleet release
(`components.__version__`) names in CHANGELOG.md the contract version its fleets publish.

App teams authenticate with their own cloud identity: `ClusterRecord.kubeconfig()` builds an exec
kubeconfig (`aws eks get-token`, `gke-gcloud-auth-plugin`); the fleet never hands out its own.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

import pulumi

from meshfleet_contract import (
    CONTRACT_VERSION,
    ClusterRecord,
    ContractError,
    FleetContract,
    IdentityRecord,
    LocalityRecord,
    MeshRecord,
    TeamRecord,
    check_version,
    contract_outputs,
    parse_contract,
    read_fleet,
)

if TYPE_CHECKING:
    from .clusters import Cluster
    from .config import FleetSpec
    from .meshes import Mesh, MeshDeployment
    from .trust import FleetTrust


def stack_outputs(
    spec: FleetSpec,
    mesh: Mesh,
    clusters: Mapping[str, Cluster],
    trust: FleetTrust,
    deployment: MeshDeployment,
    teams: Mapping[str, Mapping[str, object]],
) -> dict[str, pulumi.Input[object]]:
    fleet = deployment.fleet_outputs()
    return contract_outputs(
        mesh={
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
        clusters={
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
        root_ca_bundle=trust.bundle_pem,
        teams=teams,
    )


__all__ = [
    "CONTRACT_VERSION",
    "ClusterRecord",
    "ContractError",
    "FleetContract",
    "IdentityRecord",
    "LocalityRecord",
    "MeshRecord",
    "TeamRecord",
    "check_version",
    "parse_contract",
    "read_fleet",
    "stack_outputs",
]
