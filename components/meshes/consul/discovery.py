"""Cross-cluster discovery without the consul CLI: every pair of datacenters peered through Kubernetes
objects, and every cluster's services exported to every peer.

For each unordered pair, the cluster whose name sorts first accepts (the rule survives reordering the
config). In the acceptor cluster a `PeeringAcceptor` named after the dialer makes Consul generate a
token, which its controller writes into a Secret (label `consul.hashicorp.com/peering-token`). Pulumi
waits until the acceptor reports this token generation synced, reads that Secret, writes the token into
the dialer cluster as a Secret with the same label (its watch starts the dialer), still a Pulumi secret,
and then creates the `PeeringDialer` named after the acceptor. Upstream's acceptance test does the same
with kubectl (consul-k8s `acceptance/framework/k8s/helpers.go` CopySecret). Each side's objects are children of
its cluster's component; no component groups a pair, whose objects live in two clusters anyway. Each
cluster's acceptors are one group that the Kubernetes provider registers (components/k8s/peer_objects.py),
and so are each cluster's token copies and dialers: the program registers one resource per pair, the read.

Re-issuing every token is a config change: `mesh.consul.peeringTokenGeneration` is the
`consul.hashicorp.com/peering-version` annotation of acceptors and dialers.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, cast

import pulumi
import pulumi_kubernetes as k8s
from pulumi.output import UNKNOWN

from ... import naming
from ...k8s.peer_objects import depends_on, object_ref, peer_objects
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


def pairs(clusters: Sequence[str]) -> list[tuple[str, str]]:
    """Every unordered pair once, as (acceptor, dialer): the name that sorts first accepts."""
    ordered = sorted(clusters)
    return [(a, d) for i, a in enumerate(ordered) for d in ordered[i + 1 :]]


def _version(generation: int) -> dict[str, str]:
    return {values.PEERING_VERSION_ANNOTATION: str(generation)}


def accept(
    accepting: PeeringSide, dialers: Sequence[str], generation: int, peered: pulumi.Input[frozenset[str]]
) -> dict[str, k8s.core.v1.Secret]:
    """Every peering the cluster accepts: its acceptors in one group (components/k8s/peer_objects.py), and
    per dialer the read of the token the acceptor's controller wrote, keyed by dialer."""
    objs = [
        _peer_object(
            "PeeringAcceptor",
            dialer,
            values.peering_token_secret(values.peer_name(dialer)),
            {
                **_version(generation),
                # Synced, and for this generation: after a bump the old Synced condition is still True
                # until the controller has written the new token (peering_acceptor_controller.go updateStatus).
                "pulumi.com/waitFor": json.dumps(["condition=Synced", f"jsonpath={{.status.latestPeeringVersion}}={generation}"]),
            },
        )
        for dialer in dialers
    ]
    acceptors = peer_objects(
        naming.child(accepting.cluster, "peering-acceptors"),
        objs,
        accepting.after,
        pulumi.ResourceOptions(parent=accepting.parent, provider=accepting.provider),
    )
    return {dialer: _read_token(accepting, dialer, acceptors, peered) for dialer in dialers}


def _read_token(
    accepting: PeeringSide, dialer: str, acceptors: pulumi.Resource, peered: pulumi.Input[frozenset[str]]
) -> k8s.core.v1.Secret:
    """The read waits for the acceptors' group, which is done once each acceptor reports this generation
    synced. A preview reads only what an earlier `pulumi up` made: a pair of clusters the last deployment
    peered. For any other pair the id stays unknown and the preview leaves the read out, instead of failing
    on a Secret that does not exist yet."""
    secret_id = f"{values.NAMESPACE}/{values.peering_token_secret(values.peer_name(dialer))}"
    pair = {accepting.cluster, dialer}
    token_id: pulumi.Input[str] = secret_id
    if pulumi.runtime.is_dry_run():
        token_id = pulumi.Output.from_input(peered).apply(lambda clusters: secret_id if pair <= clusters else cast(str, UNKNOWN))
    return k8s.core.v1.Secret.get(
        naming.child(accepting.cluster, "peering-token", dialer),
        token_id,
        opts=pulumi.ResourceOptions(parent=accepting.parent, provider=accepting.provider, depends_on=[acceptors]),
    )


def dial(dialing: PeeringSide, tokens: Mapping[str, k8s.core.v1.Secret], generation: int) -> k8s.yaml.v2.ConfigGroup:
    """Every peering the cluster dials, one group (components/k8s/peer_objects.py): per acceptor, the token
    written into this cluster as a Secret with the peering-token label (its watch starts the dialer), still a
    Pulumi secret, and the `PeeringDialer` named after the acceptor, made after its Secret."""
    objs: list[dict[str, Any]] = []
    for acceptor, read in tokens.items():
        secret = values.peering_token_secret(values.peer_name(acceptor))
        token_data: pulumi.Output[dict[str, str]] = read.data.apply(_token_from)
        secret_data: pulumi.Output[dict[str, str]] = pulumi.Output.secret(token_data)
        token = {
            "apiVersion": "v1",
            "kind": "Secret",
            "metadata": {"name": secret, "namespace": values.NAMESPACE, "labels": {values.PEERING_TOKEN_LABEL: "true"}},
            "type": "Opaque",
            # `data` as read: already base64, so it is copied, not encoded again.
            "data": secret_data,
        }
        dialer = _peer_object("PeeringDialer", acceptor, secret, _version(generation))
        dialer["metadata"]["annotations"].update(depends_on(object_ref("v1", "Secret", values.NAMESPACE, secret)))
        objs += [token, dialer]
    return peer_objects(
        naming.child(dialing.cluster, "peering-dialers"),
        objs,
        dialing.after,
        pulumi.ResourceOptions(parent=dialing.parent, provider=dialing.provider),
    )


def _peer_object(kind: str, peer: str, secret: str, annotations: dict[str, str]) -> dict[str, Any]:
    """An acceptor or a dialer named after its peer, using the token Secret `secret`."""
    return {
        "apiVersion": values.API_VERSION,
        "kind": kind,
        "metadata": {"name": values.peer_name(peer), "namespace": values.NAMESPACE, "annotations": dict(annotations)},
        "spec": values.peer_secret_spec(secret),
    }


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
