"""The benchmark's floor for a fleet (`tests/benchmark_fleet.py` `replay_program`) is only a floor for that
fleet if it registers exactly what the fleet does: same resources, classes' inputs, secrets, parents,
providers and dependencies. Its figure is then what the SDK alone costs for them."""

from __future__ import annotations

import json

import pytest

from components.simulation import run_program, simulate
from tests.benchmark_fleet import fleet_config, replay_program, typed_classes


def _wire(value: object) -> str:
    return json.dumps(value, sort_keys=True, default=str)


def _provider_config(value: object) -> object:
    """A provider's config as the engine reads it: the SDK's provider classes send each value JSON-encoded,
    and the replay encodes the recorded (already encoded) value once more."""
    return json.loads(value) if isinstance(value, str) and value.startswith('"') else value


@pytest.mark.parametrize("mesh_type", ["istio", "linkerd", "consul"])
def test_the_replay_registers_what_the_fleet_registers(mesh_type: str) -> None:
    fleet = simulate("prod", config=fleet_config(mesh_type, 3))
    replay = run_program(lambda: replay_program(fleet.resources, typed_classes()), stack="prod")
    # Each registration completes when the SDK has awaited its inputs: the order may differ, not the set.
    again_by_urn = {r.urn: r for r in replay.resources}
    assert sorted(again_by_urn) == sorted(r.urn for r in fleet.resources)
    for made in fleet.resources:
        again = again_by_urn[made.urn]
        inputs = again.inputs
        if again.type.startswith("pulumi:providers:"):
            inputs = {key: _provider_config(value) for key, value in inputs.items()}
        assert _wire(inputs) == _wire(made.inputs), made.urn
        assert again.secret_inputs == made.secret_inputs, made.urn
        assert (again.parent, again.provider, again.custom, again.read) == (made.parent, made.provider, made.custom, made.read)
        if made.read:  # a read names what it reads; a created resource's id is the provider's (a new key's hash)
            assert again.id == made.id
        assert again.all_dependencies == made.all_dependencies, made.urn
