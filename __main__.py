"""meshfleet: read the stack's config, build the fleet, export the contract for app teams."""

import gc

import pulumi

from components.fleet import Fleet, plan_fleet

# The Pulumi SDK keeps several futures alive per resource; with Python's default thresholds the cyclic
# collector rescans all of them again and again, which makes evaluation grow faster than the fleet
# (tests/benchmark_fleet.py: 30 clusters in 10.3 s with the defaults, 7-8 s with these).
gc.set_threshold(20_000, 100, 100)

fleet = Fleet("meshfleet", plan_fleet(pulumi.Config("meshfleet")))
for key, value in fleet.stack_outputs.items():
    pulumi.export(key, value)
