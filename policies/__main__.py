"""The meshfleet policy pack: only assembles the PolicyPack (which serves the engine and blocks)."""

from pulumi_policy import EnforcementLevel, PolicyPack

from meshfleet_policies import POLICIES

PolicyPack(name="meshfleet-policies", enforcement_level=EnforcementLevel.ADVISORY, policies=POLICIES)
