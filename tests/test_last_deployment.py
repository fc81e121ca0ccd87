"""The stack's own last outputs (components/last_deployment.py), read as the SDK's `StackReference.get_output`
reads them: the value of the key, secret when the stack reference names it secret."""

from __future__ import annotations

from typing import Any

import pulumi
from pulumi.runtime.sync_await import _sync_await

from components.last_deployment import LastDeployment
from components.simulation import run_program

OWN_STACK = "organization/meshfleet/test"
OUTPUTS = {
    "mesh": {"type": "linkerd"},
    "clusters": {"a": {"eastWestGatewayAddress": "10.0.0.1"}, "b": {"eastWestGatewayAddress": "10.0.0.2"}},
    "token": "s3cr3t",
}


def read(program_reads: dict[str, Any]) -> None:
    last = LastDeployment(pulumi.ResourceOptions())
    for key in ("mesh", "token", "missing"):
        output = last.output(key)
        assert last.output(key) is output, "one Output per key"
        program_reads[key] = (_sync_await(output.future()), _sync_await(output.is_secret()))
    program_reads["on_linkerd"] = _sync_await(last.clusters_on("linkerd").future())
    program_reads["on_istio"] = _sync_await(last.clusters_on("istio").future())
    program_reads["b"] = _sync_await(last.gateway_address("b", "linkerd").future())
    program_reads["b on istio"] = _sync_await(last.gateway_address("b", "istio").future())


def test_outputs_are_read_per_key_with_their_own_secretness() -> None:
    reads: dict[str, Any] = {}
    run_program(lambda: read(reads), stack_outputs={OWN_STACK: OUTPUTS}, secret_stack_outputs={OWN_STACK: ["token"]})
    assert reads["mesh"] == ({"type": "linkerd"}, False)
    assert reads["token"] == ("s3cr3t", True)
    assert reads["missing"] == (None, False)
    assert reads["on_linkerd"] == frozenset({"a", "b"}) and reads["on_istio"] == frozenset()
    assert reads["b"] == "10.0.0.2" and reads["b on istio"] is None


def test_a_first_deployment_has_no_outputs() -> None:
    reads: dict[str, Any] = {}
    run_program(lambda: read(reads))
    assert reads["mesh"] == (None, False) and reads["token"] == (None, False)
    assert reads["on_linkerd"] == frozenset() and reads["b"] is None
