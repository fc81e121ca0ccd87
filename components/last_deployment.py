"""What this stack's last deployment published: its own outputs, read before anything changes."""

from __future__ import annotations

import asyncio
from typing import Any

import pulumi


class LastDeployment:
    """A reference to this stack itself. A first deployment has no outputs, so every `output` is None.
    (Reading the clusters instead, their `cacerts` or their peering Secrets, would fail on a first
    deployment and copy what it reads into the state.)"""

    def __init__(self, opts: pulumi.ResourceOptions) -> None:
        name = f"{pulumi.get_organization()}/{pulumi.get_project()}/{pulumi.get_stack()}"
        self._reference = pulumi.StackReference("meshfleet-deployed", stack_name=name, opts=opts)
        self._outputs: dict[str, pulumi.Output[Any]] = {}
        self._contract: pulumi.Output[tuple[Any, Any]] | None = None

    def output(self, key: str) -> pulumi.Output[Any]:
        """The output `key`, secret as the stack reference says, made once per key. Not through the SDK's
        `StackReference.get_output`, which gathers the whole `outputs` dict with `Output.all` on every call
        (pulumi/stack_reference.py): that lifts every value of every output into an Output of its own, value by
        value, so a call per cluster cost a preview against a 100-cluster deployment O(clusters²) Outputs."""
        if key not in self._outputs:
            value = self._reference.outputs.apply(lambda outputs: (outputs or {}).get(key))
            is_secret = asyncio.ensure_future(self._is_secret(key))
            self._outputs[key] = pulumi.Output(value.resources(), value.future(), value.is_known(), is_secret)
        return self._outputs[key]

    async def _is_secret(self, key: str) -> bool:
        """As `StackReference.get_output` decides it: from the secret output names when they are known, else
        from the secretness of all the outputs."""
        names = self._reference.secret_output_names
        listed = await names.future() if await names.is_known() else None
        return key in listed if listed is not None else await self._reference.outputs.is_secret()

    def value(self, key: str) -> Any:
        """The output's plain value, read now (as the SDK's synchronous calls wait for the engine): for checks
        that must refuse a change before the resources it would touch are registered. None if unpublished."""
        from pulumi.runtime.sync_await import _sync_await

        details = _sync_await(self._reference.get_output_details(key))
        return details.value if details.value is not None else details.secret_value

    def clusters_on(self, mesh_type: str) -> pulumi.Output[frozenset[str]]:
        """The clusters the last deployment ran `mesh_type` on (the `clusters` and `mesh.type` outputs of the
        contract): none on a first deployment, or when the stack ran another mesh."""
        names = self._mesh_and_clusters().apply(
            lambda published: frozenset(published[1] or {}) if (published[0] or {}).get("type") == mesh_type else frozenset()
        )
        # Cluster names are no secret (the contract publishes none), and what reads them may name an object.
        return pulumi.Output.unsecret(names)

    def gateway_address(self, cluster: str, mesh_type: str) -> pulumi.Output[str | None]:
        """The east-west gateway address the last deployment published for `cluster` (contract `clusters.<name>.
        eastWestGatewayAddress`), when it ran `mesh_type` there; None on a first deployment or for a new cluster."""

        def published(values: tuple[Any, Any]) -> str | None:
            mesh, clusters = values
            if (mesh or {}).get("type") != mesh_type:
                return None
            address = ((clusters or {}).get(cluster) or {}).get("eastWestGatewayAddress")
            return str(address) if address else None

        return pulumi.Output.unsecret(self._mesh_and_clusters().apply(published))

    def _mesh_and_clusters(self) -> pulumi.Output[tuple[Any, Any]]:
        """The contract's `mesh` and `clusters` outputs together, gathered once: nested applies, because
        `Output.all` would lift both values into Outputs again for every cluster that asks."""
        if self._contract is None:
            clusters = self.output("clusters")
            self._contract = self.output("mesh").apply(lambda mesh: clusters.apply(lambda listed: (mesh, listed)))
        return self._contract
