"""Carving a cluster VPC into per-zone subnets (pure, so it is tested on its own)."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass


@dataclass(frozen=True)
class ZoneSubnets:
    zone: str
    public: str
    """Load balancers and NAT gateways."""
    private: str
    """Nodes and pods (the VPC CNI gives pods VPC addresses, so private subnets get the larger share)."""


def plan_zone_subnets(vpc_cidr: str, zones: list[str] | tuple[str, ...]) -> list[ZoneSubnets]:
    """Split the VPC into eighths: the first eighth holds the public subnets, one eighth per zone holds a private one.

    A /16 gives /22 public and /19 private subnets; at most seven zones fit.
    """
    vpc = ipaddress.IPv4Network(vpc_cidr)
    if len(zones) > 7:
        raise ValueError(f"{len(zones)} zones do not fit in {vpc_cidr}; at most 7")
    eighths = list(vpc.subnets(prefixlen_diff=3))
    publics = list(eighths[0].subnets(prefixlen_diff=3))
    return [ZoneSubnets(zone, str(publics[i]), str(eighths[i + 1])) for i, zone in enumerate(zones)]
