"""What the recorder tells tests about URNs and aliases (components/simulation/recorder.py): the engine's
rules, so that a test of a moved resource proves what a real stack would do."""

from __future__ import annotations

from components.simulation import Recorded
from components.simulation.recorder import RecordedAlias, engine_urn

COMPONENT = "urn:pulumi:dev::meshfleet::meshfleet:fleet:Fleet$meshfleet:consul:Mesh::consul"


def moved(*aliases: RecordedAlias) -> Recorded:
    return Recorded(
        urn=engine_urn(COMPONENT, "kubernetes:core/v1:Secret", "token", "dev", "meshfleet"),
        type="kubernetes:core/v1:Secret",
        name="token",
        custom=True,
        read=False,
        parent=COMPONENT,
        provider="",
        dependencies=(),
        property_dependencies={},
        inputs={},
        aliases=aliases,
    )


def test_a_childs_urn_names_every_ancestors_type_but_not_the_root_stack() -> None:
    assert moved().urn == "urn:pulumi:dev::meshfleet::meshfleet:fleet:Fleet$meshfleet:consul:Mesh$kubernetes:core/v1:Secret::token"
    stack = "urn:pulumi:dev::meshfleet::pulumi:pulumi:Stack::meshfleet-dev"
    assert (
        engine_urn(stack, "meshfleet:fleet:Fleet", "meshfleet", "dev", "meshfleet")
        == "urn:pulumi:dev::meshfleet::meshfleet:fleet:Fleet::meshfleet"
    )


def test_an_alias_spec_takes_what_it_leaves_empty_from_the_resource_as_it_is_now() -> None:
    old_parent = "urn:pulumi:dev::meshfleet::meshfleet:fleet:Fleet$meshfleet:consul:Mesh$meshfleet:consul:Peering::a-peering-b"
    assert moved(
        RecordedAlias(urn="urn:pulumi:dev::meshfleet::kubernetes:core/v1:Secret::elsewhere"),
        RecordedAlias(parent_urn=old_parent),
        RecordedAlias(name="old-token"),
        RecordedAlias(no_parent=True),
    ).alias_urns() == [
        "urn:pulumi:dev::meshfleet::kubernetes:core/v1:Secret::elsewhere",
        "urn:pulumi:dev::meshfleet::meshfleet:fleet:Fleet$meshfleet:consul:Mesh$meshfleet:consul:Peering$kubernetes:core/v1:Secret::token",
        "urn:pulumi:dev::meshfleet::meshfleet:fleet:Fleet$meshfleet:consul:Mesh$kubernetes:core/v1:Secret::old-token",
        "urn:pulumi:dev::meshfleet::kubernetes:core/v1:Secret::token",
    ]
