"""Turning a stack's raw `meshfleet:*` config into a FleetSpec, recording every problem on the way.

Parsing never stops at the first problem: a field that cannot be read gets a placeholder, checks that
depend on it are skipped, and the caller raises one FleetConfigError that lists them all.
Mesh-specific settings (`mesh.<type>`) are checked afterwards by that mesh's module.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Protocol

from cryptography import x509

from . import locations
from .model import (
    ACCESS_DEFAULTS,
    CLOUDS,
    EXPOSURES,
    TOPOLOGIES,
    ClusterSpec,
    EksSpec,
    ExistingSpec,
    FleetSpec,
    GatewaySpec,
    GkeSpec,
    LocalityFailover,
    MeshSpec,
    NodePoolSpec,
    RootSpec,
    Topology,
    TrustSpec,
)
from .observability import TracingRules, parse_observability
from .pem import root_certificate_problems
from .problems import Problems
from .reader import DNS_SUBDOMAIN, EXACT_VERSION, LABEL_VALUE, Section, choice_list, quote
from .teams import parse_teams

STACK_NAME = re.compile(r"^([\w.-]+/){0,2}[\w.-]+$")

HOURS_PER_YEAR = 8760


class Environment(Protocol):
    """What validation reads beyond the structured config: secret keys and the operator's kubeconfig."""

    def value(self, key: str) -> str | None:
        """Plain value of config key `meshfleet:<key>`, secret or not."""

    def is_secret(self, key: str) -> bool: ...

    def kubeconfig_context_problem(self, context: str) -> str | None:
        """Why the operator's kubeconfig cannot serve `context`, or None if it can."""


@dataclass(frozen=True)
class MeshRules:
    """What the generic parser must know about a mesh before its own module checks the rest."""

    available: bool
    topologies: tuple[Topology, ...]
    example_version: str
    default_control_plane_replicas: int = 2
    """`mesh.controlPlane.replicas` when unset: the smallest highly available control plane of this mesh."""
    label: str = ""
    """The mesh and its pinned line as messages name it, e.g. 'Istio 1.30'."""
    kubernetes_minors: tuple[int, int | None] = (0, None)
    """The Kubernetes 1.x minors the pinned charts run on: (lowest, highest or None for no known bound)."""
    tracing: TracingRules | None = None
    """What the mesh's proxies offer for `observability.tracing`. Default: everything (Istio)."""


@dataclass(frozen=True)
class RawConfig:
    mesh: object
    trust: object
    clusters: object
    gateway: object
    observability: object = None
    teams: object = None


def parse_fleet(raw: RawConfig, meshes: Mapping[str, MeshRules], env: Environment, problems: Problems) -> FleetSpec:
    gateway_defaults = _gateway(Section(raw.gateway, "meshfleet:gateway", problems), None)
    mesh = _mesh(Section(raw.mesh, "meshfleet:mesh", problems), meshes)
    trust = _trust(Section(raw.trust, "meshfleet:trust", problems), env)
    root = Section({"clusters": raw.clusters}, "meshfleet:", problems)
    clusters = _clusters(root, mesh.topology, gateway_defaults, env)
    if (rules := meshes.get(mesh.type)) is not None and rules.available:
        _check_kubernetes_versions(clusters, rules, problems)
    # Regions as written, so that a cluster dropped for another problem does not cause a second one.
    declared = raw.clusters if isinstance(raw.clusters, list) else []
    regions = {c["region"] for c in declared if isinstance(c, Mapping) and isinstance(c.get("region"), str)}
    _check_locality(mesh, regions, problems)
    rules = meshes.get(mesh.type)
    observability = parse_observability(
        Section(raw.observability, "meshfleet:observability", problems), mesh.type, (rules.tracing if rules else None) or TracingRules()
    )
    teams = parse_teams(Section({"teams": raw.teams}, "meshfleet:", problems), clusters)
    return FleetSpec(mesh=mesh, trust=trust, clusters=clusters, observability=observability, teams=teams)


# --- mesh -------------------------------------------------------------------------------------------


