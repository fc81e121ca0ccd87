"""Endpoint discovery without istioctl: each primary's remote secrets, holding every cluster it watches.

istiod (pilot `pkg/kube/multicluster/secretcontroller.go` at 1.30.3) watches the Secrets of its own
namespace labelled `istio/multiCluster=true` (NewController, lines 152-155: a label-filtered informer)
and registers one cluster per data key of each (`addRemoteConfig`, 420-478): the key is the cluster ID,
the value a kubeconfig for that cluster's `istio-reader-service-account` with an inline token (istiod
rejects exec plugins). So a primary's peers are spread over as few Secrets as hold them: one,
`istio-remote-secrets`, up to `CLUSTERS_PER_SECRET` peers, then `istio-remote-secrets-1`, `-2`...
(Kubernetes refuses a Secret over 1 MiB: at about 3 KB a kubeconfig, one Secret would stop at about
346 peers). What istiod does on each change, and why a token rotation, a cluster joining and a cluster
leaving each take one `pulumi up` without disturbing the other peers:
- a key's kubeconfig changes (token rotation): istiod builds the new client and stops the old one only
  after the new one has synced (make-before-break, `ClusterStore.Swap`);
- a key is added or removed (a cluster joins or leaves): that cluster alone is added or stopped;
- a key naming a cluster that ANOTHER secret already registered is ignored ("cluster has already been
  registered", 451-454) and is not looked at again when that other secret goes away. So a cluster
  moving between secrets drops out for a moment at best (its old secret written first), for good at
  worst (its new one first). Each cluster's shard is therefore a function of its name and of the number
  of shards alone (`shard_of`), and that number only changes when the fleet crosses a multiple of
  `CLUSTERS_PER_SECRET`; see `remote_secrets` for the order that keeps that move to a moment, and
  `retired_remote_secret` for the move from one Secret per pair.
The `networking.istio.io/cluster` annotation istioctl writes names one cluster and is read by nobody
but istioctl, so these Secrets have none.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import json
import math
from collections.abc import Mapping, Sequence
from typing import Any

import pulumi
import pulumi_kubernetes as k8s

from ... import naming
from ...clusters import Cluster
from ...k8s import ReaderCredentials
from . import values

READER_SERVICE_ACCOUNT = "istio-reader-service-account"
MULTICLUSTER_LABEL = "istio/multiCluster"
REMOTE_SECRETS = "istio-remote-secrets"
"""The first remote secret of a primary, its only one up to `CLUSTERS_PER_SECRET` peers (never
`istio-remote-secret-<x>`, istioctl's pattern, so it cannot collide with a secret istioctl wrote)."""
CLUSTERS_PER_SECRET = 100
"""Peers per remote secret, on average: a new Secret per 100 peers. Kubernetes refuses a Secret whose
data exceeds 1 MiB (`MAX_SECRET_BYTES`). A reader kubeconfig is about 3 KB (4 KB in base64, as the
Secret travels and is read back): 100 leave room for a shard that hashing fills above the average and
for kubeconfigs of twice the usual size (a CA bundle of two certificates during a cluster CA rotation)."""
MAX_SECRET_BYTES = 1024 * 1024
"""Kubernetes' limit on a Secret (`core.MaxSecretSize`, checked by the API server's ValidateSecret on the
data), held here against the Secret as JSON with base64 data, the largest form it takes."""


class RemoteSecretsError(pulumi.RunError):
    pass


def shard_count(peers: int, at_least: int = 1) -> int:
    """How many Secrets a primary with `peers` peers spreads them over: one per `CLUSTERS_PER_SECRET`."""
    return max(1, at_least, math.ceil(peers / CLUSTERS_PER_SECRET))


def shard_of(cluster: str, shards: int) -> int:
    """The shard that holds `cluster` among `shards`: jump consistent hashing (Lamping and Veach, "A Fast,
    Minimal Memory, Consistent Hash Algorithm", 2014) of the name. It depends on nothing else, so every
    primary puts a cluster in the same shard and adding or removing another cluster moves nothing; a
    shard more moves only the clusters that go to the new one (about 1/shards of them)."""
    key = int.from_bytes(hashlib.sha256(cluster.encode()).digest()[:8], "big")
    bucket, jump = -1, 0
    while jump < shards:  # about ln(shards) rounds
        bucket = jump
        key = (key * 2862933555777941757 + 1) % 2**64
        jump = int((bucket + 1) * (2**31 / ((key >> 33) + 1)))
    return bucket


def shard_name(index: int) -> str:
    return REMOTE_SECRETS if index == 0 else f"{REMOTE_SECRETS}-{index}"


def serialized_bytes(name: str, data: Mapping[str, str]) -> int:
    """The size of the Secret as the API server returns it: JSON, each value in base64, with the labels
    and the field list server-side apply records (a `f:<key>` per data key)."""
    encoded = {key: base64.b64encode(value.encode()).decode() for key, value in data.items()}
    managed = {"f:data": {f"f:{key}": {} for key in data}, "f:metadata": {"f:labels": {f"f:{MULTICLUSTER_LABEL}": {}}}}
    obj = {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {"name": name, "namespace": values.NAMESPACE, "labels": {MULTICLUSTER_LABEL: "true"}, "managedFields": [managed]},
        "type": "Opaque",
        "data": encoded,
    }
    return len(json.dumps(obj, separators=(",", ":")))


def reader_credentials(cluster: Cluster, generation: int, after: list[pulumi.Resource], opts: pulumi.ResourceOptions) -> ReaderCredentials:
    """The token of the cluster's reader account; the account comes from the base chart, its RBAC from istiod."""
    return ReaderCredentials(
        naming.child(cluster.spec.name, "istio-reader"),
        cluster,
        values.NAMESPACE,
        READER_SERVICE_ACCOUNT,
        generation,
        after,
        opts,
    )


def reader_kubeconfigs(readers: Mapping[str, ReaderCredentials]) -> pulumi.Output[dict[str, str]]:
    """Every read cluster's reader kubeconfig by cluster name, in one Output shared by all primaries
    (gathering the peers per primary would be N² Output operations for the SDK)."""
    if not readers:  # a lone primary: Output.all() of nothing is a list, not a dict
        return pulumi.Output.from_input({})
    return pulumi.Output.all(**{name: credentials.kubeconfig for name, credentials in readers.items()})


def remote_secrets(
    holder: str,
    peers: Sequence[str],
    kubeconfigs: pulumi.Output[dict[str, str]],
    deployed: pulumi.Output[frozenset[str]],
    at_least: int,
    after: Sequence[pulumi.Resource],
    opts: pulumi.ResourceOptions,
) -> list[k8s.core.v1.Secret]:
    """The Secrets through which `holder`'s istiod discovers the endpoints of its `peers`: one data key per
    peer, its reader kubeconfig from `kubeconfigs` (reader_kubeconfigs), in the shard `shard_of` gives it
    among `shard_count(len(peers), at_least)`.

    Each shard waits for the one before it: a cluster only ever moves into a new shard (the last), which
    is then written after the shard it leaves, so istiod drops it and registers it again within the
    `pulumi up` instead of ignoring it in the new shard and then losing it. The other way, fewer shards
    than the last deployment's (`deployed`: the clusters it ran Istio on) would move clusters out of a
    Secret that Pulumi deletes last, after their new shard was written and ignored: that is refused."""
    shards = shard_count(len(peers), at_least)
    members: list[list[str]] = [[] for _ in range(shards)]
    for peer in sorted(peers):
        members[shard_of(peer, shards)].append(peer)
    shrink = deployed.apply(lambda before: _refuse_fewer_shards(holder, before, shards, at_least))
    secrets: list[k8s.core.v1.Secret] = []
    for index, names in enumerate(members):
        name = shard_name(index)
        data = pulumi.Output.all(kubeconfigs, shrink).apply(functools.partial(_shard_data, holder, name, names, shards))
        secret = k8s.core.v1.Secret(
            naming.child(holder, "remote-secrets") if index == 0 else naming.child(holder, "remote-secrets", str(index)),
            metadata=k8s.meta.v1.ObjectMetaArgs(name=name, namespace=values.NAMESPACE, labels={MULTICLUSTER_LABEL: "true"}),
            type="Opaque",
            string_data=data,
            opts=pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(depends_on=[*after, *secrets[-1:]])),
        )
        secrets.append(secret)
    return secrets


