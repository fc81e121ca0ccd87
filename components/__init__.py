"""meshfleet: reusable Pulumi components that run one service mesh across many Kubernetes clusters."""

# The package's release (pyproject.toml reads it). CHANGELOG.md says, per release, what changed for users
# and which outputs-contract version (components/contract.py CONTRACT_VERSION) its fleets publish.
__version__ = "1.1.0"
