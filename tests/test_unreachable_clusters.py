"""A preview with one cluster unreachable (components/simulation/mocks.py models the Kubernetes provider:
its resources warn and are previewed from their inputs, reads fail): a warning naming the cluster, not
the failure of the rest of the fleet."""

from __future__ import annotations

import functools

import pytest

from components.simulation import ProgramFailed, simulate
from components.simulation.plan import build_plan, render_plan
from components.simulation.state import SAME, Deployment
from tests import preview_support as fleet

UNREACHABLE = "gke-02"


@functools.cache
def deployed(mesh_type: str) -> tuple[fleet.Config, Deployment]:
    config = fleet.deployed_fleet(mesh_type, 3)
    return config, fleet.first_up(config)


@pytest.mark.parametrize("mesh_type", ["istio", "linkerd"])
def test_an_unreachable_cluster_is_a_warning_naming_it(mesh_type: str) -> None:
    config, last = deployed(mesh_type)
    sim = simulate(fleet.STACK, config=config, preview=True, previous=last, unreachable=frozenset({UNREACHABLE}))
    assert set(sim.unreachable) == {UNREACHABLE}
    assert all(name.split(" ")[1].startswith(UNREACHABLE) for name in sim.unreachable[UNREACHABLE])
    assert {op for urn, op in sim.steps().items() if op != "read"} == {SAME}
    lines = render_plan(build_plan(sim, list(sim.exports["clusters"]), last), sim.exports["clusters"])
    assert lines[-1] == (
        f"warning: cluster {UNREACHABLE} is unreachable: the Kubernetes provider previews its "
        f"{len(sim.unreachable[UNREACHABLE])} resources from their inputs alone and warns for each; `pulumi up` needs it reachable"
    )


def test_consul_previews_a_dialing_cluster_that_is_unreachable() -> None:
    """The cluster whose name sorts last only dials: nothing of it is read in a preview."""
    config, last = deployed("consul")
    sim = simulate(fleet.STACK, config=config, preview=True, previous=last, unreachable=frozenset({UNREACHABLE}))
    assert set(sim.unreachable) == {UNREACHABLE}


def test_consul_cannot_preview_an_accepting_cluster_that_is_unreachable() -> None:
    """A limit, stated in docs/consul.md: a preview reads each kept peering's token from the accepting cluster (so
    that the copy shows as kept), and the provider fails a read of an unreachable cluster."""
    config, last = deployed("consul")
    with pytest.raises(ProgramFailed, match="failed to read resource state due to unreachable cluster \\(cluster 'eks-00'\\)"):
        simulate(fleet.STACK, config=config, preview=True, previous=last, unreachable=frozenset({"eks-00"}))
