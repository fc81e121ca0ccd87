"""Whether a PersistentVolumeClaim binds, given the StorageClasses and volume provisioners a cluster has.

A model of two Kubernetes components, written from kubernetes/kubernetes source (no release tag of that
repository is stored here; the commits are the stored versions, whose logic for these paths has not changed
since):

- the `DefaultStorageClass` admission plugin, `plugin/pkg/admission/storage/storageclass/setdefault/
  admission.go` (commit 04791b4): on CREATE, a claim that names no class (`PersistentVolumeClaimHasClass`)
  gets the one class annotated `storageclass.kubernetes.io/is-default-class: "true"` (`Admit`,
  `getDefaultClass`); with no default class the claim is left without one, and with more than one the
  create is refused.
- the PersistentVolume controller, `pkg/controller/volume/persistentvolume/pv_controller.go` (commit
  0097adc): `syncUnboundClaim` binds a matching PV if one exists; otherwise a claim with a class goes to
  `provisionClaim`, and one without stays Pending with the event "no persistent volumes available for this
  claim and no storage class is set". `findProvisionablePlugin` looks the class up (a missing class is an
  error: the claim stays Pending, event ProvisioningFailed `storageclass.storage.k8s.io "<name>" not found`)
  and, for a provisioner outside `kubernetes.io/`, leaves the claim to that external provisioner, which
  creates the volume if it runs and never does otherwise (Pending, "waiting for a volume to be created,
  either by external provisioner ...").

Not read in source here, from Kubernetes' documentation: the in-tree `kubernetes.io/aws-ebs` provisioner is
migrated to the `ebs.csi.aws.com` CSI driver (CSIMigrationAWS, GA in 1.25, in-tree code removed in 1.27), so
it too needs that driver running; and `WaitForFirstConsumer` only delays provisioning until the scheduler
has placed the claim's pod (the outcome once it has is the same).

The model answers one question for a claim that no pre-made PV matches (meshfleet's clusters have none):
does it bind, and if not, why not.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

MIGRATED_IN_TREE = {"kubernetes.io/aws-ebs": "ebs.csi.aws.com", "kubernetes.io/gce-pd": "pd.csi.storage.gke.io"}


@dataclass(frozen=True)
class StorageClass:
    name: str
    provisioner: str
    default: bool = False


@dataclass(frozen=True)
class ClusterStorage:
    """What a cluster has: its StorageClasses and the provisioners actually running (CSI controllers)."""

    classes: Sequence[StorageClass] = ()
    provisioners: frozenset[str] = field(default_factory=frozenset)


@dataclass(frozen=True)
class Outcome:
    bound: bool
    reason: str


def admit(claim_spec: Mapping[str, Any], cluster: ClusterStorage) -> dict[str, Any]:
    """`DefaultStorageClass`: the claim's spec as stored."""
    if claim_spec.get("storageClassName") is not None:
        return dict(claim_spec)
    defaults = [c for c in cluster.classes if c.default]
    if len(defaults) > 1:
        raise ValueError(f"{len(defaults)} default StorageClasses were found")
    return {**claim_spec, "storageClassName": defaults[0].name} if defaults else dict(claim_spec)


def bind(claim_spec: Mapping[str, Any], cluster: ClusterStorage) -> Outcome:
    """The PV controller's fate for an admitted claim that no existing PV matches."""
    class_name = admit(claim_spec, cluster).get("storageClassName")
    if not class_name:
        return Outcome(False, "no persistent volumes available for this claim and no storage class is set")
    found = [c for c in cluster.classes if c.name == class_name]
    if not found:
        return Outcome(False, f'storageclass.storage.k8s.io "{class_name}" not found')
    provisioner = MIGRATED_IN_TREE.get(found[0].provisioner, found[0].provisioner)
    if provisioner not in cluster.provisioners:
        return Outcome(False, f'waiting for a volume to be created, either by external provisioner "{provisioner}"')
    return Outcome(True, f"provisioned by {provisioner}")
