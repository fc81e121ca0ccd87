"""A preview is a promise: for a change of a deployed fleet, what the simulated `pulumi preview` lists against
the last deployment must be exactly what the simulated `pulumi up` of the same change does
(components/simulation/state.py models the engine's steps). Shared by each mesh's
`test_preview_against_state.py`."""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest

from components.simulation import Simulation, simulate
from components.simulation.state import CREATE, DELETE, READ, REPLACE, SAME, Deployment
from tests.benchmark_fleet import fleet_config

Config = dict[str, Any]
Change = Callable[[Config], Config]

ROOT = {"name": "root-2026"}
NEXT_ROOT = {"name": "root-2027"}


def deployed_fleet(mesh_type: str, clusters: int) -> Config:
    config = fleet_config(mesh_type, clusters)
    config["meshfleet:trust"] = {"protectRoots": False, "roots": [ROOT]}
    return config


def _edit(config: Config, key: str, path: list[str], value: Any) -> Config:
    changed = copy.deepcopy(config)
    block = changed[key]
    for part in path[:-1]:
        block = block.setdefault(part, {})
    block[path[-1]] = value
    return changed


def nothing(config: Config) -> Config:
    return copy.deepcopy(config)


def add_a_cluster(config: Config) -> Config:
    mesh_type = config["meshfleet:mesh"]["type"]
    count = len(config["meshfleet:clusters"])
    changed = copy.deepcopy(config)
    changed["meshfleet:clusters"] = fleet_config(mesh_type, count + 1)["meshfleet:clusters"]
    return changed


def remove_a_cluster(config: Config) -> Config:
    changed = copy.deepcopy(config)
    changed["meshfleet:clusters"] = changed["meshfleet:clusters"][:-1]
    return changed


def add_the_next_root(config: Config) -> Config:
    """Root rotation, step 1 (docs/rotation.md): every cluster trusts both roots."""
    return _edit(config, "meshfleet:trust", ["roots"], [ROOT, NEXT_ROOT])


def sign_with_the_next_root(config: Config) -> Config:
    """Root rotation, step 2: the intermediates are re-issued under the new root."""
    return _edit(add_the_next_root(config), "meshfleet:trust", ["signingRoot"], NEXT_ROOT["name"])


def token_generation(setting: str) -> Change:
    def bump(config: Config) -> Config:
        mesh_type = config["meshfleet:mesh"]["type"]
        return _edit(config, "meshfleet:mesh", [mesh_type, setting], 2)

    bump.__name__ = f"bump_{setting}"
    return bump


@dataclass
class Outcome:
    preview: Simulation
    up: Simulation

    def planned(self) -> dict[str, str]:
        """The preview's steps, reads left out (a preview skips the reads whose ids it cannot know)."""
        return {urn: op for urn, op in self.preview.steps().items() if op != READ}

    def done(self) -> dict[str, str]:
        return {urn: op for urn, op in self.up.steps().items() if op != READ}

    def changes(self) -> dict[str, str]:
        return {urn: op for urn, op in self.done().items() if op != SAME}


STACK = "fleet"
"""A stack with no file of its own: all of its config is given."""


def first_up(config: Config) -> Deployment:
    return simulate(STACK, config=config).deployment()


def preview_and_up(last: Deployment, config: Config) -> Outcome:
    return Outcome(simulate(STACK, config=config, preview=True, previous=last), simulate(STACK, config=config, previous=last))


def assert_preview_is_the_up(outcome: Outcome) -> None:
    """Exactly the creates, updates, replaces and deletes `pulumi up` performs, and nothing it keeps shown as
    deleted or replaced."""
    planned, done = outcome.planned(), outcome.done()
    differ = {urn: (planned.get(urn), done.get(urn)) for urn in planned.keys() | done.keys() if planned.get(urn) != done.get(urn)}
    assert differ == {}, "\n".join(f"{urn.rsplit('::', 1)[-1]}: preview {p}, up {d}" for urn, (p, d) in sorted(differ.items())[:20])


# --- the test each mesh's module runs, for its MESH and its TOKEN_SETTING ---------------------------------

SIZES = [3, 30]
CHANGES = ["nothing", "add_a_cluster", "remove_a_cluster", "add_the_next_root", "sign_with_the_next_root", "token_generation"]


@pytest.fixture(scope="module", params=SIZES, ids=[f"{n}-clusters" for n in SIZES])
def deployed(request: pytest.FixtureRequest) -> tuple[Config, Deployment]:
    config = deployed_fleet(request.module.MESH, request.param)
    return config, first_up(config)


@pytest.mark.parametrize("change", CHANGES)
def test_the_preview_lists_exactly_what_up_does(request: pytest.FixtureRequest, deployed: tuple[Config, Deployment], change: str) -> None:
    config, last = deployed
    edit = token_generation(request.module.TOKEN_SETTING) if change == "token_generation" else globals()[change]
    outcome = preview_and_up(last, edit(config))
    assert_preview_is_the_up(outcome)
    if change == "nothing":
        assert set(outcome.planned().values()) == {SAME}
    if change == "add_a_cluster":
        # Only the new cluster's objects and its peers' allow-lists change: nothing of the others is recreated.
        assert DELETE not in outcome.planned().values()
        assert outcome.changes() and REPLACE not in outcome.changes().values()
        assert CREATE in outcome.planned().values()
