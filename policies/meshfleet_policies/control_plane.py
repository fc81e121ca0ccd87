"""Control planes survive a node drain: enough replicas and a disruption budget."""

from __future__ import annotations

from pulumi_policy import PolicyConfigSchema, ReportViolation, ResourceValidationArgs, ResourceValidationPolicy

from .facts import MESHES
from .resources import resources_to_check


def _validate(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    for resource in resources_to_check(args):
        minimum = int(args.get_config().get("minReplicas", 2))
        for mesh in MESHES:
            plane = mesh.control_plane(resource)
            if plane is None or plane.is_remote:
                continue
            if plane.replicas < minimum:
                report_violation(
                    f"the {mesh.name} control plane of {plane.cluster} (revision {plane.revision or 'default'}) runs as few as "
                    f"{plane.replicas} replica{'' if plane.replicas == 1 else 's'}; set mesh.controlPlane.replicas to {minimum} or more",
                    None,
                )
            elif not plane.disruption_budget:
                report_violation(
                    f"the {mesh.name} control plane of {plane.cluster} has no PodDisruptionBudget, so a node drain can take it down; "
                    "run it with more than one replica (meshfleet then enables the budget)",
                    None,
                )


control_plane_high_availability = ResourceValidationPolicy(
    name="control-plane-high-availability",
    description="Control planes are highly available: replicas and a disruption budget.",
    validate=_validate,
    config_schema=PolicyConfigSchema(properties={"minReplicas": {"type": "integer", "minimum": 1, "default": 2}}),
)
