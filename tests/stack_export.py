"""What `pulumi stack export` writes for a stack after a `pulumi up`, made from a simulated one: the file
`meshfleet preview --state` and `meshfleet check --state` read (the shape of pulumi/pulumi
sdk/go/common/apitype `UntypedDeployment` version 3 and `ResourceV3`: urn, custom, id, type, inputs, outputs,
parent, provider `<urn>::<id>`, dependencies, external for reads; secrets as `{sig, ciphertext}`, or
`{sig, plaintext}` with `--show-secrets`)."""

from __future__ import annotations

import base64
import hashlib
import json
from typing import Any

from components.simulation import Simulation
from components.simulation.recorder import PropertyPath
from components.simulation.state import SECRET_SIG, SIG_KEY


def _secret(value: Any, show_secrets: bool) -> dict[str, str]:
    text = json.dumps(value)
    if show_secrets:
        return {SIG_KEY: SECRET_SIG, "plaintext": text}
    return {SIG_KEY: SECRET_SIG, "ciphertext": "v1:" + base64.b64encode(hashlib.sha256(text.encode()).digest()).decode()}


def _wrap(value: Any, path: PropertyPath, secrets: frozenset[PropertyPath], show_secrets: bool) -> Any:
    if path in secrets:
        return _secret(value, show_secrets)
    if isinstance(value, dict):
        return {k: _wrap(v, (*path, k), secrets, show_secrets) for k, v in value.items()}
    if isinstance(value, list):
        return [_wrap(v, (*path, i), secrets, show_secrets) for i, v in enumerate(value)]
    return value


def stack_export(sim: Simulation, *, show_secrets: bool = False) -> dict[str, Any]:
    first = sim.resources[0].urn.split("::")
    stack, project = first[0].removeprefix("urn:pulumi:"), first[1]
    stack_urn = f"urn:pulumi:{stack}::{project}::pulumi:pulumi:Stack::{project}-{stack}"
    ids = {r.urn: r.id for r in sim.resources}
    exports = {k: _wrap(v, (), frozenset({()} if k in sim.secret_exports else ()), show_secrets) for k, v in sim.exports.items()}
    resources: list[dict[str, Any]] = [{"urn": stack_urn, "custom": False, "type": "pulumi:pulumi:Stack", "outputs": exports}]
    for r in sim.resources:
        secret_outputs = r.secret_inputs | {(name,) for name in r.additional_secret_outputs}
        entry: dict[str, Any] = {
            "urn": r.urn,
            "custom": r.custom,
            "type": r.type,
            "inputs": _wrap(dict(r.inputs), (), r.secret_inputs, show_secrets),
            "outputs": _wrap(dict(r.outputs), (), secret_outputs, show_secrets),
            "parent": r.parent or stack_urn,
            "dependencies": list(r.dependencies),
        }
        if r.custom:
            entry["id"] = r.id
        if r.provider:
            entry["provider"] = f"{r.provider}::{ids.get(r.provider, '')}"
        if r.read:
            entry["external"] = True
        if r.protect:
            entry["protect"] = True
        resources.append(entry)
    return {
        "version": 3,
        "deployment": {
            "manifest": {"time": "2026-12-07T00:00:00Z", "magic": "", "version": "v3.272.0"},
            "secrets_providers": {
                "type": "service",
                "state": {"url": "https://api.pulumi.com", "owner": "organization", "project": project, "stack": stack},
            },
            "resources": resources,
        },
    }
