"""What this stack's last deployment published: its own outputs, read before anything changes."""

from __future__ import annotations

from typing import Any

import pulumi

import meshfleet_appteam.last_deployment


class LastDeployment(meshfleet_appteam.last_deployment.LastDeployment):
    """A reference to this stack itself (the one an app program reads its canary position through, too).
    A first deployment has no outputs, so every `output` is None. (Reading the clusters instead, their
    `cacerts` or their peering Secrets, would fail on a first deployment and copy what it reads into the state.)"""

    def value(self, key: str) -> Any:
        """The output's plain value, read now (as the SDK's synchronous calls wait for the engine): for checks
        that must refuse a change before the resources it would touch are registered. None if unpublished."""
        from pulumi.runtime.sync_await import _sync_await

        details = _sync_await(self._reference.get_output_details(key))
        return details.value if details.value is not None else details.secret_value

    def clusters_on(self, mesh_type: str) -> pulumi.Output[frozenset[str]]:
        """The clusters the last deployment ran `mesh_type` on (the `clusters` and `mesh.type` outputs of the
        contract): none on a first deployment, or when the stack ran another mesh."""
        names = pulumi.Output.all(self.output("mesh"), self.output("clusters")).apply(
            lambda published: frozenset(published[1] or {}) if (published[0] or {}).get("type") == mesh_type else frozenset()
        )
        # Cluster names are no secret (the contract publishes none), and what reads them may name an object.
        return pulumi.Output.unsecret(names)

    def gateway_address(self, cluster: str, mesh_type: str) -> pulumi.Output[str | None]:
        """The east-west gateway address the last deployment published for `cluster` (contract `clusters.<name>.
        eastWestGatewayAddress`), when it ran `mesh_type` there; None on a first deployment or for a new cluster."""

        def published(values: list[Any]) -> str | None:
            mesh, clusters = values
            if (mesh or {}).get("type") != mesh_type:
                return None
            address = ((clusters or {}).get(cluster) or {}).get("eastWestGatewayAddress")
            return str(address) if address else None

        return pulumi.Output.unsecret(pulumi.Output.all(self.output("mesh"), self.output("clusters")).apply(published))
