"""A mock resource monitor that records everything the program asks the engine for.

The stock MockMonitor keeps only each resource's state. Tests, the benchmark and the policy check also
need what the engine sees: parent, provider, dependencies, secret marking and resource options, and
URNs made as the engine makes them (the stock monitor keeps only the parent's own type).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from functools import cached_property
from sys import intern
from typing import Any

from google.protobuf import struct_pb2
from pulumi.output import Unknown
from pulumi.runtime.mocks import MockMonitor, MockResourceArgs
from pulumi.runtime.proto import resource_pb2
from pulumi.runtime.rpc import UNKNOWN
from pulumi.runtime.settings import get_project, get_stack

from . import config_group
from .state import CREATE, READ, REPLACE, SAME, SECRET_SIG, SIG_KEY, Deployment, diff

PropertyPath = tuple[str | int, ...]


def _secret_paths(value: struct_pb2.Value, path: PropertyPath) -> Iterator[PropertyPath]:
    kind = value.WhichOneof("kind")
    if kind == "struct_value":
        fields = value.struct_value.fields
        if SIG_KEY in fields and fields[SIG_KEY].string_value == SECRET_SIG:
            yield path
            return
        for key, item in fields.items():
            yield from _secret_paths(item, (*path, key))
    elif kind == "list_value":
        for i, item in enumerate(value.list_value.values):
            yield from _secret_paths(item, (*path, i))


def secret_paths(struct: struct_pb2.Struct) -> frozenset[PropertyPath]:
    """Property paths (keys and list indexes) whose values the program sent as secrets."""
    return frozenset(p for key, item in struct.fields.items() for p in _secret_paths(item, (key,)))


def sent_properties(struct: struct_pb2.Struct) -> dict[str, Any]:
    """What `plain` makes of the SDK's reading of a struct the program sent, read from the struct itself:
    unlike the SDK's reader, it does not depend on whether the run in progress is a preview, and it makes
    one object per value."""
    properties = {key: _sent_value(value) for key, value in struct.fields.items()}
    return {key: value for key, value in properties.items() if value is not None}  # as the SDK drops them


def wire_struct(state: Mapping[str, Any]) -> struct_pb2.Struct:
    """Plain values as the engine sends a resource's state back: a property that is None is left out."""
    struct = struct_pb2.Struct()
    struct.update({key: value for key, value in state.items() if value is not None})
    return struct


def _sent_value(value: struct_pb2.Value) -> Any:
    kind = value.WhichOneof("kind")
    if kind == "struct_value":
        fields = value.struct_value.fields
        if SIG_KEY in fields and fields[SIG_KEY].string_value == SECRET_SIG:
            return _sent_value(fields["value"]) if "value" in fields else None
        return sent_properties(value.struct_value)
    if kind == "list_value":
        return [_sent_value(item) for item in value.list_value.values]
    if kind == "number_value":
        number = value.number_value
        return int(number) if number.is_integer() else number
    if kind == "string_value":
        return value.string_value
    if kind == "bool_value":
        return value.bool_value
    return None


def plain(value: Any) -> Any:
    """Property values as the engine holds them, in one walk: secret wrappers replaced by their values
    (secretness is tracked separately), unknowns as the engine's sentinel string, and whole numbers as
    ints (protobuf carries every number as a double)."""
    if isinstance(value, dict):
        if value.get(SIG_KEY) == SECRET_SIG:
            return plain(value.get("value"))
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain(v) for v in value]
    if isinstance(value, Unknown):
        return UNKNOWN
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def _strip_id(provider_ref: str) -> str:
    return provider_ref.rsplit("::", 1)[0] if provider_ref else ""


ROOT_STACK_TYPE = "pulumi:pulumi:Stack"


def engine_urn(parent: str, type_: str, name: str, stack: str = "", project: str = "") -> str:
    """The URN the engine gives a resource (pulumi/pulumi pkg/resource/deploy/deployment.go `generateURN`):
    its type follows the parent's whole qualified type (`Mesh$Cluster$Secret`), the root stack excepted.
    The stock mock keeps only the parent's last type, which would hide a grandchild's real URN."""
    qualified = parent.split("::")[2] if parent else ""
    if qualified and qualified != ROOT_STACK_TYPE:
        type_ = f"{qualified}${type_}"
    return f"urn:pulumi:{stack or get_stack()}::{project or get_project()}::{type_}::{name}"


