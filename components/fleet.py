"""The fleet: shared trust, the clusters, the mesh across them, and the stack outputs app teams read."""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass

import pulumi
from pulumi.runtime.config import CONFIG, get_config, get_config_env, is_config_secret

from .clusters import Cluster, build_clusters
from .clusters.existing import ExistingClusterError, read_operator_context
from .config import Environment, FleetSpec, Problems, RawConfig, Section, check_config_keys, parse_fleet
from .contract import stack_outputs
from .gateways.network_access import open_mesh_ports
from .last_deployment import LastDeployment
from .meshes import AVAILABLE, Mesh, MeshDeployment, mesh_rules
from .teams import MeshMembership, build_teams
from .trust import FleetTrust, FleetTrustArgs, ProvidedRoot

PROJECT = "meshfleet"


@dataclass(frozen=True)
class FleetPlan:
    """A validated fleet: what to build, with the secret inputs it needs."""

    spec: FleetSpec
    mesh: Mesh
    kubeconfig_secrets: Mapping[str, pulumi.Output[str]]
    """Kubeconfigs of adopted clusters held as secret config, keyed by cluster."""
    provided_roots: Mapping[str, ProvidedRoot]


class StackEnvironment:
    """Validation's view of the stack: its secret config keys and the operator's kubeconfig."""

    def value(self, key: str) -> str | None:
        value = get_config(f"{PROJECT}:{key}")
        return None if value is None else str(value)

    def is_secret(self, key: str) -> bool:
        return is_config_secret(f"{PROJECT}:{key}")

    def kubeconfig_context_problem(self, context: str) -> str | None:
        try:
            read_operator_context(context)
        except ExistingClusterError as error:
            return str(error)
        return None


def validate_fleet(raw: RawConfig, env: Environment, problems: Problems | None = None) -> tuple[FleetSpec, Mesh]:
    """Check the whole config, generic and mesh-specific; raise one FleetConfigError naming every problem."""
    problems = problems or Problems()
    spec = parse_fleet(raw, mesh_rules(), env, problems)
    mesh_type = AVAILABLE.get(spec.mesh.type)
    mesh = mesh_type.from_config(spec, Section(spec.mesh.options, f"{PROJECT}:mesh.{spec.mesh.type}", problems)) if mesh_type else None
    problems.raise_if_any()
    assert mesh is not None
    return spec, mesh


def plan_fleet(config: pulumi.Config, env: Environment | None = None) -> FleetPlan:
    """Validate the stack's `meshfleet:*` config and gather the secrets the fleet needs."""
    problems = Problems()
    raw = RawConfig(**{key: _read_object(key, problems) for key in STRUCTURED_KEYS})
    check_config_keys(_stack_config_keys(), _own_keys(raw), problems)
    spec, mesh = validate_fleet(raw, env or StackEnvironment(), problems)
    kubeconfigs = {
        name: config.require_secret(cluster.existing.kubeconfig_secret_key)
        for name, cluster in spec.clusters.items()
        if cluster.existing is not None and cluster.existing.kubeconfig_secret_key is not None
    }
    roots = {
        root.name: ProvidedRoot(
            config.require_secret(root.certificate_key),
            config.require_secret(root.private_key_key) if root.private_key_key else None,
        )
        for root in spec.trust.roots
        if root.provided and root.certificate_key is not None
    }
    return FleetPlan(spec, mesh, kubeconfigs, roots)


STRUCTURED_KEYS = ("mesh", "trust", "clusters", "gateway", "observability", "teams")
# Settings whose value names another `meshfleet:` key, one that holds a secret.
SECRET_KEY_SETTINGS = ("certificateSecret", "privateKeySecret", "kubeconfigSecret")


def _own_keys(raw: RawConfig) -> list[str]:
    """The `meshfleet:` keys the program reads: its blocks and the secret keys the config names."""
    return [*STRUCTURED_KEYS, *sorted(set(_secret_key_names([raw.trust, raw.clusters])))]


def _secret_key_names(value: object) -> Iterator[str]:
    if isinstance(value, Mapping):
        for key, item in value.items():
            if key in SECRET_KEY_SETTINGS and isinstance(item, str):
                yield item
            else:
                yield from _secret_key_names(item)
    elif isinstance(value, list):
        for item in value:
            yield from _secret_key_names(item)


def _stack_config_keys() -> list[str]:
    """Every config key set for this stack, in every namespace."""
    return sorted({**get_config_env(), **CONFIG.get()})


def _read_object(key: str, problems: Problems) -> object:
    value = get_config(f"{PROJECT}:{key}")
    if value is None:
        return None
    try:
        return json.loads(value) if isinstance(value, str) else value
    except json.JSONDecodeError:
        problems.add(f"{PROJECT}:{key}", "is not structured config; write it as a YAML mapping or list in Pulumi.<stack>.yaml")
        return None


class Fleet(pulumi.ComponentResource):
    """The whole fleet. Programs that build on it (more workloads, more policy) use its parts."""

    trust: FleetTrust
    clusters: dict[str, Cluster]
    """Keyed by cluster name; each with its Kubernetes provider."""
    mesh: MeshDeployment
    stack_outputs: dict[str, pulumi.Input[object]]

    def __init__(self, name: str, plan: FleetPlan, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("meshfleet:fleet:Fleet", name, None, opts)
        spec = plan.spec
        child = pulumi.ResourceOptions(parent=self)
        profiles = {name: profile for name, c in spec.clusters.items() if (profile := plan.mesh.ca_profile(c)) is not None}
        last = LastDeployment(child)
        self.trust = FleetTrust(
            "trust",
            FleetTrustArgs(spec.trust, profiles, plan.provided_roots, last.output("rootCaBundle"), plan.mesh.standby_intermediates),
            child,
        )
        self.clusters = build_clusters(spec, plan.kubeconfig_secrets, child, plan.mesh.ports.peers_read_api)
        open_mesh_ports(plan.mesh, self.clusters)
        self.mesh = plan.mesh.deploy(self.clusters, self.trust, last, child)
        teams = build_teams(spec.teams, self.clusters, MeshMembership.of(self.mesh.fleet_outputs()), child)
        self.stack_outputs = stack_outputs(spec, plan.mesh, self.clusters, self.trust, self.mesh, teams)
        self.register_outputs({key: value for key, value in self.stack_outputs.items()})
