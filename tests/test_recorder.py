"""The simulation's record of what the program sent: read from the wire format, whenever it is read."""

from __future__ import annotations

from google.protobuf import struct_pb2
from pulumi.runtime.rpc import UNKNOWN

from components.simulation import Recorded
from components.simulation.recorder import SECRET_SIG, SIG_KEY, RecordedAlias, engine_urn, sent_properties


def test_sent_properties_read_secrets_unknowns_and_numbers_as_the_engine_holds_them() -> None:
    struct = struct_pb2.Struct()
    struct.update(
        {
            "data": {SIG_KEY: SECRET_SIG, "value": UNKNOWN},
            "stringData": {SIG_KEY: SECRET_SIG, "value": {"token": "s3cr3t"}},
            "spec": {"replicas": 3.0, "ratio": 0.5, "ports": [{"port": 15443.0, "open": True}], "note": None},
            "gone": None,
        }
    )
    assert sent_properties(struct) == {
        "data": UNKNOWN,
        "stringData": {"token": "s3cr3t"},
        "spec": {"replicas": 3, "ratio": 0.5, "ports": [{"port": 15443, "open": True}]},
    }


# URNs and aliases follow the engine's rules, so that a test of a moved resource proves what a real
# stack would do.

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
        sent=b"",
        state={},
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
