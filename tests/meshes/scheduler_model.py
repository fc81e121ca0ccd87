"""Whether replicas with required pod anti-affinity can all be placed on a cluster's nodes: a model of the
Kubernetes scheduler's InterPodAffinity filter, and of the pods Linkerd edge-26.8.3's charts render.

The filter, as kubernetes/kubernetes has it (pkg/scheduler/framework/plugins/interpodaffinity/filtering.go,
read at commit 53f1b9d6f8de259644c05a25aa7ac8c6a67258e2; the logic is unchanged in the 1.31 to 1.35 lines the
meshes support):
- `satisfyPodAntiAffinity`: for each required anti-affinity term of the incoming pod, if the node carries the
  term's topology key, the node fails when a pod matching the term's selector already runs in the same
  topology domain (a node with the same value of that label); a node without the label passes the term;
- `satisfyExistingPodsAntiAffinity`: the node also fails when a pod already in its domain has a required
  anti-affinity term the incoming pod matches;
- a term with neither `namespaces` nor `namespaceSelector` selects pods of the incoming pod's namespace.
A pod no node passes stays Pending (`Filter` returns Unschedulable); the cluster autoscaler adds a node
only up to the node pool's maximum, and never below it is anything guaranteed but the pool's minimum.

Which pods Linkerd renders (charts/partials/templates/_affinity.tpl at edge-26.8.3): with
`enablePodAntiAffinity`, a required term on `kubernetes.io/hostname` selecting `<label> In [<component>]`, the
label defaulting to `linkerd.io/control-plane-component`; the control plane's destination, identity and
proxy-injector Deployments run `controllerReplicas` each, labelled with their component (destination.yaml:182,
identity.yaml:155, proxy-injector.yaml:62); the multicluster gateway runs `gateway.replicas` pods labelled
`app: <gateway.name>` and sets the term's label to `app` (multicluster gateway.yaml:45-47).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

HOSTNAME = "kubernetes.io/hostname"
"""Set on every node by its kubelet."""
CONTROL_PLANE_LABEL = "linkerd.io/control-plane-component"
CONTROL_PLANE_COMPONENTS = ("destination", "identity", "proxy-injector")


@dataclass(frozen=True)
class Term:
    """A required anti-affinity term: `key In values` over pods of the pod's namespace, per topology domain."""

    key: str
    values: tuple[str, ...]
    topology_key: str

    def selects(self, pod: Pod) -> bool:
        return pod.labels.get(self.key) in self.values


@dataclass(frozen=True)
class Pod:
    name: str
    namespace: str
    labels: Mapping[str, str]
    anti_affinity: tuple[Term, ...] = ()


@dataclass
class Node:
    name: str
    labels: dict[str, str]
    pods: list[Pod] = field(default_factory=list)


def _same_domain(a: Node, b: Node, key: str) -> bool:
    return key in a.labels and a.labels[key] == b.labels.get(key)


def passes(pod: Pod, node: Node, nodes: Sequence[Node]) -> bool:
    """InterPodAffinity's Filter for one node (anti-affinity only: Linkerd renders no required affinity)."""
    for term in pod.anti_affinity:  # satisfyPodAntiAffinity
        if term.topology_key not in node.labels:
            continue
        domain = [n for n in nodes if _same_domain(n, node, term.topology_key)]
        if any(other.namespace == pod.namespace and term.selects(other) for n in domain for other in n.pods):
            return False
    for other_node in nodes:  # satisfyExistingPodsAntiAffinity
        for other in other_node.pods:
            for term in other.anti_affinity:
                if other.namespace == pod.namespace and term.selects(pod) and _same_domain(other_node, node, term.topology_key):
                    return False
    return True


def schedule(pods: Sequence[Pod], nodes: Sequence[Node]) -> list[Pod]:
    """Places the pods one by one on a node that passes the filter; returns those left Pending. With terms on
    the hostname, which node a pod takes does not change how many fit, so the first passing node is taken."""
    pending = []
    for pod in pods:
        node = next((n for n in nodes if passes(pod, n, nodes)), None)
        if node is None:
            pending.append(pod)
        else:
            node.pods.append(pod)
    return pending


def nodes(count: int, zones: Sequence[str] = ("a", "b", "c")) -> list[Node]:
    return [Node(f"node-{i}", {HOSTNAME: f"node-{i}", "topology.kubernetes.io/zone": zones[i % len(zones)]}) for i in range(count)]


def _replicas(
    deployment: str, namespace: str, replicas: int, labels: Mapping[str, str], spread: bool, key: str, component: str
) -> list[Pod]:
    terms = (Term(key, (component,), HOSTNAME),) if spread else ()
    return [Pod(f"{deployment}-{i}", namespace, dict(labels), terms) for i in range(replicas)]


def linkerd_pods(control_plane: Mapping[str, Any], multicluster: Mapping[str, Any]) -> list[Pod]:
    """The control plane's and the gateway's pods as the charts render them from these release values."""
    pods: list[Pod] = []
    spread = bool(control_plane.get("enablePodAntiAffinity"))
    for component in CONTROL_PLANE_COMPONENTS:
        replicas = int(control_plane.get("controllerReplicas", 1))
        labels = {CONTROL_PLANE_LABEL: component}
        pods += _replicas(f"linkerd-{component}", "linkerd", replicas, labels, spread, CONTROL_PLANE_LABEL, component)
    gateway = multicluster.get("gateway") or {}
    name = str(gateway.get("name", "linkerd-gateway"))
    replicas = int(gateway.get("replicas", 1))
    pods += _replicas(name, "linkerd-multicluster", replicas, {"app": name}, bool(multicluster.get("enablePodAntiAffinity")), "app", name)
    return pods
