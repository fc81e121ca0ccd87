"""The simulation's record of what the program sent: read from the wire format, whenever it is read."""

from __future__ import annotations

from google.protobuf import struct_pb2
from pulumi.runtime.rpc import UNKNOWN

from components.simulation.recorder import SECRET_SIG, SIG_KEY, engine_urn, sent_properties, wire_struct


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


# URNs follow the engine's rules: what a stack's state, `pulumi state` commands and aliases name.

COMPONENT = "urn:pulumi:dev::meshfleet::meshfleet:fleet:Fleet$meshfleet:consul:Mesh::consul"


def test_a_childs_urn_names_every_ancestors_type_but_not_the_root_stack() -> None:
    assert (
        engine_urn(COMPONENT, "kubernetes:core/v1:Secret", "token", "dev", "meshfleet")
        == "urn:pulumi:dev::meshfleet::meshfleet:fleet:Fleet$meshfleet:consul:Mesh$kubernetes:core/v1:Secret::token"
    )
    stack = "urn:pulumi:dev::meshfleet::pulumi:pulumi:Stack::meshfleet-dev"
    assert (
        engine_urn(stack, "meshfleet:fleet:Fleet", "meshfleet", "dev", "meshfleet")
        == "urn:pulumi:dev::meshfleet::meshfleet:fleet:Fleet::meshfleet"
    )


def test_state_goes_back_as_the_engine_sends_it_without_the_properties_that_are_none() -> None:
    struct = wire_struct({"id": "abc", "status": None, "spec": {"replicas": 3, "selector": None, "ports": [15443]}})
    assert sent_properties(struct) == {"id": "abc", "spec": {"replicas": 3, "ports": [15443]}}
    assert "status" not in struct.fields
