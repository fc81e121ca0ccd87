"""What each recorded resource waits for before the engine makes it."""

from __future__ import annotations

from collections.abc import Sequence

from . import config_group
from .recorder import Recorded


def waits_for(resources: Sequence[Recorded], *, providers: bool = False) -> dict[str, set[str]]:
    """Per URN, the URNs it waits for: its dependencies (`depends_on` and the resources its inputs come from)
    and, with `providers`, its provider (the SDK waits for it too).

    The Kubernetes provider registers a ConfigGroup's objects once what the group waits for exists, and the
    group is done once its objects are (the provider's Construct returns after them): an object waits for
    what its group waits for, and the group, as whoever depends on it sees it, for its objects.
    """
    waits = {r.urn: set(r.all_dependencies) | ({r.provider} if providers and r.provider else set()) for r in resources}
    for group, objects in config_group.objects_by_group(resources).items():
        for urn in objects:
            waits[urn] |= waits[group]
        waits[group].update(objects)
    return waits