@dataclass
class Recorded:
    urn: str
    type: str
    name: str
    custom: bool
    read: bool
    parent: str
    provider: str
    """URN of the explicit provider; empty means the default provider."""
    dependencies: tuple[str, ...]
    property_dependencies: dict[str, tuple[str, ...]]
    inputs: dict[str, Any]
    """The properties as the program sent them (`sent_properties`): the strings are the mocked state's own."""
    state: Mapping[str, Any]
    """The state the mocks gave the resource (the monitor keeps it anyway)."""
    secret_inputs: frozenset[PropertyPath] = frozenset()
    additional_secret_outputs: tuple[str, ...] = ()
    protect: bool = False
    retain_on_delete: bool = False
    ignore_changes: tuple[str, ...] = ()
    id: str = ""
    """The id the provider gave it (empty while unknown)."""
    op: str = CREATE
    """The engine's step against the stack's last deployment: create, update, replace, same or read."""
    changed: tuple[str, ...] = ()
    """The input paths that differ from the last deployment's (an update or a replace)."""

    # Made when first asked for: a second copy of every value (every kubeconfig of every remote secret)
    # would be a large part of a large fleet's memory, and most runs read few of them.

    @cached_property
    def outputs(self) -> dict[str, Any]:
        return plain(dict(self.state))  # type: ignore[no-any-return]

    @property
    def all_dependencies(self) -> set[str]:
        deps = set(self.dependencies)
        for urns in self.property_dependencies.values():
            deps.update(urns)
        return deps

    def is_secret(self, prop: str) -> bool:
        """Whether an input or output property is a Pulumi secret (sent as one, or marked by the resource)."""
        return prop in self.additional_secret_outputs or any(path[0] == prop for path in self.secret_inputs)


