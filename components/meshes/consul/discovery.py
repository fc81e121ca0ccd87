"""Cross-cluster discovery without the consul CLI: every pair of datacenters peered through Kubernetes
objects, and every cluster's services exported to every peer.

For each unordered pair, the cluster whose name sorts first accepts (the rule survives reordering the
config). In the acceptor cluster a `PeeringAcceptor` named after the dialer makes Consul generate a
token, which its controller writes into a Secret (label `consul.hashicorp.com/peering-token`). Pulumi
waits until the acceptor reports this token generation synced, reads that Secret, writes the token into
the dialer cluster as a Secret with the same label (its watch starts the dialer), still a Pulumi secret,
and then creates the `PeeringDialer` named after the acceptor. Upstream's acceptance test does the same
with kubectl (consul-k8s `acceptance/framework/k8s/helpers.go` CopySecret). Each side's objects are children of
its cluster's component; no component groups a pair, whose objects live in two clusters anyway. Every
object is a resource the program registers itself (docs/scale.md, "Why per-pair objects are plain
resources"): four per pair, the fewest upstream allows.

The read is what keeps a preview exact. Its id is known only once the acceptor's status says the token of
this generation is written: an acceptor a preview keeps has that status in the state, so the preview reads
the token `pulumi up` will copy and shows the copy unchanged; an acceptor a preview creates has no status,
and one whose generation it raises still shows the old version (the provider's server-side dry run returns
the live status), so for both the read is left out and the copy shows as an update with an unknown token.
An accepting cluster a preview cannot reach is read through a provider that answers with nothing rather than
failing the preview (clusters/base.py `kubernetes_providers`): its tokens are unknown and their copies show as
updates, with the provider's warning naming the cluster.

Re-issuing every token is a config change: `mesh.consul.peeringTokenGeneration` is the acceptors'
`consul.hashicorp.com/peering-version` annotation and the name of their token Secret; the dialers see only
their Secret change. Lowering it is refused (settings.check_deployed_generation).
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, cast

import pulumi
import pulumi_kubernetes as k8s
from pulumi.output import UNKNOWN

from ... import naming
from ...k8s.observed import ObservedCustomResource
from . import values


@dataclass(frozen=True)
class PeeringSide:
    """One cluster of a peering pair, as the program reaches it."""

    cluster: str
    provider: k8s.Provider
    tolerant_reads: Callable[[], k8s.Provider]
    """The provider of the token reads (clusters/base.py `kubernetes_providers`): made only for a cluster that
    accepts, so that a preview with that cluster unreachable reads each token as unknown and goes on."""
    parent: pulumi.Resource
    """The cluster's own component: a peering's objects live in two clusters, each side under its own."""
    after: Sequence[pulumi.Resource]
    """What must exist first: the release whose injector admits the CRs, and the `Mesh` entry (peering through
    mesh gateways), awaited until it is in Consul, as upstream's acceptance test waits for the entry in Consul
    before any acceptor (acceptance/tests/peering/peering_connect_test.go:164-180)."""


def pairs(clusters: Sequence[str]) -> list[tuple[str, str]]:
    """Every unordered pair once, as (acceptor, dialer): the name that sorts first accepts."""
    ordered = sorted(clusters)
    return [(a, d) for i, a in enumerate(ordered) for d in ordered[i + 1 :]]


def _version(generation: int) -> dict[str, str]:
    return {values.PEERING_VERSION_ANNOTATION: str(generation)}


def accept(accepting: PeeringSide, dialers: Sequence[str], generation: int) -> dict[str, k8s.core.v1.Secret]:
    """Every peering the cluster accepts: per dialer its acceptor and the read of the token the acceptor's
    controller wrote, keyed by dialer."""
    return {dialer: _read_token(accepting, dialer, _acceptor(accepting, dialer, generation), generation) for dialer in dialers}


def _acceptor(accepting: PeeringSide, dialer: str, generation: int) -> ObservedCustomResource:
    annotations = {
        **_version(generation),
        # Synced, and for this generation: after a bump the old Synced condition is still True
        # until the controller has written the new token (peering_acceptor_controller.go updateStatus).
        values.WAIT_FOR: json.dumps([values.SYNCED, f"jsonpath={{.status.latestPeeringVersion}}={generation}"]),
    }
    # A new Secret name per generation: the controller generates a token for a name it never wrote even when its
    # first status write failed (shouldGenerateToken, peering_acceptor_controller.go:219-248), where a version
    # bump alone is never looked at.
    secret = values.peering_token_secret(values.peer_name(dialer), generation)
    return ObservedCustomResource(
        naming.child(accepting.cluster, "peering-acceptor", dialer),
        **_peer_object("PeeringAcceptor", dialer, secret, annotations),
        opts=pulumi.ResourceOptions(parent=accepting.parent, provider=accepting.provider, depends_on=list(accepting.after)),
    )


def _read_token(accepting: PeeringSide, dialer: str, acceptor: ObservedCustomResource, generation: int) -> k8s.core.v1.Secret:
    """The read of the token Secret, once the acceptor reports this generation synced (see the module's
    docstring for what a preview reads)."""
    secret_id = f"{values.NAMESPACE}/{values.peering_token_secret(values.peer_name(dialer), generation)}"

    def token_id(status: Any) -> str:
        if synced_at(status, generation):
            return secret_id
        if pulumi.runtime.is_dry_run():
            return cast(str, UNKNOWN)
        raise pulumi.RunError(
            f"the PeeringAcceptor for {dialer!r} in {accepting.cluster!r} is not synced at peering version {generation}; "
            'check its status and the connect injector\'s logs in that cluster (docs/consul.md, "Peering, without the CLI")'
        )

    return k8s.core.v1.Secret.get(
        naming.child(accepting.cluster, "peering-token", dialer),
        acceptor.status.apply(token_id),
        opts=pulumi.ResourceOptions(parent=accepting.parent, provider=accepting.tolerant_reads(), depends_on=[acceptor]),
    )


def synced_at(status: Any, generation: int) -> bool:
    """Whether an acceptor's status says its token of this generation is written: `Synced` true and
    `latestPeeringVersion` at the generation (consul-k8s api/v1alpha1/peeringacceptor_types.go)."""
    status = status or {}
    synced = any(c.get("type") == "Synced" and c.get("status") == "True" for c in status.get("conditions") or [])
    version = status.get("latestPeeringVersion")
    # A number on the wire (protobuf has only doubles): 1 arrives as 1.0.
    return synced and isinstance(version, int | float) and version == generation


def dial(dialing: PeeringSide, tokens: Mapping[str, k8s.core.v1.Secret]) -> None:
    """Every peering the cluster dials: per acceptor, the token written into this cluster as a Secret with the
    peering-token label (its watch starts the dialer), still a Pulumi secret, and the `PeeringDialer` named
    after the acceptor, made after its Secret.

    A dialer carries no peering-version annotation: a new token reaches it as a change of its Secret, which
    re-establishes the peering once (specStatusSecretsDifferent, peering_dialer_controller.go:176-186); a bumped
    annotation in the same run would make it establish again with the token already spent (:188-197), which
    Consul refuses, leaving it Synced=False. Upstream's reset procedure bumps only the acceptor.

    Pulumi waits until the dialer reports Synced with this Secret's resourceVersion in its status: the controller
    writes both only after `Establish` succeeded with this token (:142-148, :176-186; updateStatus :220-246),
    i.e. after its servers exchanged the token's secret with the acceptor's through the mesh gateways."""
    opts = pulumi.ResourceOptions(parent=dialing.parent, provider=dialing.provider, depends_on=list(dialing.after))
    for acceptor, read in tokens.items():
        secret = values.peering_token_secret(values.peer_name(acceptor))
        token_data: pulumi.Output[dict[str, str]] = read.data.apply(functools.partial(_token_from, acceptor))
        secret_data: pulumi.Output[dict[str, str]] = pulumi.Output.secret(token_data)
        token = k8s.core.v1.Secret(
            naming.child(dialing.cluster, "peering-token-copy", acceptor),
            metadata=k8s.meta.v1.ObjectMetaArgs(name=secret, namespace=values.NAMESPACE, labels={values.PEERING_TOKEN_LABEL: "true"}),
            type="Opaque",
            # `data` as read: already base64, so it is copied, not encoded again.
            data=secret_data,
            opts=opts,
        )
        k8s.apiextensions.CustomResource(
            naming.child(dialing.cluster, "peering-dialer", acceptor),
            **_peer_object("PeeringDialer", acceptor, secret, {values.WAIT_FOR: token.metadata.resource_version.apply(dialed_with)}),
            opts=pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(depends_on=[token])),
        )


def dialed_with(resource_version: str | None) -> str:
    """The dialer's `pulumi.com/waitFor`: established with the token Secret at this resourceVersion."""
    return json.dumps([values.SYNCED, f"jsonpath={{.status.secret.resourceVersion}}={resource_version}"])