def _mesh(s: Section, meshes: Mapping[str, MeshRules]) -> MeshSpec:
    known = [name for name, rules in meshes.items() if rules.available]
    planned = [name for name, rules in meshes.items() if not rules.available]
    s.reject_unknown(["type", "version", "meshId", "trustDomain", "topology", "mtls", "defaultAccess", "locality", "controlPlane", *meshes])
    mesh_type = s.string("type", required=f"one of {choice_list(known)}")
    rules = meshes.get(mesh_type or "")
    if mesh_type is not None and rules is None:
        later = f" (planned: {choice_list(planned)})" if planned else ""
        s.problem("type", f"{quote(mesh_type)} is not a known mesh; use one of {choice_list(known)}{later}")
    elif rules is not None and not rules.available:
        s.problem(
            "type",
            f"{quote(mesh_type)} is planned but not available in this version of meshfleet; use one of {choice_list(known)}",
        )
        rules = None
    example = rules.example_version if rules else "1.2.3"
    version = s.string("version", required=f"pin an exact chart version, e.g. {example!r}")
    if version is not None and not EXACT_VERSION.match(version):
        s.problem(
            "version",
            f"{quote(version)} is not a pinned chart version; give an exact MAJOR.MINOR.PATCH version such as {example!r} "
            "(ranges, 'latest' and partial versions are refused so every cluster gets the same reviewed chart)",
        )
        version = None
    mesh_id = s.string("meshId", required="the same mesh id is set in every cluster, e.g. 'mesh-prod'")
    if mesh_id is not None and not LABEL_VALUE.match(mesh_id):
        s.problem("meshId", f"{quote(mesh_id)} is not valid: use letters, digits, '-', '_' or '.', at most 63 characters")
    trust_domain = s.string("trustDomain", "cluster.local")
    if trust_domain is not None and not DNS_SUBDOMAIN.match(trust_domain):
        s.problem("trustDomain", f"{quote(trust_domain)} is not a DNS name such as 'cluster.local' or 'mesh.example.com'")
    topology = s.choice("topology", TOPOLOGIES, "multi-primary")
    if topology is not None and rules is not None and topology not in rules.topologies:
        s.problem("topology", f"{mesh_type} does not support {quote(topology)}; supported: {choice_list(rules.topologies)}")
    mtls = s.choice("mtls", ("STRICT", "PERMISSIVE"), "STRICT")
    default_access = s.choice("defaultAccess", ACCESS_DEFAULTS, "allow")
    if default_access == "deny" and mtls == "PERMISSIVE":
        s.problem(
            "defaultAccess",
            "'deny' lets through only declared callers, which every mesh knows by their mTLS identity, so the plain-text "
            "callers that mtls 'PERMISSIVE' admits would be refused anyway; set mtls: STRICT, or keep defaultAccess 'allow' "
            "until every caller is in the mesh",
        )
    control_plane = s.section("controlPlane")
    control_plane.reject_unknown(["replicas"])
    default_replicas = rules.default_control_plane_replicas if rules else 2
    replicas = control_plane.integer("replicas", default_replicas, minimum=1, maximum=10)
    return MeshSpec(
        type=mesh_type or "",
        version=version or "",
        mesh_id=mesh_id or "",
        trust_domain=trust_domain or "cluster.local",
        topology=topology or "multi-primary",
        mtls="PERMISSIVE" if mtls == "PERMISSIVE" else "STRICT",
        locality_failover=_failover_order(s.section("locality")),
        control_plane_replicas=replicas or default_replicas,
        options=s.raw.get(mesh_type or "") or {},
        default_access="deny" if default_access == "deny" else "allow",
    )


