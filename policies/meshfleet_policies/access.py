"""A fleet that denies by default still lets the mesh's own traffic through (its control plane, its
gateways, kubelet probes): otherwise `mesh.defaultAccess: deny` takes down the mesh instead of locking it."""

from __future__ import annotations

from pulumi_policy import ReportViolation, StackValidationArgs, StackValidationPolicy

from .facts import MESHES
from .resources import as_resource

# A cluster is checked where its mesh-wide default is written: for Istio, the clusters whose istiod reads
# config. In a primary-remote fleet the primary's policies also govern its remotes' gateways, which this
# policy does not follow across clusters (meshfleet's exemption selects them by label alike).


def _validate(args: StackValidationArgs, report_violation: ReportViolation) -> None:
    resources = [as_resource(r) for r in args.resources]
    for mesh in MESHES:
        denying = {found.cluster_key: found for r in resources if (found := mesh.default_access(r)) is not None and found.deny}
        allowed = [a for r in resources for a in mesh.own_traffic_allowed(r)]
        for traffic in (t for r in resources for t in mesh.own_traffic(r)):
            default = denying.get(traffic.cluster_key)
            if default is None or any(a.covers(traffic) for a in allowed):
                continue
            report_violation(
                f"cluster {traffic.cluster} denies by default ({mesh.name} {default.how}), which cuts off the {mesh.name} "
                f"{traffic.what}: {traffic.fix}",
                traffic.urn,
            )


default_deny_keeps_mesh_traffic = StackValidationPolicy(
    name="default-deny-keeps-mesh-traffic",
    description="A fleet that denies by default still lets the mesh's control plane, gateways and probes through.",
    validate=_validate,
)
