"""Fleet configuration: the typed model, its parser and the error that lists every problem."""

from .keys import check_config_keys
from .model import (
    Cloud,
    ClusterSpec,
    EksSpec,
    ExistingSpec,
    Exposure,
    FleetSpec,
    GatewaySpec,
    GkeSpec,
    LocalityFailover,
    MeshSpec,
    NodePoolSpec,
    RootSpec,
    TrustSpec,
)
from .observability import ObservabilitySpec, TracingRules, TracingSpec
from .parse import Environment, MeshRules, RawConfig, parse_fleet
from .problems import ConfigProblem, FleetConfigError, Problems
from .reader import Section
from .teams import TeamSpec

__all__ = [
    "Cloud",
    "ClusterSpec",
    "ConfigProblem",
    "EksSpec",
    "Environment",
    "ExistingSpec",
    "Exposure",
    "FleetConfigError",
    "FleetSpec",
    "GatewaySpec",
    "GkeSpec",
    "LocalityFailover",
    "MeshRules",
    "MeshSpec",
    "NodePoolSpec",
    "ObservabilitySpec",
    "Problems",
    "RawConfig",
    "RootSpec",
    "Section",
    "TeamSpec",
    "TracingRules",
    "TracingSpec",
    "TrustSpec",
    "check_config_keys",
    "parse_fleet",
]
