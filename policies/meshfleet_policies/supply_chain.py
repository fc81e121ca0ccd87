"""What runs in the clusters: charts pinned from trusted repositories, through the cluster's own provider."""

from __future__ import annotations

import re

from pulumi_policy import PolicyConfigSchema, ReportViolation, ResourceValidationArgs, ResourceValidationPolicy

from .facts.base import CHARTS

EXACT_VERSION = re.compile(r"^v?\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?$")
DEFAULT_REPOSITORIES = [
    "https://istio-release.storage.googleapis.com/charts",
    "https://helm.linkerd.io/edge",
    "https://helm.releases.hashicorp.com",
]


def _pinned(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    if args.resource_type not in CHARTS:
        return
    props = args.props
    chart = str(props.get("chart") or "")
    version = str(props.get("version") or "")
    repository = str((props.get("repositoryOpts") or {}).get("repo") or (props.get("fetchOpts") or {}).get("repo") or "")
    if chart.startswith("oci://"):
        repository = chart.rsplit("/", 1)[0]
    allowed = list(args.get_config().get("allowedRepositories") or DEFAULT_REPOSITORIES)
    if not EXACT_VERSION.match(version):
        report_violation(
            f"chart {chart!r} has version {version!r}; pin an exact chart version (e.g. '1.30.5') so every cluster gets the reviewed chart",
            None,
        )
    if repository.rstrip("/") not in [r.rstrip("/") for r in allowed]:
        report_violation(
            f"chart {chart!r} comes from {repository or 'no repository (a local path)'}; install it from one of the allowed "
            f"repositories: {', '.join(allowed)}",
            None,
        )


def _explicit_provider(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    if not args.resource_type.startswith("kubernetes:"):
        return
    provider = args.provider
    if provider is None or provider.name.startswith("default"):
        report_violation(
            f"{args.name} would use the default Kubernetes provider, i.e. whatever cluster the ambient kubeconfig points at; "
            "pass the cluster's provider (parent it under the cluster's component or set `provider=`)",
            None,
        )


helm_chart_pinned = ResourceValidationPolicy(
    name="helm-chart-pinned",
    description="Every Helm release or chart pins an exact version from an allow-listed repository.",
    validate=_pinned,
    config_schema=PolicyConfigSchema(
        properties={"allowedRepositories": {"type": "array", "items": {"type": "string"}, "default": DEFAULT_REPOSITORIES}}
    ),
)

kubernetes_explicit_provider = ResourceValidationPolicy(
    name="kubernetes-explicit-provider",
    description="Every Kubernetes resource uses an explicit provider for its cluster.",
    validate=_explicit_provider,
)
