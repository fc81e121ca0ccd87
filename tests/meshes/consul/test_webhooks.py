"""What the connect injector's webhooks admit of the fleet's objects (tests/meshes/consul/webhook_model.py)."""

from __future__ import annotations

from components.simulation import Recorded, Simulation, simulate
from tests.meshes.consul import webhook_model
from tests.support import CONSUL, raw_config

API = "kubernetes:consul.hashicorp.com/v1alpha1"


def custom_resources(sim: Simulation, kind: str) -> list[Recorded]:
    return [r for r in sim.resources if r.type == f"{API}:{kind}"]


def test_every_clusters_export_passes_the_webhook(consul: Simulation) -> None:
    exports = custom_resources(consul, "ExportedServices")
    assert len(exports) == 3
    for r in exports:
        # Each cluster's first and only one: the webhook counts the ExportedServices of its own cluster.
        assert webhook_model.admit(0, r.inputs["metadata"]["name"], r.inputs["spec"]) == [], r.name


def test_the_webhook_model_refuses_an_export_without_consumers() -> None:
    """Upstream's message for what the program wrote to a one-cluster fleet before this fix."""
    assert webhook_model.admit(0, "default", {"services": [{"name": "*", "consumers": []}]}) == [
        "spec.services[0]: service must have at least 1 consumer."
    ]
    assert webhook_model.admit(0, "default", {"services": [{"name": "*", "consumers": [{"peer": "*"}]}]}) == [
        "spec.services[0].consumers[0].peer: exporting to all peers (wildcard) is not supported"
    ]


def test_a_one_cluster_fleet_exports_nothing_and_every_consul_object_passes_its_webhook() -> None:
    clusters = raw_config(CONSUL)["clusters"][:1]
    mesh = raw_config(CONSUL)["mesh"]
    mesh.pop("locality")  # failover names regions of the clusters left out
    sim = simulate("consul", config_file=CONSUL, config={"meshfleet:clusters": clusters, "meshfleet:mesh": mesh})
    assert custom_resources(sim, "ExportedServices") == []
    assert custom_resources(sim, "PeeringAcceptor") == custom_resources(sim, "PeeringDialer") == []
    # The fleet's other objects still stand: mesh-wide entries and the wildcard intention with the local source only.
    [intentions] = custom_resources(sim, "ServiceIntentions")
    assert intentions.inputs["spec"]["sources"] == [{"name": "*", "action": "allow"}]
    assert [r.inputs["metadata"]["name"] for r in custom_resources(sim, "Mesh")] == ["mesh"]