def _peer_object(kind: str, peer: str, secret: str, annotations: Mapping[str, pulumi.Input[str]]) -> dict[str, Any]:
    """An acceptor or a dialer named after its peer, using the token Secret `secret`."""
    return {
        "api_version": values.API_VERSION,
        "kind": kind,
        "metadata": {"name": values.peer_name(peer), "namespace": values.NAMESPACE, "annotations": dict(annotations)},
        "spec": values.peer_secret_spec(secret),
    }


def _token_from(acceptor: str, data: Any) -> dict[str, str]:
    """The token of a read Secret. A read of an unreachable cluster comes back empty (`PeeringSide.tolerant_reads`):
    in a preview its `data` is unknown and this never runs; in `pulumi up` it is refused here."""
    if not data:
        raise pulumi.RunError(
            f"could not read the peering token Secret in {acceptor!r}: the Kubernetes provider warned if that cluster is "
            "unreachable; `pulumi up` needs every accepting cluster reachable"
        )
    token = data.get(values.PEERING_TOKEN_KEY)
    if not token:
        raise pulumi.RunError(
            f"the peering token Secret in {acceptor!r} has no {values.PEERING_TOKEN_KEY!r} key; check the PeeringAcceptor's "
            "status and the connect injector's logs in that cluster"
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
