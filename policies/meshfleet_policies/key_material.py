"""CA private keys, and the credentials a mesh hands across clusters (Consul's peering tokens), live in
Kubernetes Secrets and in Pulumi secrets, nowhere else."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from pulumi_policy import ReportViolation, ResourceValidationArgs, ResourceValidationPolicy

from .facts import MESHES, Resource
from .facts.base import CHARTS, CONFIG_MAP, SECRET
from .pem import PRIVATE_KEY_MARKER, string_values
from .resources import known_values, resources_to_check

# Where a key could hide in a value that is still unknown at preview: these resources are not
# skipped silently, the policy says it could not check them.
KEY_CARRIERS = {CONFIG_MAP, *CHARTS}
# Chart values that can only hold address ranges: each mesh's east-west gateway passes them to its Service's
# spec.loadBalancerSourceRanges, which the API server accepts only as CIDRs (pkg/apis/core/validation,
# ValidateService: "must be a list of IP ranges"). They are unknown in a first preview (the peers' egress
# addresses), and an unknown there is no place a key could hide: without this, the policy said it could not
# check the gateway's chart because of its load balancer's source ranges.
ADDRESS_ONLY = "loadBalancerSourceRanges"


def _secret_material(props: Any) -> Iterator[tuple[tuple[str, ...], str]]:
    """(path, what it is) of every private key or mesh credential in the properties."""
    for path, text in string_values(props):
        if PRIVATE_KEY_MARKER in text:
            yield path, "private key material"
            continue
        kind = next((found for mesh in MESHES if (found := mesh.secret_material(text)) is not None), None)
        if kind is not None:
            yield path, kind


def _validate(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    for resource in resources_to_check(args):
        _check(resource, report_violation)


def _check(resource: Resource, report_violation: ReportViolation) -> None:
    props, unknown = known_values(resource.props)
    for path, kind in _secret_material(props):
        where = ".".join(path)
        if resource.type == SECRET and path[0] in ("data", "stringData"):
            continue  # a Kubernetes Secret, and pulumi-kubernetes keeps its data a Pulumi secret
        if path[0] in resource.additional_secret_outputs:
            continue  # e.g. pulumi-tls keys: always Pulumi secrets
        if resource.type == CONFIG_MAP:
            report_violation(
                f"ConfigMap {resource.name} carries {kind} at {where}; ConfigMaps are readable by anyone who can read the namespace: move it into a Secret",
                None,
            )
        else:
            report_violation(
                f"{resource.type} {resource.name} holds {kind} at {where}, which is not a secret property; "
                "put it in a Kubernetes Secret (e.g. Istio's `cacerts`, Linkerd's external-CA issuer Secret, Consul's CA and "
                "peering-token Secrets) and reference it",
                None,
            )
    unknown = [error for error in unknown if ADDRESS_ONLY not in (prop.split("[")[0] for prop in error.props)]
    if unknown and (resource.type in KEY_CARRIERS or (resource.type.startswith("kubernetes:") and ".istio.io/" in resource.type)):
        raise unknown[0]  # the SDK turns this into "can't run policy ... during preview"


ca_keys_only_in_secrets = ResourceValidationPolicy(
    name="ca-keys-only-in-secrets",
    description="No CA private key or cross-cluster credential (Consul peering token) outside a Secret or in a non-secret "
    "property; no ConfigMap carrying either.",
    validate=_validate,
)
