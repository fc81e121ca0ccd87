"""The stack outputs: the contract app teams read through stack references.

Every value here is public (endpoints, CA certificates, names); no credential is exported. The shape
is versioned by CONTRACT_VERSION; README "Stack outputs" documents every key.
"""

from __future__ import annotations

from collections.abc import Mapping

import pulumi

from .clusters import Cluster
from .config import FleetSpec
from .meshes import Mesh, MeshDeployment
from .trust import FleetTrust

CONTRACT_VERSION = "1.0"


def stack_outputs(
    spec: FleetSpec,
    mesh: Mesh,
    clusters: Mapping[str, Cluster],
    trust: FleetTrust,
    deployment: MeshDeployment,
) -> dict[str, pulumi.Input[object]]:
    return {
        "contractVersion": CONTRACT_VERSION,
        "mesh": {
            "type": spec.mesh.type,
            "version": spec.mesh.version,
            "meshId": spec.mesh.mesh_id,
            "trustDomain": spec.mesh.trust_domain,
            "topology": spec.mesh.topology,
            "mtls": spec.mesh.mtls,
            "locality": {
                "crossClusterFailover": mesh.locality.cross_cluster_failover,
                "summary": mesh.locality.summary,
                "failover": [{"from": f.from_region, "to": f.to_region} for f in spec.mesh.locality_failover],
            },
            **deployment.fleet_outputs(),
        },
        "clusters": {
            name: {
                "name": name,
                "cloud": cluster.spec.cloud,
                "region": cluster.spec.region,
                "zones": list(cluster.spec.zones),
                "network": cluster.spec.network,
                "role": cluster.spec.role,
                "apiEndpoint": cluster.endpoint,
                "caCertificate": cluster.ca_certificate_pem,
                **deployment.cluster_outputs(name),
            }
            for name, cluster in clusters.items()
        },
        "rootCaBundle": trust.bundle_pem,
    }
