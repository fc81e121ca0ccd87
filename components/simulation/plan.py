"""The offline plan of a stack: what a first `pulumi preview` would show, grouped per cluster.

Pure functions over a Simulation, so `meshfleet preview` and its tests share them. A resource belongs
to the cluster its logical name starts with (`naming.child(cluster, ...)`); the rest is fleet-wide.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any

from . import config_group
from .mocks import UNKNOWN
from .recorder import Recorded
from .runner import Simulation
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


def build_plan(sim: Simulation, clusters: Sequence[str]) -> Plan:
    groups: dict[str, list[Recorded]] = {FLEET_WIDE: [], **{c: [] for c in clusters}}
    unknown: dict[str, list[str]] = {}
    for resource in creation_order(sim.resources):
        groups[cluster_of(resource.name, clusters)].append(resource)
        paths = sorted({path.split("[")[0] for path in unknown_paths(resource.inputs)})
        if paths and not resource.type.startswith("pulumi:providers:"):
            unknown[resource.name] = paths
    return Plan(groups, unknown)


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


SELF_REFERENCE = "meshfleet-deployed"
"""The stack's reference to its own outputs (components/last_deployment.py)."""


def legend(plan: Plan) -> list[str]:
    """What the markers of the plan mean, and why a stack reads itself."""
    lines = ["Legend: +  to create   >  to read (exists already; nothing is created or changed)"]
    if any(r.read and r.name == SELF_REFERENCE and r.type == "pulumi:pulumi:StackReference" for r in plan.resources):
        lines.append(
            f"        > {SELF_REFERENCE} (a StackReference) is this stack reading its own outputs from its last deployment "
            "(its root bundle, the clusters it meshed), so that a change builds on what is deployed; a first deployment has none"
        )
    return lines


def render_plan(plan: Plan, clusters: Mapping[str, Mapping[str, Any]]) -> list[str]:
    lines: list[str] = []
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
    return lines


def _groups_without_objects(resources: Sequence[Recorded]) -> list[str]:
    """Groups of objects (components/k8s/peer_objects.py) whose objects a preview cannot list yet."""
    names = {r.urn: r.name for r in resources}
    return sorted(names[group] for group, objects in config_group.objects_by_group(resources).items() if not objects)
