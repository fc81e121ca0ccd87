"""Removing a cluster from a Linkerd fleet: what the `pulumi up` removes, what the service mirror leaves behind
(tests/meshes/linkerd/mirror_model.py, "unlink"), and the documented cleanup (docs/linkerd.md, "Removing a
cluster") run against it, read from the page itself."""

from __future__ import annotations

import re
import shlex

from components.simulation import PROJECT_DIR, Simulation, simulate
from tests.meshes.linkerd.mirror_model import MirrorState, describe, up
from tests.support import LINKERD, raw_config

REMOVED = "gke-usc1"
KEPT = ("eks-use1", "eks-euc1")
EXPORTED = [("shop", "shop"), ("checkout", "pay")]  # (namespace, name) of Services the removed cluster exported


def without_removed() -> Simulation:
    clusters = [c for c in raw_config(LINKERD)["clusters"] if c["name"] != REMOVED]
    return simulate("linkerd", config_file=LINKERD, config={"meshfleet:clusters": clusters})


def documented_commands() -> list[list[str]]:
    """The `kubectl` commands of the page's cleanup block, continuation lines joined, `$REMOVED` filled in."""
    page = (PROJECT_DIR / "docs" / "linkerd.md").read_text()
    section = page.split("## Removing a cluster", 1)[1].split("\n## ", 1)[0]
    block = section.split("```sh", 1)[1].split("```", 1)[0].replace("\\\n", " ")
    assert f"REMOVED={REMOVED}" in block
    return [shlex.split(line.strip().replace("$REMOVED", REMOVED)) for line in block.splitlines() if line.strip().startswith("kubectl")]


def run(state: MirrorState, command: list[str]) -> None:
    args = command[command.index("delete") + 1 :]
    kinds = {"services": "Service", "endpoints": "Endpoints", "lease": "Lease"}
    namespace = command[command.index("-n") + 1] if "-n" in command else None
    selector: dict[str, str] = {}
    names: list[str] = []
    first, rest = args[0], args[1:]
    i = 0
    while i < len(rest):
        if rest[i] == "-l":
            selector = dict(pair.split("=", 1) for pair in rest[i + 1].split(","))
            i += 2
        elif rest[i].startswith("-"):
            i += 1
        else:
            names.append(rest[i])
            i += 1
    state.kubectl_delete([kinds[k] for k in first.split(",")], namespace, selector, names)


def test_removing_a_cluster_deletes_its_links_and_leaves_the_mirrors_until_the_documented_cleanup(linkerd: Simulation) -> None:
    steps = up(linkerd, without_removed())
    deleted_links = sorted(describe(s) for s in steps if s[0] == "delete" and s[1].kind == "Link")
    # The removed cluster's own Links go with it; in the others, their Link to it.
    assert deleted_links == sorted(
        [f"delete {c}/Link/linkerd-multicluster/{REMOVED}" for c in KEPT]
        + [f"delete {REMOVED}/Link/linkerd-multicluster/{c}" for c in KEPT]
    )
    states = {}
    for source in KEPT:
        state = MirrorState(source)
        for target in (c for c in (*KEPT, REMOVED) if c != source):
            state.mirror(target, EXPORTED)
        states[source] = state
    for kind, o in steps:
        if kind == "delete" and o.kind == "Link" and o.cluster in states:
            states[o.cluster].link_deleted(o.name)
    for source, state in states.items():
        # What `linkerd multicluster check` reports as orphaned: the pulumi up removed none of it.
        assert state.of(REMOVED) == sorted(
            [
                ("Endpoints", "checkout", f"pay-{REMOVED}"),
                ("Endpoints", "shop", f"shop-{REMOVED}"),
                ("Lease", "linkerd-multicluster", f"service-mirror-write-{REMOVED}"),
                ("Service", "checkout", f"pay-{REMOVED}"),
                ("Service", "shop", f"shop-{REMOVED}"),
            ]
        ), source
        other = next(c for c in KEPT if c != source)
        kept_before = state.of(other)
        for command in documented_commands():
            run(state, command)
        assert state.of(REMOVED) == [], source
        assert state.of(other) == kept_before, "the cleanup touches only the removed cluster's mirrors"
        assert len(kept_before) == 5


def test_the_documented_cleanup_is_two_kubectl_deletes_per_cluster() -> None:
    commands = documented_commands()
    assert [c[:4] for c in commands] == [["kubectl", "--context", "$CONTEXT", "delete"], ["kubectl", "--context", "$CONTEXT", "-n"]]
    assert re.search(r"mirror\.linkerd\.io/cluster-name=gke-usc1", " ".join(commands[0]))
