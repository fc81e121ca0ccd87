"""What the policy tests of every mesh share: reading a report, and a fleet in which one resource drifted."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

from components.simulation import Simulation
from components.simulation.policy_check import PolicyReport


def messages(report: PolicyReport, policy: str) -> list[str]:
    return sorted(f"{v.level}: {v.message}" for v in report.of(policy))


def tampered(sim: Simulation, name: str, edit: Callable[[dict[str, Any]], None]) -> Simulation:
    """A copy of the fleet in which one resource drifted (edited by hand, or by another tool)."""
    resources = copy.deepcopy(sim.resources)
    for resource in resources:
        if resource.name == name and resource.custom:
            edit(resource.inputs)
            edit(resource.outputs)
    return Simulation(resources=resources, exports=sim.exports, secret_exports=sim.secret_exports)
