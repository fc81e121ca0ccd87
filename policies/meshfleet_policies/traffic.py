"""Locality failover only works together with outlier detection."""

from __future__ import annotations

from pulumi_policy import ReportViolation, ResourceValidationArgs, ResourceValidationPolicy

from .facts import MESHES
from .resources import resources_to_check


def _validate(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    for resource in resources_to_check(args):
        for mesh in MESHES:
            for where in mesh.failover_without_outlier_detection(resource):
                report_violation(
                    f"{resource.name}: {where} fails over between localities without outlierDetection, so {mesh.name} never fails over "
                    "(istio/istio#12961); add outlierDetection (e.g. consecutive5xxErrors: 5, interval: 10s, baseEjectionTime: 30s), "
                    "or build it with meshfleet's ServiceFailover",
                    None,
                )


locality_failover_needs_outlier_detection = ResourceValidationPolicy(
    name="locality-failover-needs-outlier-detection",
    description="A DestinationRule with locality failover has outlier detection.",
    validate=_validate,
)
