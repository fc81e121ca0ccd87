"""meshfleet: read the stack's config, build the fleet, export the contract for app teams."""

import pulumi

from components.fleet import Fleet, plan_fleet
from components.gc_policy import collect_young_objects_only

collect_young_objects_only()  # the SDK's objects live until the end: don't rescan them (components/gc_policy.py)

fleet = Fleet("meshfleet", plan_fleet(pulumi.Config("meshfleet")))
for key, value in fleet.stack_outputs.items():
    pulumi.export(key, value)
