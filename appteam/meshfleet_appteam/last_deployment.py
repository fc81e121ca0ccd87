"""What this stack's last deployment published: its own outputs, read before anything changes."""

from __future__ import annotations

from typing import Any

import pulumi


class LastDeployment:
    """A reference to this stack itself. A first deployment has no outputs, so every `output` is None.
    The fleet reads its own last deployment so (components/last_deployment.py), and an app program its
    last canary position (rollout.py)."""

    def __init__(self, opts: pulumi.ResourceOptions) -> None:
        name = f"{pulumi.get_organization()}/{pulumi.get_project()}/{pulumi.get_stack()}"
        self._reference = pulumi.StackReference("meshfleet-deployed", stack_name=name, opts=opts)

    def output(self, key: str) -> pulumi.Output[Any]:
        return self._reference.get_output(key)
