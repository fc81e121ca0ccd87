"""The simulation's record of what the program sent: read from the wire format, whenever it is read."""

from __future__ import annotations

from google.protobuf import struct_pb2
from pulumi.runtime.rpc import UNKNOWN

from components.simulation.recorder import SECRET_SIG, SIG_KEY, sent_properties


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