def _failover_order(s: Section) -> tuple[LocalityFailover, ...]:
    s.reject_unknown(["failover"])
    order: list[LocalityFailover] = []
    for key, item in s.items("failover"):
        entry = Section(item, key, s.problems)
        entry.reject_unknown(["from", "to"])
        source = entry.string("from", required="the region whose traffic fails over")
        target = entry.string("to", required="the region it fails over to")
        if source and target:
            if source == target:
                entry.problem("to", f"fails over {quote(source)} to itself; name a different region")
            elif any(f.from_region == source for f in order):
                entry.problem("from", f"{quote(source)} already has a failover target; give each region one 'to'")
            else:
                order.append(LocalityFailover(source, target))
    return tuple(order)


def _check_kubernetes_versions(clusters: Mapping[str, ClusterSpec], rules: MeshRules, problems: Problems) -> None:
    """Created clusters run a Kubernetes minor the mesh's pinned charts support (GKE follows its release channel)."""
    low, high = rules.kubernetes_minors
    supported = f"1.{low} to 1.{high}" if high is not None else f"1.{low} and later"
    for cluster in clusters.values():
        version = getattr(cluster.create, "kubernetes_version", None)
        if not version or not re.match(r"^1\.\d+$", version):
            continue
        minor = int(version.split(".")[1])
        if minor < low or (high is not None and minor > high):
            problems.add(
                f"{cluster.config_key}.create.kubernetesVersion",
                f"{quote(version)} is outside the Kubernetes versions {rules.label} supports ({supported}); "
                f"use one of them, e.g. '1.{low + 1}'",
            )


def _check_locality(mesh: MeshSpec, declared_regions: set[str], problems: Problems) -> None:
    regions = sorted(declared_regions)
    for i, failover in enumerate(mesh.locality_failover):
        for field, region in (("from", failover.from_region), ("to", failover.to_region)):
            if regions and region not in regions:
                problems.add(
                    f"meshfleet:mesh.locality.failover[{i}].{field}",
                    f"{quote(region)} is not the region of any cluster in this fleet; regions: {choice_list(regions)}",
                )


# --- trust ------------------------------------------------------------------------------------------


