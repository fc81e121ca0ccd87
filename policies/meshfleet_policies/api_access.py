"""Cluster API servers are not open to the whole internet.

Only created clusters are seen (an adopted cluster's endpoint is not a resource of the stack). IAM or
Google auth still authenticate every caller, but an endpoint anyone can reach is exposed to every
credential leak and API-server vulnerability; `apiAccessCidrs` narrows it, and the peers' egress
addresses that endpoint discovery needs are added automatically.
"""

from __future__ import annotations

from typing import Any

from pulumi_policy import ReportViolation, ResourceValidationArgs, ResourceValidationPolicy

from .exposure import EVERYWHERE

FIX = "set clusters[].create.apiAccessCidrs to the operators' and CI's egress ranges (the peer clusters are added automatically)"


def _open_ranges(cidrs: Any) -> list[str]:
    return sorted(EVERYWHERE & {str(c) for c in cidrs or ()})


def _validate(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    props = args.props
    if args.resource_type == "aws:eks/cluster:Cluster":
        vpc = props.get("vpcConfig") or {}
        if vpc.get("endpointPublicAccess") is False:
            return
        # EKS opens a public endpoint to 0.0.0.0/0 when publicAccessCidrs is left out.
        cidrs = vpc.get("publicAccessCidrs") or ["0.0.0.0/0"]
        if open_ranges := _open_ranges(cidrs):
            report_violation(f"EKS cluster {props.get('name') or args.name} admits {open_ranges} to its public API endpoint; {FIX}", None)
    elif args.resource_type == "gcp:container/cluster:Cluster":
        private = props.get("privateClusterConfig") or {}
        if private.get("enablePrivateEndpoint") is True:
            return
        networks = props.get("masterAuthorizedNetworksConfig")
        if not networks:
            report_violation(
                f"GKE cluster {props.get('name') or args.name} has no authorized networks, so anyone reaches its API endpoint; {FIX}", None
            )
            return
        if open_ranges := _open_ranges(block.get("cidrBlock") for block in networks.get("cidrBlocks") or []):
            report_violation(f"GKE cluster {props.get('name') or args.name} admits {open_ranges} to its API endpoint; {FIX}", None)


api_server_not_public = ResourceValidationPolicy(
    name="api-server-not-public",
    description="Cluster API servers are not open to the whole internet (apiAccessCidrs narrowed).",
    validate=_validate,
)
