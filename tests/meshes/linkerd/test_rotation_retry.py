"""A token rotation that fails half-way, then is retried, against the Pulumi engine's handling of pending deletes
and a model of Linkerd's readers (tests/meshes/linkerd/mirror_model.py).

The engine, as pulumi/pulumi has it (read at commit 1b5949891b, after the pinned 3.272.0's line):
- a replacement creates the new object first and marks the old one `Delete: true` in the state
  (pkg/resource/deploy/step.go:467-473, CreateStep.Apply); its delete runs in the post-steps;
- a failed step cancels the run before the post-steps (deployment_executor.go:329-333 run them only once the
  program has finished with no error), so the old objects stay in the state as pending deletes;
- on the next run pending deletes are left out of the olds (deployment.go:565-570) and deleted with every other
  delete in the post-steps, after all of the program's creates and updates (deployment_executor.go:486,
  step_generator.go GenerateDeletes ~2390). Before pulumi 3.46 they were deleted first, before the program
  ran (removed by commit a3128e50be, "Do not execute pending deletes at the start of deployment",
  pulumi/pulumi#2948): then a retried rotation revoked the old token while readers still held it.
"""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from components.simulation import Simulation
from tests.meshes.helpers import pulumi_up
from tests.meshes.linkerd.mirror_model import KubeObject, Step, describe, objects, replay, up
from tests.meshes.linkerd.test_discovery import remote_discovery_stack, rotated_stack


def failed_up(old: Sequence[KubeObject], new: Sequence[KubeObject], fails: str) -> tuple[list[Step], list[KubeObject], list[KubeObject]]:
    """The writes made before the step `fails` (described) fails, the state's live objects after them, and its
    pending deletes (the old selves of objects replaced by then)."""
    state = {o.urn: o for o in old}
    done: list[Step] = []
    pending: list[KubeObject] = []
    for step in pulumi_up(old, new):
        if describe(step) == fails:
            break
        kind, o = step
        if kind == "delete":
            state.pop(o.urn, None)
        else:
            before = state.get(o.urn)
            if before is not None and before.key != o.key:
                pending.append(before)
            state[o.urn] = o
        done.append(step)
    else:
        raise AssertionError(f"no step {fails}")
    return done, list(state.values()), pending


def retry(live: Sequence[KubeObject], pending: Sequence[KubeObject], new: Sequence[KubeObject], pending_first: bool) -> list[Step]:
    registered = pulumi_up(live, new)
    deletes: list[Step] = [("delete", o) for o in pending]
    return deletes + registered if pending_first else registered + deletes


@pytest.fixture(scope="module")
def rotation(linkerd: Simulation) -> tuple[list[KubeObject], list[KubeObject]]:
    return objects(linkerd), objects(rotated_stack(linkerd, remote_discovery=False))


@pytest.fixture(scope="module")
def remote_rotation() -> tuple[list[KubeObject], list[KubeObject]]:
    """With remote discovery: the destination controllers read the tokens too."""
    remote = remote_discovery_stack()
    return objects(remote), objects(rotated_stack(remote, remote_discovery=True))


def last_link_update(old: Sequence[KubeObject], new: Sequence[KubeObject]) -> str:
    return [describe(s) for s in pulumi_up(old, new) if describe(s).startswith("update") and "/Link/" in describe(s)][-1]


@pytest.mark.parametrize("layout", ["rotation", "remote_rotation"])
def test_a_failed_rotation_retried_never_revokes_a_token_a_reader_holds(layout: str, request: pytest.FixtureRequest) -> None:
    old, new = request.getfixturevalue(layout)
    fails = last_link_update(old, new)
    done, live, pending = failed_up(old, new, fails)
    # The run stopped after the new tokens and credentials were written, before one Link moved: the old token
    # Secrets are pending deletes, and one service mirror still reads with an old token.
    assert sorted(o.name for o in pending) == ["linkerd-service-mirror-remote-access-default-token-g1"] * 3
    after_failure = replay(up([], old), done)
    assert after_failure.broken == []
    fleet = replay(up([], old), done, retry(live, pending, new, pending_first=False))
    assert fleet.broken == []
    new_tokens = {o.token for o in new if o.kind == "Secret" and o.secret_type == "kubernetes.io/service-account-token"}
    for cluster in fleet.clusters.values():
        assert set(cluster.mirrors.values()) <= new_tokens, cluster.name


def test_the_model_sees_the_hazard_of_deleting_pending_deletes_first(rotation: tuple[list[KubeObject], list[KubeObject]]) -> None:
    """As pulumi before 3.46 ran a retry: the old token is revoked while the failed Link's mirror still reads with it."""
    old, new = rotation
    fails = last_link_update(old, new)
    done, live, pending = failed_up(old, new, fails)
    fleet = replay(up([], old), done, retry(live, pending, new, pending_first=True))
    target = fails.rsplit("/", 1)[1]
    source = fails.split(" ")[1].split("/")[0]
    assert fleet.broken == [f"{source}: controller -> {target}"]
