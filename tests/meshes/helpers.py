"""Lookups into a simulation that every mesh's tests share."""

from __future__ import annotations

import base64
from collections.abc import Iterable
from typing import Any

from components.simulation import Recorded, Simulation

RELEASE = "kubernetes:helm.sh/v3:Release"
SECRET = "kubernetes:core/v1:Secret"
NAMESPACE = "kubernetes:core/v1:Namespace"


def release(sim: Simulation, cluster: str, name: str) -> Recorded:
    return sim.named(f"{cluster}-{name}", RELEASE)


def depends_on(sim: Simulation, resource: Recorded, target: Recorded) -> bool:
    """Whether `resource` waits for `target`, directly or through other resources."""
    seen: set[str] = set()
    stack = [resource.urn]
    by_urn = {r.urn: r for r in sim.resources}
    while stack:
        urn = stack.pop()
        for dependency in by_urn[urn].all_dependencies if urn in by_urn else ():
            if dependency == target.urn:
                return True
            if dependency not in seen:
                seen.add(dependency)
                stack.append(dependency)
    return False


def names(resources: Iterable[Recorded]) -> list[str]:
    return sorted(r.name for r in resources)


# --- east-west exposure and reader credentials, alike for every mesh ---------------------------------

NLB = {
    "service.beta.kubernetes.io/aws-load-balancer-type": "nlb",
    "service.beta.kubernetes.io/aws-load-balancer-cross-zone-load-balancing-enabled": "true",
}


def peer_egress(sim: Simulation, cluster: str) -> list[str]:
    """The NAT addresses of every other cluster, as /32s."""
    cidrs = [f"{r.outputs['publicIp']}/32" for r in sim.of_type("aws:ec2/eip:Eip") if not r.name.startswith(f"{cluster}-")]
    cidrs += [f"{r.outputs['address']}/32" for r in sim.of_type("gcp:compute/address:Address") if not r.name.startswith(f"{cluster}-")]
    return sorted(cidrs)


def reader_token(token_secret: Recorded) -> str:
    return base64.b64decode(token_secret.outputs["data"]["token"]).decode()


def token_kubeconfig(sim: Simulation, observed: str, token_secret: Recorded) -> dict[str, Any]:
    """The kubeconfig a control plane reads `observed` with: its API server, the CA and the inline token
    the token controller wrote into `token_secret`, and nothing else (no exec plugin, no certificate)."""
    return {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [
            {
                "name": observed,
                "cluster": {
                    "server": sim.exports["clusters"][observed]["apiEndpoint"],
                    "certificate-authority-data": token_secret.outputs["data"]["ca.crt"],
                },
            }
        ],
        "users": [{"name": observed, "user": {"token": reader_token(token_secret)}}],
        "contexts": [{"name": observed, "context": {"cluster": observed, "user": observed}}],
        "current-context": observed,
    }