def _trust(s: Section, env: Environment) -> TrustSpec:
    s.reject_unknown(
        [
            "algorithm",
            "rsaBits",
            "organization",
            "rootValidityHours",
            "intermediateValidityHours",
            "intermediateEarlyRenewalHours",
            "protectRoots",
            "roots",
            "signingRoot",
        ]
    )
    algorithm = s.choice("algorithm", ("ECDSA", "RSA"), "ECDSA") or "ECDSA"
    rsa_bits = s.integer("rsaBits", 4096, minimum=2048, maximum=4096) or 4096
    if s.has("rsaBits") and rsa_bits not in (2048, 3072, 4096):
        s.problem("rsaBits", f"{rsa_bits} is not a standard RSA size; use 2048, 3072 or 4096")
    organization = s.string("organization", "meshfleet") or "meshfleet"
    root_hours = s.integer("rootValidityHours", 10 * HOURS_PER_YEAR, minimum=HOURS_PER_YEAR, maximum=20 * HOURS_PER_YEAR, unit="hours")
    inter_hours = s.integer("intermediateValidityHours", HOURS_PER_YEAR, minimum=24, maximum=5 * HOURS_PER_YEAR, unit="hours")
    if root_hours is not None and inter_hours is not None and inter_hours >= root_hours:
        s.problem(
            "intermediateValidityHours",
            f"{inter_hours} hours is not shorter than rootValidityHours ({root_hours}); an intermediate must expire before its root",
        )
    inter_hours = inter_hours or HOURS_PER_YEAR
    renewal = s.integer("intermediateEarlyRenewalHours", inter_hours // 10, minimum=0, maximum=inter_hours - 1, unit="hours")
    protect_default = s.boolean("protectRoots", True)

    roots: list[RootSpec] = []
    entries = s.items("roots") or [("meshfleet:trust.roots[0]", {"name": "fleet-root"})]
    for key, item in entries:
        r = Section(item, key, s.problems)
        r.reject_unknown(["name", "certificateSecret", "privateKeySecret", "protect"])
        name = r.dns_label("name", r.string("name", required="a stable name such as 'root-2026'"), "root name")
        cert_key = r.string("certificateSecret")
        key_key = r.string("privateKeySecret")
        if key_key is not None and cert_key is None:
            r.problem("privateKeySecret", "is set without certificateSecret; a provided root needs its certificate")
        if name is None:
            continue
        if any(existing.name == name for existing in roots):
            r.problem("name", f"{quote(name)} is used by another root; root names must be unique")
            continue
        if cert_key is not None:
            _check_provided_root(r, cert_key, key_key, algorithm, env)
        roots.append(RootSpec(name, cert_key is not None, cert_key, key_key, r.boolean("protect", protect_default)))

    signing = s.string("signingRoot", roots[0].name if roots else None)
    signer = next((root for root in roots if root.name == signing), None)
    if signing is not None and roots and signer is None:
        s.problem("signingRoot", f"{quote(signing)} is not in trust.roots; roots: {choice_list(r.name for r in roots)}")
    elif signer is not None and not signer.can_sign:
        s.problem("signingRoot", f"{quote(signing)} is a trust-only root (no privateKeySecret); it cannot sign intermediates")
    return TrustSpec(
        algorithm=algorithm,  # type: ignore[arg-type]
        rsa_bits=rsa_bits,
        organization=organization,
        root_validity_hours=root_hours or 10 * HOURS_PER_YEAR,
        intermediate_validity_hours=inter_hours,
        intermediate_early_renewal_hours=renewal if renewal is not None else inter_hours // 10,
        roots=tuple(roots),
        signing_root=signing or "",
    )


def secret_value(s: Section, field: str, config_key: str, env: Environment, source: str) -> str | None:
    """The value of the secret config key that `field` names; None, with a problem, if it is unset or not
    a secret. `source` is what the fix reads from (e.g. `root.pem`)."""
    full = quote(f"meshfleet:{config_key}")
    value = env.value(config_key)
    if value is None:
        s.problem(field, f"names config key {full}, which is not set; run `pulumi config set --secret {config_key} < {source}`")
    elif not env.is_secret(config_key):
        s.problem(field, f"config key {full} is not a secret; set it again with `pulumi config set --secret {config_key} < {source}`")
    else:
        return value
    return None


def _check_provided_root(r: Section, cert_key: str, key_key: str | None, algorithm: str, env: Environment) -> None:
    cert = secret_value(r, "certificateSecret", cert_key, env, "root.pem")
    key = secret_value(r, "privateKeySecret", key_key, env, "root-key.pem") if key_key is not None else None
    if cert is not None:
        for problem in root_certificate_problems(cert, key, algorithm):
            r.problem("certificateSecret", f"the provided root certificate {problem}")


# --- clusters ---------------------------------------------------------------------------------------


def _gateway(s: Section, defaults: GatewaySpec | None) -> GatewaySpec:
    s.reject_unknown(["exposure", "sourceRanges", "replicas"])
    base = defaults or GatewaySpec("internal", (), 2)
    return GatewaySpec(
        exposure=s.choice("exposure", EXPOSURES, base.exposure) or base.exposure,
        source_ranges=s.cidrs("sourceRanges", base.source_ranges) or (),
        replicas=s.integer("replicas", base.replicas, minimum=1, maximum=20) or base.replicas,
    )


def _clusters(root: Section, topology: Topology, gateway: GatewaySpec, env: Environment) -> dict[str, ClusterSpec]:
    entries = root.items("clusters", required="list the clusters of the fleet, each with name, cloud, region and network")
    if root.has("clusters") and not entries and isinstance(root.raw.get("clusters"), list):
        root.problem("clusters", "is empty; a fleet needs at least one cluster")
    clusters: dict[str, ClusterSpec] = {}
    networks: dict[str, str] = {}
    for key, item in entries:
        key = _named_key(key, item)
        cluster = _cluster(Section(item, key, root.problems), topology, gateway, env)
        if cluster is None:
            continue
        if cluster.name in clusters:
            root.problems.add(f"{key}.name", f"{quote(cluster.name)} is already the name of another cluster; cluster names must be unique")
            continue
        if cluster.network in networks:
            root.problems.add(
                f"{key}.network",
                f"{quote(cluster.network)} is already used by {quote(networks[cluster.network])}; "
                "a multi-network mesh needs a distinct network per cluster",
            )
        elif cluster.network:
            networks[cluster.network] = cluster.name
        clusters[cluster.name] = cluster
    _check_roles(root, clusters)
    _check_private_ranges(root, clusters)
    return clusters


def _named_key(key: str, item: object) -> str:
    """`meshfleet:clusters[17] (gke-euw3)`: a cluster's messages name it, not only its place in the list."""
    name = item.get("name") if isinstance(item, Mapping) else None
    return f"{key} ({name})" if isinstance(name, str) and name.strip() else key


def _private_ranges(cluster: ClusterSpec) -> list[tuple[str, str]]:
    """(setting, CIDR) of the node and pod ranges a created cluster's peers route to privately."""
    if isinstance(cluster.create, EksSpec):
        return [("vpcCidr", cluster.create.vpc_cidr)]  # the VPC CNI gives pods VPC addresses
    if isinstance(cluster.create, GkeSpec):
        return [("subnetCidr", cluster.create.subnet_cidr), ("podsCidr", cluster.create.pods_cidr)]
    return []  # an adopted cluster's ranges are not in the config


def _check_private_ranges(root: Section, clusters: Mapping[str, ClusterSpec]) -> None:
    """An internal east-west gateway is reached over private routes, which cannot tell two clusters with
    the same addresses apart: a cluster with an internal gateway needs ranges no other cluster uses."""
    seen: list[tuple[ClusterSpec, str, ipaddress.IPv4Network | ipaddress.IPv6Network]] = []
    for cluster in clusters.values():
        for setting, cidr in _private_ranges(cluster):
            if not cidr:
                continue
            network = ipaddress.ip_network(cidr)
            for other, other_setting, other_network in seen:
                internal = "internal" in (cluster.gateway.exposure, other.gateway.exposure)
                if internal and other.name != cluster.name and network.overlaps(other_network):
                    root.problems.add(
                        f"{cluster.config_key}.create.{setting}",
                        f"{quote(cidr)} overlaps the {other_setting} {quote(str(other_network))} of {quote(other.name)}; an internal "
                        "east-west gateway is reached over private routes, which need every cluster's node and pod ranges "
                        "to be distinct: give this cluster its own range (or make both gateways 'public')",
                    )
            seen.append((cluster, setting, network))


def _cluster(s: Section, topology: Topology, gateway: GatewaySpec, env: Environment) -> ClusterSpec | None:
    s.reject_unknown(["name", "cloud", "region", "zones", "network", "role", "primary", "gateway", "create", "existing"])
    name = s.dns_label("name", s.string("name", required="a stable DNS-1123 name such as 'eks-use1'"), "cluster name")
    cloud = s.choice("cloud", CLOUDS, required=True)
    region = s.string("region", required="the cluster's region, used for locality-aware routing")
    zones = s.strings("zones") or ()
    network = s.string("network", required="the network name that the mesh uses to pick east-west gateways")
    if network is not None and not LABEL_VALUE.match(network):
        s.problem("network", f"{quote(network)} is not a valid label value: letters, digits, '-', '_' or '.', at most 63 characters")
    role = s.choice("role", ("primary", "remote"), "primary" if topology == "multi-primary" else None)
    if role is None and topology == "primary-remote" and not s.has("role"):
        s.problem("role", "is required with topology 'primary-remote'; use 'primary' or 'remote'")
    primary = s.string("primary")
    if role == "remote" and topology == "multi-primary":
        s.problem("role", "'remote' needs mesh.topology 'primary-remote'; in a multi-primary mesh every cluster is a primary")
    if role == "remote" and primary is None and topology == "primary-remote":
        s.problem("primary", "is required for a remote cluster: name the primary cluster whose control plane serves it")
    if role == "primary" and primary is not None:
        s.problem("primary", "is only for remote clusters; a primary runs its own control plane")

    if cloud is not None and region is not None:
        _check_region(s, cloud, region, zones, creating=s.has("create"))
    create = _create(s, cloud, name) if s.has("create") else None
    existing = _existing(s.section("existing"), env) if s.has("existing") else None
    if s.has("create") and s.has("existing"):
        s.problem("create", "and 'existing' are both set; give 'create' to build the cluster or 'existing' to adopt one, not both")
    elif cloud == "existing" and not s.has("existing"):
        s.problem("existing", "is required for cloud 'existing': a context, kubeconfigSecret or stackReference")
    elif cloud == "existing" and s.has("create"):
        s.problem("create", "cannot be used with cloud 'existing'; use cloud 'aws' or 'gcp' to create a cluster")
    elif cloud in ("aws", "gcp") and not s.has("create") and not s.has("existing"):
        s.problem("create", f"or 'existing' is required for cloud {quote(cloud)}")
    cluster_gateway = _gateway(s.section("gateway"), gateway)
    _check_internal_exposure(s, cloud, cluster_gateway, existing)
    if name is None or cloud is None:
        return None
    return ClusterSpec(
        name=name,
        cloud=cloud,
        region=region or "",
        zones=zones,
        network=network or "",
        role="remote" if role == "remote" else "primary",
        primary=primary,
        gateway=cluster_gateway,
        create=create,
        existing=existing,
        config_key=s.key,
    )


def _check_region(s: Section, cloud: str, region: str, zones: tuple[str, ...], *, creating: bool) -> None:
    known = locations.regions(cloud)
    label = {"aws": "an AWS region (pulumi-aws's Region enum)", "gcp": "a GCP region (components/config/locations.py)"}.get(cloud)
    if known and region not in known:
        close = locations.closest(region, known)
        s.problem(
            "region", f"{quote(region)} is not {label}; " + (f"did you mean {close!r}?" if close else f"regions: {choice_list(known)}")
        )
        return
    allowed = locations.zones(cloud, region)
    for i, zone in enumerate(zones):
        if allowed is not None and zone not in allowed:
            shown = f"its zones: {choice_list(allowed)}" if cloud == "gcp" else f"an AWS zone is its region and a letter, e.g. '{region}a'"
            s.problems.add(f"{s.child_key('zones')}[{i}]", f"{quote(zone)} is not a zone of region {quote(region)}; {shown}")
    if creating and cloud == "aws" and len(zones) < 2:
        s.problem("zones", f"an EKS cluster needs at least two zones of {quote(region)}, e.g. ['{region}a', '{region}b']")


def _nodes(s: Section, default_type: str) -> NodePoolSpec:
    s.reject_unknown(["instanceTypes", "minSize", "maxSize", "desiredSize"])
    minimum = s.integer("minSize", 3, minimum=1, maximum=100) or 3
    maximum = s.integer("maxSize", max(6, minimum), minimum=1, maximum=1000) or max(6, minimum)
    if maximum < minimum:
        s.problem("maxSize", f"{maximum} is below minSize {minimum}")
    desired = s.integer("desiredSize", minimum, minimum=minimum, maximum=max(minimum, maximum)) or minimum
    return NodePoolSpec(s.strings("instanceTypes", (default_type,)) or (default_type,), minimum, maximum, desired)


def _create(s: Section, cloud: str | None, name: str | None) -> EksSpec | GkeSpec | None:
    c = s.section("create")
    if cloud == "aws":
        c.reject_unknown(["kubernetesVersion", "vpcCidr", "nodes", "adminPrincipalArns", "apiAccessCidrs", "kubeconfigRoleArn"])
        version = c.string("kubernetesVersion", "1.33") or "1.33"
        if not re.match(r"^1\.\d+$", version):
            c.problem("kubernetesVersion", f"{quote(version)} is not an EKS minor version such as '1.33'")
        return EksSpec(
            kubernetes_version=version,
            vpc_cidr=c.cidr("vpcCidr", "10.0.0.0/16"),
            nodes=_nodes(c.section("nodes"), "m6i.large"),
            admin_principal_arns=c.strings("adminPrincipalArns") or (),
            api_access_cidrs=c.cidrs("apiAccessCidrs", ("0.0.0.0/0",)) or ("0.0.0.0/0",),
            kubeconfig_role_arn=c.string("kubeconfigRoleArn"),
        )
    if cloud == "gcp":
        c.reject_unknown(
            [
                "project",
                "releaseChannel",
                "subnetCidr",
                "podsCidr",
                "servicesCidr",
                "masterCidr",
                "nodes",
                "apiAccessCidrs",
                "rbacSecurityGroup",
            ]
        )
        if name is not None and (len(name) > 40 or not name[0].isalpha()):
            s.problem("name", f"{quote(name)} cannot name a GKE cluster: at most 40 characters, starting with a letter")
        master = c.cidr("masterCidr", "172.16.0.0/28")
        if master and not master.endswith("/28"):
            c.problem("masterCidr", f"{quote(master)} must be a /28 range for the GKE control plane")
        ranges = {
            "subnetCidr": c.cidr("subnetCidr", "10.20.0.0/20"),
            "podsCidr": c.cidr("podsCidr", "10.24.0.0/14"),
            "servicesCidr": c.cidr("servicesCidr", "10.28.0.0/20"),
            "masterCidr": master,
        }
        _check_distinct_ranges(c, ranges)
        return GkeSpec(
            project=c.string("project", required="the GCP project id to create the cluster in") or "",
            release_channel=c.choice("releaseChannel", ("RAPID", "REGULAR", "STABLE", "EXTENDED"), "REGULAR") or "REGULAR",
            subnet_cidr=ranges["subnetCidr"],
            pods_cidr=ranges["podsCidr"],
            services_cidr=ranges["servicesCidr"],
            master_cidr=master,
            nodes=_nodes(c.section("nodes"), "e2-standard-4"),
            api_access_cidrs=c.cidrs("apiAccessCidrs", ("0.0.0.0/0",)) or ("0.0.0.0/0",),
            rbac_security_group=_rbac_security_group(c),
        )
    return None


def _rbac_security_group(c: Section) -> str | None:
    group = c.string("rbacSecurityGroup")
    if group is not None and not re.match(r"^gke-security-groups@[^@\s]+\.[^@\s]+$", group):
        c.problem(
            "rbacSecurityGroup", f"{quote(group)} is not a Google Groups for RBAC group; GKE requires 'gke-security-groups@<your domain>'"
        )
        return None
    return group


def _check_distinct_ranges(c: Section, ranges: Mapping[str, str]) -> None:
    """A GKE cluster's node subnet, its pods' and services' secondary ranges and its control plane's range
    must not overlap: GCP refuses such a subnet or cluster, but only once `pulumi up` is under way."""
    seen: list[tuple[str, ipaddress.IPv4Network | ipaddress.IPv6Network]] = []
    for setting, cidr in ranges.items():
        if not cidr:
            continue
        network = ipaddress.ip_network(cidr)
        for other, other_network in seen:
            if network.overlaps(other_network):
                c.problem(
                    setting,
                    f"{quote(cidr)} overlaps this cluster's {other} {quote(str(other_network))}; a GKE cluster's node, pod, "
                    f"service and control-plane ranges must not overlap: give {setting} a range of its own",
                )
                break
        seen.append((setting, network))


def _existing(s: Section, env: Environment) -> ExistingSpec:
    s.reject_unknown(
        [
            "context",
            "kubeconfigSecret",
            "stackReference",
            "stackOutput",
            "apiServer",
            "apiServerCa",
            "egressCidrs",
            "internalLoadBalancerAnnotations",
        ]
    )
    sources = [name for name in ("context", "kubeconfigSecret", "stackReference") if s.has(name)]
    if len(sources) != 1:
        given = f"got {choice_list(sources)}" if sources else "got none"
        s.problems.add(s.key, f"needs exactly one of 'context', 'kubeconfigSecret' or 'stackReference'; {given}")
    secret_key = s.string("kubeconfigSecret")
    if secret_key is not None:
        secret_value(s, "kubeconfigSecret", secret_key, env, "kubeconfig")
    context = s.string("context")
    if context is not None and (problem := env.kubeconfig_context_problem(context)) is not None:
        s.problem("context", problem)
    reference = s.string("stackReference")
    if reference is not None and not STACK_NAME.match(reference):
        s.problem("stackReference", f"{quote(reference)} is not a stack name such as 'acme/clusters/prod'")
    api_server = s.string("apiServer")
    if api_server is not None and not api_server.startswith("https://"):
        s.problem("apiServer", f"{quote(api_server)} must be an https:// URL that the other clusters can reach")
    api_server_ca = s.string("apiServerCa")
    if api_server_ca is not None and not _is_pem_certificates(api_server_ca):
        s.problem(
            "apiServerCa",
            "must be the PEM certificate(s) of the CA that signs the API server's certificate ('-----BEGIN CERTIFICATE-----')",
        )
    return ExistingSpec(
        context=context,
        kubeconfig_secret_key=secret_key,
        stack_reference=reference,
        stack_output=s.string("stackOutput", "kubeconfig") or "kubeconfig",
        api_server=api_server,
        api_server_ca=api_server_ca,
        egress_cidrs=s.cidrs("egressCidrs") or (),
        internal_load_balancer_annotations=_annotations(s, "internalLoadBalancerAnnotations"),
    )


def _is_pem_certificates(text: str) -> bool:
    try:
        return bool(x509.load_pem_x509_certificates(text.encode()))
    except ValueError:
        return False


def _annotations(s: Section, name: str) -> dict[str, str] | None:
    value = s.raw.get(name)
    if value is None:
        return None
    if not isinstance(value, Mapping) or not all(isinstance(k, str) and isinstance(v, str) for k, v in value.items()):
        s.problem(name, f"expected a mapping of annotation names to string values, got {quote(value)}")
        return {}
    return dict(value)


def _check_internal_exposure(s: Section, cloud: str | None, gateway: GatewaySpec, existing: ExistingSpec | None) -> None:
    """An adopted cluster's load balancer is whatever its platform makes of a bare Service, so `internal`
    needs the platform's annotations (or the operator's word that it is private already)."""
    if cloud != "existing" or existing is None or gateway.exposure != "internal" or existing.internal_load_balancer_annotations is not None:
        return
    s.problems.add(
        f"{s.key}.existing.internalLoadBalancerAnnotations",
        "is required for an adopted cluster whose east-west gateway is internal (gateway.exposure 'internal'): meshfleet "
        "cannot tell how this cluster's platform makes a load balancer internal; give the Service annotations it needs "
        "(e.g. {'service.beta.kubernetes.io/aws-load-balancer-internal': 'true'} on EKS, "
        "{'networking.gke.io/load-balancer-type': 'Internal'} on GKE), {} if its load balancers are private already "
        "(kind, MetalLB on a private range), or set this cluster's gateway.exposure to 'public'",
    )


def _check_roles(root: Section, clusters: Mapping[str, ClusterSpec]) -> None:
    if not clusters:
        return
    if not any(c.is_primary for c in clusters.values()):
        root.problem("clusters", "has no primary cluster; at least one cluster needs role 'primary'")
        return
    for cluster in clusters.values():
        if cluster.role != "remote" or cluster.primary is None:
            continue
        target = clusters.get(cluster.primary)
        key = f"{cluster.config_key}.primary"
        if target is None:
            root.problems.add(key, f"{quote(cluster.primary)} is not a cluster of this fleet; clusters: {choice_list(clusters)}")
        elif not target.is_primary:
            primaries = [c.name for c in clusters.values() if c.is_primary]
            root.problems.add(
                key,
                f"{quote(cluster.primary)} is a remote cluster, not a primary; a remote must point at one of {choice_list(primaries)}",
            )


__all__ = ["Environment", "MeshRules", "RawConfig", "parse_fleet"]
