"""The regions and zones a cluster may name, in one place.

AWS: pulumi-aws's own `Region` enum (pulumi_aws/_enums.py in the installed pulumi-aws, 7.51.1), the
regions its provider accepts. An AWS zone is its region followed by one letter (`us-east-1a`).

GCP: pulumi-gcp has no list of locations, so meshfleet keeps Google's: the table of regions and their
zones at https://cloud.google.com/compute/docs/regions-zones (what `gcloud compute zones list` prints).
Copied on 2026-12-07 from two public copies of that table that agree; this machine cannot reach Google.
When Google opens a region, add it here (and to the test that pins the count).
"""

from __future__ import annotations

import difflib

import pulumi_aws

AWS_REGIONS: tuple[str, ...] = tuple(region.value for region in pulumi_aws.Region)

# Region: the letters of its zones.
GCP_ZONES: dict[str, str] = {
    "africa-south1": "abc",
    "asia-east1": "abc",
    "asia-east2": "abc",
    "asia-northeast1": "abc",
    "asia-northeast2": "abc",
    "asia-northeast3": "abc",
    "asia-south1": "abc",
    "asia-south2": "abc",
    "asia-southeast1": "abc",
    "asia-southeast2": "abc",
    "australia-southeast1": "abc",
    "australia-southeast2": "abc",
    "europe-central2": "abc",
    "europe-north1": "abc",
    "europe-north2": "abc",
    "europe-southwest1": "abc",
    "europe-west1": "bcd",
    "europe-west2": "abc",
    "europe-west3": "abc",
    "europe-west4": "abc",
    "europe-west6": "abc",
    "europe-west8": "abc",
    "europe-west9": "abc",
    "europe-west10": "abc",
    "europe-west12": "abc",
    "me-central1": "abc",
    "me-central2": "abc",
    "me-west1": "abc",
    "northamerica-northeast1": "abc",
    "northamerica-northeast2": "abc",
    "northamerica-south1": "abc",
    "southamerica-east1": "abc",
    "southamerica-west1": "abc",
    "us-central1": "abcf",
    "us-east1": "bcd",
    "us-east4": "abc",
    "us-east5": "abc",
    "us-south1": "abc",
    "us-west1": "abc",
    "us-west2": "abc",
    "us-west3": "abc",
    "us-west4": "abc",
}


def regions(cloud: str) -> tuple[str, ...]:
    if cloud == "aws":
        return AWS_REGIONS
    if cloud == "gcp":
        return tuple(GCP_ZONES)
    return ()


def zones(cloud: str, region: str) -> tuple[str, ...] | None:
    """The zones of a known region; None where any suffix may do (an adopted cluster's platform)."""
    if cloud == "gcp":
        return tuple(f"{region}-{letter}" for letter in GCP_ZONES.get(region, ""))
    if cloud == "aws":
        return tuple(f"{region}{letter}" for letter in "abcdefghijklmnopqrstuvwxyz")
    return None


def closest(value: str, known: tuple[str, ...]) -> str | None:
    matches = difflib.get_close_matches(value, known, n=1, cutoff=0.75)
    return matches[0] if matches else None
