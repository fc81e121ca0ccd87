"""The contract's one definition: every key a fleet publishes, its shape, and the minor version that added it.

The JSON Schemas (schema.py, published as contract/schema/v<MAJOR>.<MINOR>.json), the reader's validation
and defaults (reader.py) and the writer's key check (writer.py) are all derived from `CONTRACT` here, so
the fleet that writes the outputs and the app teams that read them cannot drift apart.

Rules of the contract:

- `contractVersion` is `MAJOR.MINOR`. A minor version only adds keys; a reader accepts its own major
  version at any minor: keys added after the producer's minor read as their documented defaults
  (`Key.default`). A new major version may remove or change keys.
- No output is a credential. A secret value, should the contract ever need one, is its own top-level
  output: Pulumi tracks secretness per top-level output, so one secret inside `clusters` would make
  the whole map secret to every consumer.
"""

from __future__ import annotations

from dataclasses import dataclass

Version = tuple[int, int]

CONTRACT_VERSION = "1.2"
"""The version this release writes and the newest minor its reader knows."""


def parse_version(text: str) -> Version:
    major, minor = text.split(".")
    return int(major), int(minor)


@dataclass(frozen=True)
class Scalar:
    type: str
    """A JSON type: `string` or `boolean`."""


@dataclass(frozen=True)
class Array:
    items: Shape


@dataclass(frozen=True)
class MapOf:
    """An object whose keys are names (clusters, labels) and whose values share one shape."""

    values: Shape


@dataclass(frozen=True)
class Record:
    """An object with named keys; readers ignore keys a later minor added (the object stays open)."""

    title: str
    keys: tuple[Key, ...]

    def at(self, version: Version) -> tuple[Key, ...]:
        return tuple(key for key in self.keys if key.added <= version)


Shape = Scalar | Array | MapOf | Record


@dataclass(frozen=True)
class Key:
    name: str
    shape: Shape
    doc: str
    added: Version = (1, 0)
    default: object = None
    """What a reader takes for a fleet that publishes a minor older than `added`."""
    nullable: bool = False
    """The value may be null. The Python SDK leaves None values out of the maps it serializes, so a stack
    publishes such a key as null or by not publishing it (e.g. `defaultRevision` of a mesh without revisions)."""


STRING = Scalar("string")
BOOLEAN = Scalar("boolean")
LABELS = MapOf(STRING)

LOCALITY = Record(
    "Locality",
    (
        Key("crossClusterFailover", BOOLEAN, "whether the mesh fails a service over to other clusters"),
        Key("summary", STRING, "what the mesh does for locality, in one sentence"),
        Key(
            "failover",
            Array(Record("FailoverStep", (Key("from", STRING, "region"), Key("to", STRING, "region")))),
            "the fleet's region order, in order",
        ),
    ),
)
IDENTITY = Record(
    "Identity",
    (
        Key("sharedRoot", BOOLEAN, "whether workload certificates chain to `rootCaBundle`"),
        Key("summary", STRING, "how the mesh names and certifies workloads"),
    ),
)
REVISION = Record(
    "Revision",
    (Key("version", STRING, "the control plane's version"), Key("tags", Array(STRING), "the revision tags pointing at it")),
)
MESH = Record(
    "Mesh",
    (
        Key("type", STRING, "`istio`, `linkerd` or `consul`"),
        Key("version", STRING, "the mesh's chart version"),
        Key("meshId", STRING, "the same in every cluster"),
        Key("trustDomain", STRING, "the same in every cluster"),
        Key("topology", STRING, "`multi-primary` or `primary-remote`"),
        Key("mtls", STRING, "`STRICT` or `PERMISSIVE`"),
        Key("injectionLabel", LABELS, "the namespace labels that put a namespace's workloads in the mesh"),
        # 1.1: Linkerd joins a namespace by annotation; every 1.0 fleet ran Istio, which needs none.
        Key("injectionAnnotations", LABELS, "the namespace annotations that put a namespace in the mesh", (1, 1), {}),
        Key("revisions", MapOf(REVISION), "control-plane revisions with their version and tags"),
        Key("defaultRevision", STRING, "the revision holding the `default` tag", nullable=True),
        Key("locality", LOCALITY, "locality failover"),
        # 1.1: Consul may keep a CA of its own per cluster; every 1.0 fleet ran Istio and chained to the root.
        Key(
            "identity",
            IDENTITY,
            "whether workload certificates chain to the fleet's root bundle",
            (1, 1),
            {"sharedRoot": True, "summary": "workload certificates chain to the fleet's root bundle (contract 1.0 fleets run Istio)"},
        ),
    ),
)
CLUSTER = Record(
    "Cluster",
    (
        Key("name", STRING, "the cluster's stable name"),
        Key("cloud", STRING, "`aws`, `gcp` or `existing`"),
        Key("created", BOOLEAN, "whether the fleet created the cluster (false: adopted)"),
        Key("region", STRING, "the cluster's region"),
        Key("zones", Array(STRING), "the cluster's zones"),
        Key("network", STRING, "the mesh network"),
        Key("role", STRING, "`primary` or `remote`"),
        Key("apiEndpoint", STRING, "the API server's URL"),
        Key("caCertificate", STRING, "the API server's CA certificate (PEM)"),
        Key("eastWestGatewayAddress", STRING, "the east-west load balancer's IP or hostname"),
    ),
)
TEAM = Record(
    "Team",
    (
        Key("name", STRING, "the team's name in the fleet's `meshfleet:teams`"),
        Key("namespaces", MapOf(Array(STRING)), "the team's namespaces in each cluster it works on, by cluster"),
    ),
)
CONTRACT = Record(
    "FleetContract",
    (
        Key("contractVersion", STRING, "`MAJOR.MINOR` of this contract"),
        Key("mesh", MESH, "the mesh the fleet runs"),
        Key("clusters", MapOf(CLUSTER), "every cluster of the fleet, by name"),
        Key("rootCaBundle", STRING, "PEM of every root the mesh trusts"),
        # 1.2: teams as fleet config; older fleets declared none.
        Key("teams", MapOf(TEAM), "the app teams of the fleet, by name, with their namespaces (no identities)", (1, 2), {}),
    ),
)

VERSIONS: tuple[str, ...] = ("1.0", "1.1", "1.2")
"""Every version of the contract, oldest first; the newest is CONTRACT_VERSION."""

TOP_LEVEL_KEYS = tuple(key.name for key in CONTRACT.keys)
