"""A preview with one cluster unreachable (components/simulation/mocks.py models the Kubernetes provider:
its resources warn and are previewed from their inputs, reads fail unless their provider has
`skipUpdateUnreachable`): a warning naming the cluster, not the failure of the rest of the fleet."""

from __future__ import annotations

import functools

import pytest
from pulumi.runtime.rpc import UNKNOWN

from components.simulation import ProgramFailed, simulate
from components.simulation.plan import build_plan, render_plan
from components.simulation.state import SAME, UPDATE, Deployment
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


def test_consul_previews_an_accepting_cluster_that_is_unreachable() -> None:
    """The tokens the cluster issued are read through its `skipUpdateUnreachable` provider (clusters/base.py
    `kubernetes_providers`): each read comes back empty, so the token is unknown and only its copy and dialer
    in the dialing cluster show as updates; the rest of the fleet is unchanged."""
    config, last = deployed("consul")
    acceptor = "eks-00"
    sim = simulate(fleet.STACK, config=config, preview=True, previous=last, unreachable=frozenset({acceptor}))
    assert set(sim.unreachable) == {acceptor}
    reads = [r for r in sim.resources if r.read and r.name.startswith(f"{acceptor}-peering-token-")]
    dialers = sorted(c["name"] for c in config["meshfleet:clusters"] if c["name"] > acceptor)
    assert sorted(r.name for r in reads) == [f"{acceptor}-peering-token-{d}" for d in dialers]
    assert all(r.provider == sim.named(f"{acceptor}-k8s-reads").urn for r in reads)
    changed = {urn.rsplit("::", 1)[-1]: op for urn, op in sim.steps().items() if op not in (SAME, "read")}
    assert changed == {
        **{f"{d}-peering-token-copy-{acceptor}": UPDATE for d in dialers},
        **{f"{d}-peering-dialer-{acceptor}": UPDATE for d in dialers},
    }
    for d in dialers:
        assert sim.named(f"{d}-peering-token-copy-{acceptor}").inputs["data"] == UNKNOWN


def test_consul_up_refuses_an_accepting_cluster_that_is_unreachable() -> None:
    config, last = deployed("consul")
    with pytest.raises(ProgramFailed, match="configured Kubernetes cluster is unreachable \\(cluster 'eks-00'\\)"):
        simulate(fleet.STACK, config=config, previous=last, unreachable=frozenset({"eks-00"}))
