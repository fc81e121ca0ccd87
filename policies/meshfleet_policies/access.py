"""A fleet that denies by default still lets the mesh's own traffic through (its control plane, its
gateways, kubelet probes): otherwise `mesh.defaultAccess: deny` takes down the mesh instead of locking it.
And where calls from other clusters arrive under one shared identity (Linkerd's gateway mode), a deny fleet
of several clusters that admits that identity nowhere lets no call cross clusters at all."""

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


def _validate_linked(args: StackValidationArgs, report_violation: ReportViolation) -> None:
    resources = [as_resource(r) for r in args.resources]
    for mesh in MESHES:
        arrivals = [a for r in resources for a in mesh.shared_arrivals(r)]
        if len({a.cluster_key for a in arrivals}) < 2:
            continue  # one cluster: nothing arrives from another
        denying = {found.cluster_key: found for r in resources if (found := mesh.default_access(r)) is not None and found.deny}
        admitted = [a for r in resources for a in mesh.admitted_identities(r)]
        for arrival in arrivals:
            default = denying.get(arrival.cluster_key)
            if default is None or any(a.covers(arrival) for a in admitted):
                continue
            report_violation(
                f"cluster {arrival.cluster} denies by default ({mesh.name} {default.how}) and admits nothing from the fleet's "
                f"other clusters: their calls arrive as {arrival.identity}, which nothing in this stack admits, so every "
                f"cross-cluster call to it is refused; {arrival.fix}",
                arrival.urn,
            )


deny_fleet_admits_linked_clusters = StackValidationPolicy(
    name="deny-fleet-admits-linked-clusters",
    description="A fleet of several clusters that denies by default admits calls from its other clusters somewhere.",
    validate=_validate_linked,
)
