"""CA private keys live in Kubernetes Secrets and in Pulumi secrets, nowhere else."""

from __future__ import annotations

from pulumi_policy import ReportViolation, ResourceValidationArgs, ResourceValidationPolicy

from .facts.base import CHARTS, CONFIG_MAP, SECRET
from .pem import key_material_paths
from .resources import as_resource, known_values

# Where a key could hide in a value that is still unknown at preview: these resources are not
# skipped silently, the policy says it could not check them.
KEY_CARRIERS = {CONFIG_MAP, *CHARTS}


def _validate(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    resource = as_resource(args)
    props, unknown = known_values(args.props)
    for path in key_material_paths(props):
        where = ".".join(path)
        if resource.type == SECRET and path[0] in ("data", "stringData"):
            continue  # a Kubernetes Secret, and pulumi-kubernetes keeps its data a Pulumi secret
        if path[0] in resource.additional_secret_outputs:
            continue  # e.g. pulumi-tls keys: always Pulumi secrets
        if resource.type == CONFIG_MAP:
            report_violation(
                f"ConfigMap {resource.name} carries private key material at {where}; ConfigMaps are readable by anyone who can read the namespace: move it into a Secret",
                None,
            )
        else:
            report_violation(
                f"{resource.type} {resource.name} holds private key material at {where}, which is not a secret property; "
                "put the key in a Kubernetes Secret (e.g. Istio's `cacerts`, Linkerd's external-CA issuer Secret) and reference it",
                None,
            )
    if unknown and (resource.type in KEY_CARRIERS or (resource.type.startswith("kubernetes:") and ".istio.io/" in resource.type)):
        raise unknown[0]  # the SDK turns this into "can't run policy ... during preview"


ca_keys_only_in_secrets = ResourceValidationPolicy(
    name="ca-keys-only-in-secrets",
    description="No CA private key outside a Secret or in a non-secret property; no ConfigMap carrying key material.",
    validate=_validate,
)
