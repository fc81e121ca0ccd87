"""The offline plan of a stack: what `pulumi preview` would show, grouped per cluster.

Pure functions over a Simulation, so `meshfleet preview` and its tests share them. A resource belongs
to the cluster its logical name starts with (`naming.child(cluster, ...)`); the rest is fleet-wide.
Without a previous deployment the plan is a first preview (everything created); with one (`--state`), each
resource's step against it (components/simulation/state.py) and the deletes.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from . import config_group
from .mocks import UNKNOWN
from .recorder import Recorded
from .runner import Simulation
from .state import CREATE, DELETE, READ, REPLACE, SAME, UPDATE, DeployedResource, Deployment, encrypted_count
from .waits import waits_for

FLEET_WIDE = "fleet-wide"


def cluster_of(name: str, clusters: Sequence[str]) -> str:
    """The cluster a resource belongs to by its name; the longest matching cluster name wins."""
    matches = [c for c in clusters if name == c or name.startswith(f"{c}-")]
    return max(matches, key=len) if matches else FLEET_WIDE


def unknown_paths(value: Any, path: str = "") -> Iterator[str]:
    """Property paths whose value a first preview cannot know (shown as `output<string>` by Pulumi)."""
    if value == UNKNOWN:
        yield path or "."
    elif isinstance(value, Mapping):
        for key, item in value.items():
            yield from unknown_paths(item, f"{path}.{key}" if path else str(key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from unknown_paths(item, f"{path}[{index}]")


@dataclass(frozen=True)
class Plan:
    groups: dict[str, list[Recorded]]
    """Resources per cluster (and fleet-wide), in `creation_order`."""
    unknown: dict[str, list[str]]
    """Per resource name: the input paths not known until something is created."""
    deletes: dict[str, list[DeployedResource]] | None = None
    """Per cluster, what the last deployment holds and this run does not register; None for a first preview."""
    not_compared: int = 0
    """Values the last deployment holds encrypted, which could not be compared."""
    unreachable: Mapping[str, Sequence[str]] = field(default_factory=dict)
    """Per unreachable cluster, the resources its provider previewed from their inputs alone."""
    warnings: Sequence[str] = ()
    """The program's own warnings."""

    @property
    def resources(self) -> list[Recorded]:
        return [r for group in self.groups.values() for r in group]


def creation_order(resources: Sequence[Recorded]) -> list[Recorded]:
    """The resources in the order they can be created (what waits for nothing first), then by name. Not
    registration order: the SDK registers independent resources concurrently, so the order they reach the
    engine differs between runs, and a plan printed twice must read the same."""
    waits = waits_for(resources)

    @cache
    def depth(urn: str) -> int:
        return 1 + max((depth(d) for d in waits[urn] if d in waits), default=0)

    return sorted(resources, key=lambda r: (depth(r.urn), r.name, r.type))


def _name(urn: str) -> str:
    return urn.rsplit("::", 1)[-1]


def build_plan(sim: Simulation, clusters: Sequence[str], previous: Deployment | None = None) -> Plan:
    if previous is not None:
        # A removed cluster is in the last deployment's outputs only: its deletes still go under its name.
        clusters = [*clusters, *sorted(set(previous.exports.get("clusters") or {}) - set(clusters))]
    groups: dict[str, list[Recorded]] = {FLEET_WIDE: [], **{c: [] for c in clusters}}
    unknown: dict[str, list[str]] = {}
    for resource in creation_order(sim.resources):
        groups[cluster_of(resource.name, clusters)].append(resource)
        paths = sorted({path.split("[")[0] for path in unknown_paths(resource.inputs)})
        if paths and not resource.type.startswith("pulumi:providers:"):
            unknown[resource.name] = paths
    if previous is None:
        return Plan(groups, unknown, unreachable=sim.unreachable, warnings=sim.warnings)
    deletes: dict[str, list[DeployedResource]] = {}
    for gone in sim.deletes:
        deletes.setdefault(cluster_of(_name(gone.urn), clusters), []).append(gone)
    not_compared = sum(encrypted_count(r.inputs) for r in previous.resources.values())
    return Plan(groups, unknown, deletes, not_compared, sim.unreachable, sim.warnings)


def _tree(resources: list[Recorded]) -> list[str]:
    """Resources as Pulumi's preview draws them: children under their parent, `+` create, `>` read."""
    urns = {r.urn for r in resources}
    children: dict[str, list[Recorded]] = {}
    roots = []
    for resource in resources:
        if resource.parent in urns:
            children.setdefault(resource.parent, []).append(resource)
        else:
            roots.append(resource)
    lines: list[str] = []

    def draw(resource: Recorded, prefix: str, last: bool, top: bool) -> None:
        op = ">" if resource.read else "+"
        branch = "" if top else ("└─ " if last else "├─ ")
        lines.append(f" {op}  {prefix}{branch}{resource.type}  {resource.name}")
        below = children.get(resource.urn, [])
        inner = prefix if top else prefix + ("   " if last else "│  ")
        for index, child in enumerate(below):
            draw(child, inner, index == len(below) - 1, False)

    for root in roots:
        draw(root, "", True, True)
    return lines


SYMBOLS = {CREATE: "+", UPDATE: "~", REPLACE: "+-", DELETE: "-", READ: ">"}
LEGEND = "+ create, ~ update (the input paths that change), +- replace, - delete, > read (an object read, not managed)"


