"""A custom resource whose `status` the program reads.

pulumi-kubernetes' `apiextensions.CustomResource` resolves only the properties it sends (apiVersion, kind,
metadata, spec): its status never reaches the program. Declaring `status` gives it an output, which the
provider fills from the live object after its await (and, in a preview, from the state or a server-side
dry run: provider/pkg/provider/provider.go Create and Update at v4.32.0).
"""

from __future__ import annotations

from typing import Any

import pulumi
from pulumi_kubernetes import _utilities


class ObservedCustomResource(pulumi.CustomResource):
    status: pulumi.Output[Any]
    """The object's status as the provider last read it; unknown in a preview of a new object."""

    def __init__(
        self,
        resource_name: str,
        *,
        api_version: str,
        kind: str,
        metadata: dict[str, Any],
        spec: pulumi.Input[Any],
        opts: pulumi.ResourceOptions,
    ) -> None:
        props = {"apiVersion": api_version, "kind": kind, "metadata": metadata, "spec": spec, "status": None}
        super().__init__(
            f"kubernetes:{api_version}:{kind}",
            resource_name,
            props,
            pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(version=_utilities.get_version())),
        )
