"""Linkerd's HA replicas against the nodes a created cluster guarantees (components/meshes/linkerd/settings.py),
through a model of the scheduler's required pod anti-affinity (tests/meshes/scheduler_model.py)."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from components.config import RawConfig
from components.fleet import validate_fleet
from components.meshes.linkerd import values
from components.simulation import Simulation
from tests.meshes.helpers import release
from tests.meshes.scheduler_model import linkerd_pods, nodes, schedule
from tests.support import LINKERD, FakeEnvironment, problems_of, raw_config

SPREAD = (
    "Linkerd's HA values put each replica on its own node (required pod anti-affinity on kubernetes.io/hostname, "
    "charts/partials/templates/_affinity.tpl), so replicas beyond the node count stay Pending"
)


def pending(control_plane: dict[str, Any], multicluster: dict[str, Any], node_count: int) -> list[str]:
    return [pod.name for pod in schedule(linkerd_pods(control_plane, multicluster), nodes(node_count))]


def test_the_example_fleet_schedules_on_the_nodes_its_pools_guarantee(linkerd: Simulation) -> None:
    for cluster in ("eks-use1", "eks-euc1", "gke-usc1"):
        control_plane = release(linkerd, cluster, "linkerd-control-plane").inputs["values"]
        multicluster = release(linkerd, cluster, "linkerd-multicluster").inputs["values"]
        assert (control_plane["controllerReplicas"], multicluster["gateway"]["replicas"]) == (3, 2)
        assert pending(control_plane, multicluster, 3) == []
        # The model is not vacuous: one node fewer than the replicas leaves one of each component Pending.
        assert pending(control_plane, multicluster, 2) == ["linkerd-destination-2", "linkerd-identity-2", "linkerd-proxy-injector-2"]


def test_replicas_up_to_the_pool_minimum_all_schedule_and_one_more_would_not() -> None:
    spec, _ = validate_fleet(RawConfig(**raw_config(LINKERD)), FakeEnvironment())
    cluster = spec.clusters["eks-use1"]
    at_minimum = replace(spec.mesh, control_plane_replicas=3)
    above = replace(spec.mesh, control_plane_replicas=4)
    gateway_above = replace(cluster, gateway=replace(cluster.gateway, replicas=4))
    multicluster = values.multicluster_values(spec.mesh, cluster, None, [])
    assert pending(values.control_plane_values(at_minimum, "anchors"), multicluster, 3) == []
    assert pending(values.control_plane_values(above, "anchors"), multicluster, 3) == [
        "linkerd-destination-3",
        "linkerd-identity-3",
        "linkerd-proxy-injector-3",
    ]
    wide_gateway = values.multicluster_values(spec.mesh, gateway_above, None, [])
    assert pending(values.control_plane_values(at_minimum, "anchors"), wide_gateway, 3) == ["linkerd-gateway-3"]
    # Without the anti-affinity (one replica: values.py leaves it off) any node count takes the pods.
    single = values.control_plane_values(replace(spec.mesh, control_plane_replicas=1), "anchors")
    assert "enablePodAntiAffinity" not in single
    assert pending(single, {"gateway": {"replicas": 1}}, 1) == []


def test_fails_control_plane_replicas_above_a_created_pool_minimum() -> None:
    raw = raw_config(LINKERD)
    raw["mesh"]["controlPlane"]["replicas"] = 4
    raw["clusters"][2]["create"]["nodes"]["minSize"] = 4
    assert problems_of(raw) == [
        f"meshfleet:mesh.controlPlane.replicas: 4 replicas of each control-plane component cannot all run in cluster '{name}', "
        f"whose node pool guarantees 3 nodes (meshfleet:clusters[{i}] ({name}).create.nodes.minSize): {SPREAD}; use at most 3 replicas, "
        "or raise minSize"
        for i, name in enumerate(("eks-use1", "eks-euc1"))
    ]


def test_fails_gateway_replicas_above_a_created_pool_minimum() -> None:
    raw = raw_config(LINKERD)
    raw["clusters"][1]["gateway"] = {"replicas": 4}
    assert problems_of(raw) == [
        f"meshfleet:clusters[1] (eks-euc1).gateway.replicas: 4 multicluster gateway replicas cannot all run in cluster 'eks-euc1', whose node "
        f"pool guarantees 3 nodes (meshfleet:clusters[1] (eks-euc1).create.nodes.minSize): {SPREAD}; use at most 3 replicas "
        "(meshfleet:gateway.replicas or the cluster's own gateway.replicas), or raise minSize"
    ]
