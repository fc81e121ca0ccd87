"""A preview of a deployed linkerd fleet against its last deployment lists exactly what `pulumi up` does
(tests/preview_support.py), for each change an operator makes, at 3 and at 30 clusters."""

from __future__ import annotations

import pytest

from components.simulation.state import CREATE, DELETE, SAME, Deployment
from tests import preview_support as fleet

CHANGES = [
    fleet.nothing,
    fleet.add_a_cluster,
    fleet.remove_a_cluster,
    fleet.add_the_next_root,
    fleet.sign_with_the_next_root,
    fleet.token_generation("readerTokenGeneration"),
]
SIZES = [3, 30]


@pytest.fixture(scope="module", params=SIZES, ids=[f"{n}-clusters" for n in SIZES])
def deployed(request: pytest.FixtureRequest) -> tuple[fleet.Config, Deployment]:
    config = fleet.deployed_fleet("linkerd", request.param)
    return config, fleet.first_up(config)


@pytest.mark.parametrize("change", CHANGES, ids=[c.__name__ for c in CHANGES])
def test_the_preview_lists_exactly_what_up_does(deployed: tuple[fleet.Config, Deployment], change: fleet.Change) -> None:
    config, last = deployed
    outcome = fleet.preview_and_up(last, change(config))
    fleet.assert_preview_is_the_up(outcome)
    if change is fleet.nothing:
        assert set(outcome.planned().values()) == {SAME}
    if change is fleet.add_a_cluster:
        # Only the new cluster's objects and its peers' allow-lists change: nothing of the others is recreated.
        assert DELETE not in outcome.planned().values()
        assert outcome.changes() and all(op != "replace" for op in outcome.changes().values())
        assert {op for op in outcome.planned().values()} >= {CREATE}
