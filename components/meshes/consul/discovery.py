"""Cross-cluster discovery without the consul CLI: every pair of datacenters peered through Kubernetes
objects, and every cluster's services exported to every peer.

For each unordered pair, the cluster whose name sorts first accepts (the rule survives reordering the
config). In the acceptor cluster a `PeeringAcceptor` named after the dialer makes Consul generate a
token, which its controller writes into a Secret (label `consul.hashicorp.com/peering-token`). Pulumi
waits until the acceptor reports this token generation synced, reads that Secret, writes the token into
the dialer cluster as a Secret with the same label (its watch starts the dialer), still a Pulumi secret,
and then creates the `PeeringDialer` named after the acceptor. Upstream's acceptance test does the same
with kubectl (consul-k8s `acceptance/framework/k8s/helpers.go` CopySecret). Each side's objects are children of
its cluster's component; no component groups a pair, whose objects live in two clusters anyway.

Re-issuing every token is a config change: `mesh.consul.peeringTokenGeneration` is the
`consul.hashicorp.com/peering-version` annotation of acceptors and dialers.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_kubernetes as k8s

from ... import naming
from . import values


@dataclass(frozen=True)
class PeeringSide:
    """One cluster of a peering pair, as the program reaches it."""

    cluster: str
    provider: k8s.Provider
    parent: pulumi.Resource
    """The cluster's own component: a peering's objects live in two clusters, each side under its own."""
    after: Sequence[pulumi.Resource]
    """What must exist first: the release whose injector admits the CRs, and the `Mesh` entry
    (peering through mesh gateways), which upstream applies before any acceptor or dialer."""


@dataclass(frozen=True)
class Peering:
    """The four objects one peering needs, the fewest upstream allows (docs/consul.md, "Four objects per pair, the fewest upstream allows")."""

    acceptor: k8s.apiextensions.CustomResource
    token: k8s.core.v1.Secret
    """The token as the acceptor's controller wrote it (a read)."""
    dialer_token: k8s.core.v1.Secret
    dialer: k8s.apiextensions.CustomResource


def pairs(clusters: Sequence[str]) -> list[tuple[str, str]]:
    """Every unordered pair once, as (acceptor, dialer): the name that sorts first accepts."""
    ordered = sorted(clusters)
    return [(a, d) for i, a in enumerate(ordered) for d in ordered[i + 1 :]]


def _version(generation: int) -> dict[str, str]:
    return {values.PEERING_VERSION_ANNOTATION: str(generation)}


def peer(accepting: PeeringSide, dialing: PeeringSide, generation: int) -> Peering:
    """One peering between two datacenters: each object in its own cluster, under that cluster's component,
    named after both clusters."""
    secret = values.peering_token_secret(values.peer_name(dialing.cluster))
    acceptor = _peer(
        "PeeringAcceptor",
        "peering-acceptor",
        accepting,
        dialing.cluster,
        secret,
        {
            **_version(generation),
            # Synced, and for this generation: after a bump the old Synced condition is still True
            # until the controller has written the new token (peering_acceptor_controller.go updateStatus).
            "pulumi.com/waitFor": json.dumps(["condition=Synced", f"jsonpath={{.status.latestPeeringVersion}}={generation}"]),
        },
        [],
    )
    # The read's id waits for the acceptor's id, which is unknown until it exists: a brand-new stack's
    # preview skips the read instead of failing on a Secret that does not exist yet.
    token = k8s.core.v1.Secret.get(
        naming.child(accepting.cluster, "peering-token", dialing.cluster),
        acceptor.id.apply(lambda _: f"{values.NAMESPACE}/{secret}"),
        opts=pulumi.ResourceOptions(parent=accepting.parent, provider=accepting.provider, depends_on=[acceptor]),
    )
    token_data: pulumi.Output[dict[str, str]] = token.data.apply(_token_from)
    secret_data: pulumi.Output[dict[str, str]] = pulumi.Output.secret(token_data)
    dialer_secret = values.peering_token_secret(values.peer_name(accepting.cluster))
    dialer_token = k8s.core.v1.Secret(
        naming.child(dialing.cluster, "peering-token", accepting.cluster),
        metadata=k8s.meta.v1.ObjectMetaArgs(
            name=dialer_secret,
            namespace=values.NAMESPACE,
            labels={values.PEERING_TOKEN_LABEL: "true"},
        ),
        type="Opaque",
        # `data` as read: already base64, so it is copied, not encoded again.
        data=secret_data,
        opts=pulumi.ResourceOptions(parent=dialing.parent, provider=dialing.provider, depends_on=list(dialing.after)),
    )
    dialer = _peer("PeeringDialer", "peering-dialer", dialing, accepting.cluster, dialer_secret, _version(generation), [dialer_token])
    return Peering(acceptor=acceptor, token=token, dialer_token=dialer_token, dialer=dialer)


def _peer(
    kind: str,
    role: str,
    side: PeeringSide,
    peer: str,
    secret: str,
    annotations: dict[str, str],
    after: list[pulumi.Resource],
) -> k8s.apiextensions.CustomResource:
    """An acceptor or a dialer in `side`'s cluster, named after its peer, using the token Secret `secret`."""
    name = naming.child(side.cluster, role, peer)
    return k8s.apiextensions.CustomResource(
        name,
        api_version=values.API_VERSION,
        kind=kind,
        metadata=k8s.meta.v1.ObjectMetaArgs(name=values.peer_name(peer), namespace=values.NAMESPACE, annotations=annotations),
        spec=values.peer_secret_spec(secret),
        opts=pulumi.ResourceOptions(parent=side.parent, provider=side.provider, depends_on=[*after, *side.after]),
    )


def _token_from(data: Any) -> dict[str, str]:
    token = (data or {}).get(values.PEERING_TOKEN_KEY)
    if not token:
        raise pulumi.RunError(
            f"the peering token Secret has no {values.PEERING_TOKEN_KEY!r} key; check the PeeringAcceptor's status and the "
            "connect injector's logs in the accepting cluster"
        )
    return {values.PEERING_TOKEN_KEY: token}


def exported_services(
    cluster: str, peers: Sequence[str], after: Sequence[pulumi.Resource], opts: pulumi.ResourceOptions
) -> k8s.apiextensions.CustomResource:
    """The cluster's one ExportedServices (the webhook admits a single one, named `default` without
    partitions): owned by the fleet, so that app teams never fight over it."""
    return k8s.apiextensions.CustomResource(
        naming.child(cluster, "exported-services"),
        api_version=values.API_VERSION,
        kind="ExportedServices",
        metadata=k8s.meta.v1.ObjectMetaArgs(name="default", namespace=values.NAMESPACE),
        spec=values.exported_services_spec([values.peer_name(p) for p in peers]),
        opts=pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(depends_on=list(after))),
    )
