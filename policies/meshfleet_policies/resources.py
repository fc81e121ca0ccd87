"""Turning what the policy SDK hands a policy into the mesh-neutral Resource the facts read."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from pulumi_policy import PolicyResource, ResourceValidationArgs
from pulumi_policy.proxy import UnknownValueError

from .facts import Resource


def as_resource(item: ResourceValidationArgs | PolicyResource) -> Resource:
    """A resource policy's args and a stack policy's resources carry the same attributes."""
    return Resource(
        type=item.resource_type,
        name=item.name,
        urn=item.urn,
        props=item.props,
        provider_urn=item.provider.urn if item.provider else None,
        additional_secret_outputs=tuple(item.opts.additional_secret_outputs or ()),
    )


def resources_to_check(args: ResourceValidationArgs) -> list[Resource]:
    """What a resource policy checks of the resource it is given: the resource itself, with the inputs the
    engine sends (pulumi/pulumi pkg/resource/deploy/step_generator.go hands each registration's inputs to the
    analyzers). meshfleet registers every object it makes as a resource of its own, so nothing the fleet
    makes reaches the pack only inside another resource's inputs."""
    return [as_resource(args)]


def known_values(value: Any) -> tuple[Any, list[UnknownValueError]]:
    """The known part of (proxied) properties, and the errors for each value unknown at preview.

    Lets a policy check everything that is known and decide for itself whether an unknown value
    matters, instead of giving up on the whole resource at the first one.
    """
    unknown: list[UnknownValueError] = []

    def walk(item: Any) -> Any:
        if isinstance(item, Mapping):
            known = {}
            for key in list(item):
                try:
                    known[key] = walk(item[key])
                except UnknownValueError as error:
                    unknown.append(error)
            return known
        if isinstance(item, Sequence) and not isinstance(item, str):  # the policy SDK's list proxies too
            known_items = []
            for index in range(len(item)):
                try:
                    known_items.append(walk(item[index]))
                except UnknownValueError as error:
                    unknown.append(error)
            return known_items
        return item

    return walk(value), unknown
