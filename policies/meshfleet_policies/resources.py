"""Turning what the policy SDK hands a policy into the mesh-neutral Resource the facts read."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from pulumi_policy import PolicyResource, ResourceValidationArgs
from pulumi_policy.proxy import UnknownValueError

from .facts import Resource

CONFIG_GROUP = "kubernetes:yaml/v2:ConfigGroup"


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
    """What a resource policy checks of the resource it is given.

    A `kubernetes:yaml/v2:ConfigGroup` is checked through its objects, never as the group itself (its objects'
    Secret data is secret however it is written). Once every input of the group is known, the provider
    registers each object as a resource of its own, which the policies check as it comes. Until then (a
    preview with new peers or tokens) the provider registers none, so the objects are checked here, as the
    resources they will be (pulumi-kubernetes provider/pkg/provider/yaml/v2/yaml.go register).
    """
    resource = as_resource(args)
    if resource.type != CONFIG_GROUP:
        return [resource]
    if not known_values(args.props)[1]:
        return []
    prefix = args.props.get("resourcePrefix") or resource.name
    return [_group_object(resource, obj, prefix) for obj in args.props.get("objs") or []]


def _group_object(group: Resource, obj: Mapping[str, Any], prefix: str) -> Resource:
    api_version, kind = str(obj["apiVersion"]), str(obj["kind"])
    api_group, _, version = api_version.rpartition("/")
    type_ = f"kubernetes:{api_group or 'core'}/{version}:{kind}"
    namespace, name = obj["metadata"].get("namespace"), obj["metadata"]["name"]
    object_name = f"{prefix}:{namespace}/{name}" if namespace else f"{prefix}:{name}"
    stack, project, qualified_type, _ = group.urn.split("::")
    return Resource(
        type=type_,
        name=object_name,
        urn="::".join([stack, project, f"{qualified_type}${type_}", object_name]),
        props=obj,
        provider_urn=group.provider_urn,
    )


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
