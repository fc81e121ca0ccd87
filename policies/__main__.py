"""The meshfleet policy pack: only assembles the PolicyPack (which serves the engine and blocks)."""

from meshfleet_policies import POLICIES
from pulumi_policy import EnforcementLevel, PolicyPack

PolicyPack(name="meshfleet-policies", enforcement_level=EnforcementLevel.ADVISORY, policies=POLICIES)
