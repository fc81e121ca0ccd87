"""What the connect injector's `ExportedServices` webhook does with an object, in consul-k8s v2.0.3.

Written from hashicorp/consul-k8s at tag v2.0.3, `control-plane/api/v1alpha1/`:

- `exportedservices_webhook.go` `Handle` (lines 38-65): on CREATE it lists the ExportedServices of the
  cluster and refuses a second one (":53-57", "resource already defined - only one exportedservices entry
  is supported per Kubernetes cluster"), then runs `Validate` (":60-62"), on CREATE and UPDATE alike.
- `exportedservices_types.go` `Validate` (lines 205-226): the name must be `default` without admin
  partitions (":209-211"); at least one service (":212-214"); each service validated (":215-219").
- `ExportedService.validate` (lines 228-242): "service must have at least 1 consumer." (":230-232"); a
  service namespace needs Consul namespaces (":233-235"); each consumer validated (":236-240").
- `ServiceConsumer.validate` (lines 244-275): exactly one of peer, partition, sameness group (":245-261");
  partitions need admin partitions (":262-264"); no wildcard peer, partition or sameness group (":265-273").

The free edition runs without partitions and namespaces (`ConsulMeta` all false), which is what meshfleet
deploys. The model answers one question: would the webhook (failurePolicy Fail) admit this object?
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

WILDCARD = "*"


def consumer_problems(path: str, consumer: Mapping[str, Any]) -> list[str]:
    """`ServiceConsumer.validate`: it returns the first problem only (a *field.Error, not a list)."""
    given = [key for key in ("partition", "peer", "samenessGroup") if consumer.get(key)]
    if len(given) > 1:
        return [f"{path}: service consumer must define at most one of Peer, Partition, or SamenessGroup"]
    if not given:
        return [f"{path}: service consumer must define at least one of Peer, Partition, or SamenessGroup"]
    if consumer.get("partition"):
        return [f"{path}.partition: Consul Admin Partitions need to be enabled to specify partition."]
    if consumer.get("peer") == WILDCARD:
        return [f"{path}.peer: exporting to all peers (wildcard) is not supported"]
    if consumer.get("samenessGroup") == WILDCARD:
        return [f"{path}.samenessgroup: exporting to all sameness groups (wildcard) is not supported"]
    return []


def validate(name: str, spec: Mapping[str, Any]) -> list[str]:
    """`ExportedServices.Validate` without partitions or namespaces: every problem, in upstream's order."""
    problems = []
    if name != "default":
        problems.append('name: ExportedServices resource name must be "default"')
    services: Sequence[Mapping[str, Any]] = spec.get("services") or []
    if not services:
        problems.append("spec.services: at least one service must be exported")
    for i, service in enumerate(services):
        path = f"spec.services[{i}]"
        consumers: Sequence[Mapping[str, Any]] = service.get("consumers") or []
        if not consumers:
            problems.append(f"{path}: service must have at least 1 consumer.")
        if service.get("namespace"):
            problems.append(f"{path}: Consul Namespaces must be enabled to specify service namespace.")
        for j, consumer in enumerate(consumers):
            problems += consumer_problems(f"{path}.consumers[{j}]", consumer)
    return problems


def admit(existing: int, name: str, spec: Mapping[str, Any]) -> list[str]:
    """`Handle` for a CREATE, with `existing` ExportedServices already in the cluster: [] when admitted."""
    if existing:
        return ["ExportedServices resource already defined - only one exportedservices entry is supported per Kubernetes cluster"]
    return validate(name, spec)
