"""meshfleet's outputs contract: what a fleet stack publishes for app teams, and the typed reader.

Needs only the Pulumi SDK. `read_fleet("org/project/stack")` in an app team's program; the fleet publishes
through `contract_outputs`. docs/contract.md documents every key.
"""

from .definition import CONTRACT_VERSION, TOP_LEVEL_KEYS, VERSIONS
from .reader import (
    ClusterRecord,
    ContractError,
    FleetContract,
    IdentityRecord,
    LocalityRecord,
    MeshRecord,
    TeamRecord,
    check_version,
    parse_contract,
    read_fleet,
)
from .schema import schema_for
from .writer import ContractDefinitionError, contract_outputs

# The meshfleet release this package belongs to: the fleet (components.__version__) and this package are
# released together from one tag, and tests/test_package.py keeps the two equal.
__version__ = "1.1.0"

__all__ = [
    "CONTRACT_VERSION",
    "TOP_LEVEL_KEYS",
    "VERSIONS",
    "ClusterRecord",
    "ContractDefinitionError",
    "ContractError",
    "FleetContract",
    "IdentityRecord",
    "LocalityRecord",
    "MeshRecord",
    "TeamRecord",
    "__version__",
    "check_version",
    "contract_outputs",
    "parse_contract",
    "read_fleet",
    "schema_for",
]