def _refuse_fewer_shards(holder: str, deployed: frozenset[str], shards: int, at_least: int) -> None:
    if holder not in deployed:
        return  # a new primary: nothing of it to move
    before = shard_count(len(deployed - {holder}), at_least)
    if before > shards:
        raise RemoteSecretsError(
            f"meshfleet:mesh.istio.remoteSecretShards: with {shards} remote secret(s) instead of {before}, the clusters of "
            f"{shard_name(before - 1)!r} in {holder!r} would move to Secrets written before Pulumi deletes it, and istiod ignores a "
            f"cluster another Secret still holds: they would drop out of discovery for good; set mesh.istio.remoteSecretShards "
            f"to {before} to keep the {before} Secrets (an extra Secret costs nothing)"
        )


def _shard_data(holder: str, secret: str, names: Sequence[str], shards: int, inputs: list[Any]) -> dict[str, str]:
    by_cluster: Mapping[str, str] = inputs[0]  # inputs[1]: the shrink check, passed
    data = {name: by_cluster[name] for name in names}
    size = serialized_bytes(secret, data)
    if size > MAX_SECRET_BYTES:
        enough = math.ceil(shards * size / MAX_SECRET_BYTES) + 1  # one more for the unevenness of hashing
        raise RemoteSecretsError(
            f"meshfleet:mesh.istio.remoteSecretShards: the remote secret {secret!r} in {holder!r} would be {size:,} bytes with "
            f"its {len(data)} kubeconfigs, over Kubernetes' {MAX_SECRET_BYTES:,} for a Secret; spread the peers over more "
            f"Secrets: set mesh.istio.remoteSecretShards to {enough}"
        )
    return data