class RecordingMonitor(MockMonitor):
    def __init__(self, mocks: Any, progress: Callable[[int, str], None] | None = None, previous: Deployment | None = None) -> None:
        super().__init__(mocks)
        self.recorded: dict[str, Recorded] = {}
        self.previous = previous
        """The stack's last deployment, which each registration is compared with (components/simulation/state.py)."""
        self.replaced_providers: set[str] = set()
        self.progress = progress
        """Called after each resource with the number recorded so far and the resource's name."""

    def make_urn(self, parent: str, type_: str, name: str) -> str:
        return engine_urn(parent, type_, name)

    def RegisterResource(self, request: Any) -> Any:
        # What the stock monitor does, without its round trip through the SDK's reading and writing of
        # properties (an event loop per resource), which the engine does not make the program pay: the
        # mocks get the properties as `sent_properties` reads them and answer with plain values.
        urn = self.make_urn(request.parent, request.type, request.name)
        if request.type == "pulumi:pulumi:Stack":
            return resource_pb2.RegisterResourceResponse(urn=urn)
        if request.transforms:
            raise NotImplementedError("the simulation runs no resource transforms, and the fleet registers none")
        inputs = sent_properties(request.object)
        args = MockResourceArgs(
            typ=request.type,
            name=request.name,
            inputs=inputs,
            provider=request.provider,
            resource_id=request.importId,
            custom=request.custom or False,
        )
        op, changed = self._step(urn, request.type, _strip_id(request.provider), inputs)
        args.urn, args.op = urn, op  # type: ignore[attr-defined]  # what the engine knows and the stock args do not carry
        given_id, state = self.mocks.new_resource(args)
        resource_id = given_id or ""  # no id: unknown, as for a resource a preview would create
        self.resources[urn] = MockMonitor.ResourceRegistration(urn, resource_id, state)
        self._record(request, urn, inputs, read=False, op=op, changed=changed)
        if request.type == config_group.TYPE and request.remote:
            self._construct_config_group(request, urn, inputs)
        return resource_pb2.RegisterResourceResponse(urn=urn, id=resource_id, object=wire_struct(state))

    def _step(self, urn: str, type_: str, provider: str, inputs: dict[str, Any]) -> tuple[str, tuple[str, ...]]:
        """What the engine does with a registration, given the last deployment (step_generator.go generateSteps):
        a resource it does not hold is created; one it holds is diffed by its provider; the objects of a
        replaced provider are replaced with it."""
        old = self.previous.resources.get(urn) if self.previous else None
        if old is None or old.read:
            return CREATE, ()
        op, paths = diff(type_, old.inputs, inputs)
        if op == SAME and provider in self.replaced_providers:
            op = REPLACE
        if op == REPLACE and type_.startswith("pulumi:providers:"):
            self.replaced_providers.add(urn)
        return op, tuple(paths)

    def _construct_config_group(self, request: Any, urn: str, inputs: dict[str, Any]) -> None:
        """What the Kubernetes provider registers for a `yaml/v2:ConfigGroup` (`config_group`): the program
        never sees these children, but the engine, the policy pack and `pulumi up` do."""
        provider = request.providers.get("kubernetes") or request.provider
        if not config_group.provider_is_configured(self.recorded.get(_strip_id(provider))):
            return  # a provider with unknown config cannot run the group's Construct: nothing is registered
        for child in config_group.children(request.name, inputs):
            child_urn = self.make_urn(urn, child.type, child.name)
            args = MockResourceArgs(typ=child.type, name=child.name, inputs=child.inputs, provider=provider, resource_id="", custom=True)
            op, changed = self._step(child_urn, child.type, _strip_id(provider), child.inputs)
            args.urn, args.op = child_urn, op  # type: ignore[attr-defined]
            given_id, state = self.mocks.new_resource(args)
            self.resources[child_urn] = MockMonitor.ResourceRegistration(child_urn, given_id or "", state)
            self._add(
                Recorded(
                    urn=intern(child_urn),
                    type=child.type,
                    name=child.name,
                    custom=True,
                    read=False,
                    parent=intern(urn),
                    provider=intern(_strip_id(provider)),
                    dependencies=tuple(intern(self.make_urn(urn, t, n)) for t, n in child.depends_on),
                    property_dependencies={},
                    inputs=child.inputs,
                    state=state,
                    secret_inputs=child.secret_paths,
                    op=op,
                    changed=changed,
                )
            )

    def ReadResource(self, request: Any) -> Any:
        # As RegisterResource: the stock monitor's reading and writing of properties runs an event loop per read.
        urn = self.make_urn(request.parent, request.type, request.name)
        inputs = sent_properties(request.properties)
        args = MockResourceArgs(typ=request.type, name=request.name, inputs=inputs, provider=request.provider, resource_id=request.id)
        args.urn, args.op = urn, READ  # type: ignore[attr-defined]
        given_id, state = self.mocks.new_resource(args)
        self.resources[urn] = MockMonitor.ResourceRegistration(urn, given_id or request.id, state)
        self._record(request, urn, inputs, read=True, op=READ)
        return resource_pb2.ReadResourceResponse(urn=urn, properties=wire_struct(state))

    def _record(self, request: Any, urn: str, inputs: dict[str, Any], *, read: bool, op: str, changed: tuple[str, ...] = ()) -> None:
        registration = self.resources[urn]
        struct = request.properties if read else request.object
        self._add(
            Recorded(
                urn=intern(urn),
                type=request.type,
                name=request.name,
                custom=True if read else bool(request.custom),
                read=read,
                parent=intern(request.parent),
                provider=intern(_strip_id(request.provider)),
                # One string per URN, however many resources depend on it: at 100 clusters the peers' address
                # edges alone would otherwise hold some 160,000 copies (about 30 MB).
                dependencies=tuple(map(intern, request.dependencies)),
                property_dependencies={} if read else {k: tuple(map(intern, v.urns)) for k, v in request.propertyDependencies.items()},
                inputs=inputs,
                state=registration.state,
                secret_inputs=secret_paths(struct),
                additional_secret_outputs=tuple(request.additionalSecretOutputs),
                protect=False if read else bool(request.protect),
                retain_on_delete=False if read else bool(request.retainOnDelete),
                ignore_changes=() if read else tuple(request.ignoreChanges),
                op=op,
                changed=changed,
                id=registration.id or "",
            )
        )

    def _add(self, recorded: Recorded) -> None:
        self.recorded[recorded.urn] = recorded
        if self.progress is not None:
            self.progress(len(self.recorded), recorded.name)