def render_steps(plan: Plan, clusters: Mapping[str, Mapping[str, Any]]) -> list[str]:
    """A preview against the last deployment: per cluster what changes, as `pulumi preview` lists it (the
    resources kept as they are only counted). Paths only, never values, so no secret is shown."""
    assert plan.deletes is not None
    lines: list[str] = [f"Legend: {LEGEND}"]
    counts = dict.fromkeys((CREATE, UPDATE, REPLACE, DELETE, SAME, READ), 0)
    for group in [*plan.groups, *(g for g in plan.deletes if g not in plan.groups)]:
        resources = plan.groups.get(group, [])
        gone = plan.deletes.get(group, [])
        for r in resources:
            counts[r.op] += 1
        counts[DELETE] += len(gone)
        changes = [r for r in resources if r.op not in (SAME, READ)]
        if not changes and not gone:
            continue
        info = clusters.get(group)
        title = (
            f"cluster {group} ({info['cloud']}, {info['region']}, {info['role']})"
            if info
            else ("fleet-wide" if group == FLEET_WIDE else f"cluster {group} (removed)")
        )
        lines += ["", f"{title}: {len(changes) + len(gone)} changes"]
        for r in changes:
            paths = f"  [{', '.join(r.changed[:6])}{f' and {len(r.changed) - 6} more' if len(r.changed) > 6 else ''}]" if r.changed else ""
            lines.append(f" {SYMBOLS[r.op]:>2}  {r.type}  {r.name}{paths}")
        for d in sorted(gone, key=lambda d: d.urn):
            protected = "  (protected: `pulumi up` fails until it is unprotected)" if d.protect else ""
            lines.append(f" {SYMBOLS[DELETE]:>2}  {d.type}  {_name(d.urn)}{protected}")
    lines += [
        "",
        f"Resources: {counts[CREATE]} to create, {counts[UPDATE]} to update, {counts[REPLACE]} to replace, "
        f"{counts[DELETE]} to delete, {counts[SAME]} unchanged, {counts[READ]} to read",
    ]
    if plan.not_compared:
        lines.append(
            f"{plan.not_compared} secret values of the state are encrypted and were not compared (counted as unchanged); "
            "`pulumi stack export --show-secrets` in a trusted job compares them too"
        )
    return lines


def preview_warnings(plan: Plan) -> list[str]:
    """The warnings a preview prints after its steps: the program's own, then one per unreachable cluster."""
    return [f"warning: {message}" for message in plan.warnings] + [
        f"warning: cluster {cluster} is unreachable: the Kubernetes provider previews its {len(resources)} resources from their "
        "inputs alone and warns for each; `pulumi up` needs it reachable"
        for cluster, resources in sorted(plan.unreachable.items())
    ]


def render_plan(plan: Plan, clusters: Mapping[str, Mapping[str, Any]]) -> list[str]:
    if plan.deletes is not None:
        return [*render_steps(plan, clusters), *preview_warnings(plan)]
    lines: list[str] = ["Legend: + create, > read (an object read, not managed, such as this stack's own last outputs)"]
    for group, resources in plan.groups.items():
        if not resources:
            continue
        info = clusters.get(group)
        title = f"cluster {group} ({info['cloud']}, {info['region']}, {info['role']})" if info else "fleet-wide"
        lines += ["", f"{title}: {len(resources)} resources", *_tree(resources)]
    creates = [r for r in plan.resources if not r.read]
    components = [r for r in creates if not r.custom]
    per_cluster = ", ".join(f"{g} {len(rs)}" for g, rs in plan.groups.items() if rs and g != FLEET_WIDE)
    lines += [
        "",
        f"Resources: {len(creates)} to create ({len(components)} components, {len(creates) - len(components)} resources), "
        f"{len(plan.resources) - len(creates)} to read; per cluster: {per_cluster}",
    ]
    waiting = _groups_without_objects(plan.resources)
    if waiting:
        lines.append(
            f"The Kubernetes provider registers the objects of {len(waiting)} ConfigGroups ({', '.join(waiting[:3])}"
            f"{f' and {len(waiting) - 3} more' if len(waiting) > 3 else ''}) once their inputs are known: `pulumi up` makes them"
        )
    if plan.unknown:
        # Grouped by what is unknown, so a fleet of thirty clusters stays a screenful.
        by_kind: dict[tuple[str, tuple[str, ...]], list[str]] = {}
        types = {r.name: r.type for r in plan.resources}
        for name, unknown in plan.unknown.items():
            by_kind.setdefault((types[name], tuple(unknown)), []).append(name)
        count = sum(len(paths) for paths in plan.unknown.values())
        lines.append(f"Not known until `pulumi up` creates what they depend on: {count} values of {len(plan.unknown)} resources")
        for (kind, props), names in by_kind.items():
            shown = ", ".join(names[:3]) + (f" and {len(names) - 3} more" if len(names) > 3 else "")
            lines.append(f"  {kind} {', '.join(props)}: {shown}")
    return [*lines, *preview_warnings(plan)]


def _groups_without_objects(resources: Sequence[Recorded]) -> list[str]:
    """ConfigGroups (of a program built on the fleet) whose objects a preview cannot list yet."""
    names = {r.urn: r.name for r in resources}
    return sorted(names[group] for group, objects in config_group.objects_by_group(resources).items() if not objects)