# --- migration from one remote secret per pair ----------------------------------------------------


def legacy_remote_secret_name(cluster: str) -> str:
    """What releases before the per-primary layout named the Secret through which a primary read `cluster`."""
    return f"istio-remote-secret-{cluster}"


def retired_remote_secret(holder: Cluster, observed: str, opts: pulumi.ResourceOptions) -> k8s.core.v1.Secret:
    """The per-pair Secret older releases made in `holder` for `observed`, at its old resource name,
    emptied and unlabelled (`mesh.istio.migrateRemoteSecrets`).

    istiod keys a cluster by the secret that registered it and ignores the same cluster in another
    secret, for good: had the per-primary Secret been written while the per-pair ones were still
    labelled, its keys would be ignored, and when Pulumi then deleted the per-pair Secrets (deletes come
    last in an update) every peer would drop out of discovery until something touched the new Secret.
    Updating these first makes istiod let go of each peer; the per-primary Secret, which waits for
    them, then registers every peer again within the same `pulumi up`. The peer's endpoints are away
    for that moment (one remote-cluster sync): istiod has no make-before-break across secrets. The next
    `pulumi up` without the setting deletes these, which istiod no longer watches.
    """
    return k8s.core.v1.Secret(
        naming.child(holder.spec.name, "remote-secret", observed),
        metadata=k8s.meta.v1.ObjectMetaArgs(name=legacy_remote_secret_name(observed), namespace=values.NAMESPACE),
        type="Opaque",
        opts=opts,
    )
