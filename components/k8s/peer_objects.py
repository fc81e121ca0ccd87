"""The objects one cluster holds for each of its peers, registered by the Kubernetes provider as one group.

Where upstream needs an object per pair of clusters (Linkerd's Links and their credentials, Consul's
acceptors, dialers and their tokens), a fleet of N clusters holds about N² of them: 20,000 to 30,000 at
100 clusters. Each one the program registers costs the SDK some 1.5 ms of CPU, so the program would
spend most of its time on them. A `kubernetes:yaml/v2:ConfigGroup` per cluster hands them to the provider, which registers each
object as a resource of its own (pulumi-kubernetes provider/pkg/provider/yaml/v2/configgroup.go):

- each object is still a resource of the stack, named `<group>:<namespace>/<name>`: a step of `pulumi up`,
  awaited like any other, seen by the policy pack, its Secret data a Pulumi secret;
- a resource that depends on the group waits for every object in it (the provider's Construct returns
  once its children exist), and the group waits for what the objects need (`after`);
- an object that needs another of the group first names it in `config.kubernetes.io/depends-on`;
- while any object's input is unknown (a preview of new peers or new tokens), the provider registers none
  of the group's objects and warns that the preview is incomplete: `pulumi up` creates them.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pulumi
import pulumi_kubernetes as k8s

DEPENDS_ON = "config.kubernetes.io/depends-on"


def object_ref(api_version: str, kind: str, namespace: str, name: str) -> str:
    """How `config.kubernetes.io/depends-on` names a namespaced object: `<group>/namespaces/<ns>/<kind>/<name>`,
    with an empty group for core objects."""
    group = api_version.rpartition("/")[0]
    return f"{group}/namespaces/{namespace}/{kind}/{name}"


def depends_on(*refs: str) -> dict[str, str]:
    """The annotation that makes the provider create an object after others of its group (`object_ref`)."""
    return {DEPENDS_ON: ",".join(refs)}


def peer_objects(
    name: str, objs: Sequence[pulumi.Input[dict[str, Any]]], after: Sequence[pulumi.Resource], opts: pulumi.ResourceOptions
) -> k8s.yaml.v2.ConfigGroup:
    """One group of a cluster's objects for its peers; `opts` carries the cluster's parent and provider."""
    return k8s.yaml.v2.ConfigGroup(
        name,
        objs=list(objs),
        opts=pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(depends_on=list(after))),
    )
