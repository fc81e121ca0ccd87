"""Kubeconfigs that one cluster's control plane uses to read another carry an inline token only."""

from __future__ import annotations

from pulumi_policy import ReportViolation, ResourceValidationArgs, ResourceValidationPolicy

from .facts import MESHES
from .kubeconfigs import kubeconfig_problems
from .resources import resources_to_check


def _validate(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    for resource in resources_to_check(args):
        for mesh in MESHES:
            for key, kubeconfig in mesh.remote_kubeconfigs(resource):
                for problem in kubeconfig_problems(kubeconfig):
                    report_violation(
                        f"{mesh.name} remote kubeconfig {key!r} in {resource.name}: {problem}; use a reader service-account token "
                        "(meshfleet's reader credentials) and nothing else",
                        None,
                    )


remote_kubeconfigs_token_only = ResourceValidationPolicy(
    name="remote-kubeconfigs-token-only",
    description="Remote-cluster kubeconfigs carry no exec plugins and no long-lived admin credentials.",
    validate=_validate,
)
