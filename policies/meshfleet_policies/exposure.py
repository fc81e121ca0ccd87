"""East-west gateways are internal, or open only to known source ranges."""

from __future__ import annotations

from pulumi_policy import ReportViolation, ResourceValidationArgs, ResourceValidationPolicy

from .facts import MESHES
from .resources import resources_to_check

EVERYWHERE = {"0.0.0.0/0", "::/0"}


def _validate(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    for resource in resources_to_check(args):
        for mesh in MESHES:
            exposure = mesh.east_west_gateway(resource)
            if exposure is None or exposure.service_type != "LoadBalancer" or exposure.internal:
                continue
            if not exposure.source_ranges:
                report_violation(
                    f"the {mesh.name} east-west gateway of {exposure.cluster} gets a load balancer that is neither internal nor "
                    "limited to source ranges, so whoever can reach its address reaches the mesh; make it internal (gateway.exposure "
                    "'internal'; on an adopted cluster also existing.internalLoadBalancerAnnotations), or list the peers' addresses "
                    "in gateway.sourceRanges",
                    None,
                )
            elif EVERYWHERE & set(exposure.source_ranges):
                report_violation(
                    f"the {mesh.name} east-west gateway of {exposure.cluster} admits {sorted(EVERYWHERE & set(exposure.source_ranges))}; "
                    "list only the peer clusters' egress ranges in gateway.sourceRanges",
                    None,
                )


east_west_gateway_not_public = ResourceValidationPolicy(
    name="east-west-gateway-not-public",
    description="East-west gateways are not open to the whole internet (internal, or source ranges set).",
    validate=_validate,
)
