"""Every custom resource the example stacks and the app-team example emit validates against its mesh's pinned
upstream CRD (issue 12). The CRDs come from a local clone named by `MESHFLEET_UPSTREAM_<MESH>`; without it
the mesh's checks skip and say how to set it (docs/upstream.md)."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from components.simulation import Recorded, Simulation
from tests.examples.test_app_team import run_app
from tests.upstream_crds import UPSTREAMS, CustomResourceDefinitions, GroupVersionKind, Upstream, UpstreamError, configured, load, validate

FLEETS = ("prod", "dev", "primary_remote", "linkerd", "consul")
APP_FLEETS = ("prod", "primary_remote", "linkerd", "consul")
"""The app-team example runs against these, as tests/examples/test_app_team.py does (dev adopts clusters the
fleet cannot build credentials for)."""

KUBERNETES_GROUPS = frozenset(
    {
        *("core", "apps", "batch", "policy", "autoscaling"),
        *("admissionregistration.k8s.io", "rbac.authorization.k8s.io", "networking.k8s.io", "storage.k8s.io"),
        *("coordination.k8s.io", "discovery.k8s.io", "certificates.k8s.io", "scheduling.k8s.io", "apiextensions.k8s.io"),
        *("helm.sh", "yaml", "kustomize"),  # the Kubernetes provider's own resources, not API objects
    }
)

UNCHECKED = {
    ("monitoring.coreos.com", "v1", "PodMonitor"): "Prometheus Operator's CRD; meshfleet pins no prometheus-operator version",
}
"""Custom resources with no pinned upstream CRD source, named so that nothing is skipped silently."""

CHECKED = {
    "istio": {
        ("networking.istio.io", "v1", "Gateway"),
        ("networking.istio.io", "v1", "VirtualService"),
        ("networking.istio.io", "v1", "DestinationRule"),
        ("security.istio.io", "v1", "AuthorizationPolicy"),
        ("security.istio.io", "v1", "PeerAuthentication"),
        ("telemetry.istio.io", "v1", "Telemetry"),
    },
    "linkerd": {
        ("multicluster.linkerd.io", "v1alpha3", "Link"),
        ("policy.linkerd.io", "v1alpha1", "AuthorizationPolicy"),
        ("policy.linkerd.io", "v1alpha1", "MeshTLSAuthentication"),
        ("policy.linkerd.io", "v1beta3", "HTTPRoute"),
        ("policy.linkerd.io", "v1beta3", "Server"),
    },
    "consul": {
        ("consul.hashicorp.com", "v1alpha1", kind)
        for kind in (
            *("ExportedServices", "Mesh", "PeeringAcceptor", "PeeringDialer", "ProxyDefaults"),
            *("ServiceDefaults", "ServiceIntentions", "ServiceResolver", "ServiceRouter", "ServiceSplitter"),
        )
    },
}
"""The kinds the examples emit per mesh: a kind that stops being emitted, or a new one, shows up here."""

UPSTREAM = {upstream.mesh: upstream for upstream in UPSTREAMS}


def group_version_kind(resource: Recorded) -> GroupVersionKind | None:
    """`kubernetes:<group>/<version>:<Kind>` of a custom resource; None for Kubernetes' own objects."""
    if not resource.type.startswith("kubernetes:"):
        return None
    group_version, kind = resource.type.removeprefix("kubernetes:").split(":")
    group, version = group_version.split("/")
    return None if group in KUBERNETES_GROUPS else (group, version, kind)


def mesh_of(gvk: GroupVersionKind) -> Upstream | None:
    return next((u for u in UPSTREAMS if gvk[0] in u.groups), None)


@pytest.fixture(scope="module")
def emitted(request: pytest.FixtureRequest) -> list[tuple[str, Recorded, GroupVersionKind]]:
    """(stack, resource, kind) of every custom resource the example fleets and the app-team example emit."""
    simulations: list[tuple[str, Simulation]] = []
    for fleet in FLEETS:
        simulation: Simulation = request.getfixturevalue(fleet)
        simulations.append((fleet, simulation))
        if fleet in APP_FLEETS:
            simulations.append((f"app-team on {fleet}", run_app(simulation.exports)))
    return [(stack, r, gvk) for stack, simulation in simulations for r in simulation.resources if (gvk := group_version_kind(r))]


def definitions(mesh: str) -> CustomResourceDefinitions:
    upstream = UPSTREAM[mesh]
    location = configured(upstream)
    if location is None:
        pytest.skip(upstream.how_to_set())
    try:
        return load(upstream, *location)
    except UpstreamError as error:
        pytest.fail(str(error))


def test_every_emitted_custom_resource_has_a_pinned_crd_source_or_is_listed_unchecked(
    emitted: list[tuple[str, Recorded, GroupVersionKind]],
) -> None:
    by_mesh: dict[str, set[GroupVersionKind]] = {mesh: set() for mesh in UPSTREAM}
    unchecked: set[GroupVersionKind] = set()
    for _, resource, gvk in emitted:
        upstream = mesh_of(gvk)
        if upstream:
            by_mesh[upstream.mesh].add(gvk)
        else:
            assert gvk in UNCHECKED, f"{resource.urn}: no pinned CRD source; add its mesh's groups or list it in UNCHECKED"
            unchecked.add(gvk)
    assert by_mesh == CHECKED
    assert unchecked == set(UNCHECKED)


@pytest.mark.parametrize("mesh", sorted(UPSTREAM))
def test_emitted_custom_resources_validate_against_the_pinned_upstream_crds(
    mesh: str, emitted: list[tuple[str, Recorded, GroupVersionKind]]
) -> None:
    crds = definitions(mesh)
    checked = [(stack, r, gvk) for stack, r, gvk in emitted if gvk[0] in UPSTREAM[mesh].groups]
    found = [f"{stack}: {r.urn}: {problem}" for stack, r, gvk in checked for problem in validate(r.inputs, crds, gvk)]
    assert found == [], "\n".join(found)
    assert {gvk for _, _, gvk in checked} == CHECKED[mesh]


def _objects_with_mistakes() -> Iterator[tuple[str, GroupVersionKind, dict[str, Any], list[str]]]:
    """One object per mesh with the mistakes emitting code could make, and the exact problems reported."""
    yield (
        "istio",
        ("networking.istio.io", "v1", "VirtualService"),
        {
            "apiVersion": "networking.istio.io/v1",
            "kind": "VirtualService",
            "metadata": {"name": "shop", "namespace": "shop"},
            "spec": {
                "hosts": "shop",
                "http": [
                    {
                        "match": [{"headers": {"x-canary": {"exact": "true", "prefix": "t"}}}],
                        "route": [{"destination": {"host": "shop", "subst": "v1", "port": {"number": -80}}, "weight": "100"}],
                        "retries": {"attempts": 2},
                    }
                ],
            },
        },
        [
            "$.spec.hosts is str, expected array",
            "$.spec.http[0].match[0].headers.x-canary matches 2 oneOf branches {required: [exact]}; {required: [prefix]}, expected exactly 1",
            "$.spec.http[0].route[0].destination.subst is not in the CRD (the API server would prune it)",
            "$.spec.http[0].route[0].destination.port.number is -80, below the minimum 0",
            "$.spec.http[0].route[0].weight is str, expected integer",
        ],
    )
    yield (
        "linkerd",
        ("policy.linkerd.io", "v1beta3", "Server"),
        {
            "apiVersion": "policy.linkerd.io/v1beta3",
            "kind": "Server",
            "metadata": {"name": "shop"},
            "spec": {"podSelector": {"matchExpressions": [{"key": "app", "operator": "Equals", "values": ["shop"]}]}, "port": ["http"]},
        },
        [
            "$.spec.podSelector.matchExpressions[0].operator is 'Equals', not one of ['In', 'NotIn', 'Exists', 'DoesNotExist']",
            "$.spec.port is list, expected integer or string",
        ],
    )
    yield (
        "consul",
        ("consul.hashicorp.com", "v1alpha1", "ServiceIntentions"),
        {
            "apiVersion": "consul.hashicorp.com/v1alpha1",
            "kind": "ServiceIntentions",
            "metadata": {"name": "shop"},
            "spec": {"destination": {"name": "shop"}, "sources": [{"name": "storefront", "peers": "west", "action": "allow"}]},
        },
        ["$.spec.sources[0].peers is not in the CRD (the API server would prune it)"],
    )


MISTAKES = list(_objects_with_mistakes())


@pytest.mark.parametrize(("mesh", "gvk", "obj", "expected"), MISTAKES, ids=[m[0] for m in MISTAKES])
def test_fails_validation_of_mistyped_fields_against_the_real_crd(
    mesh: str, gvk: GroupVersionKind, obj: dict[str, Any], expected: list[str]
) -> None:
    assert validate(obj, definitions(mesh), gvk) == expected


@pytest.mark.parametrize("mesh", sorted(UPSTREAM))
def test_fails_validation_of_each_emitted_kind_with_a_field_upstream_lacks(
    mesh: str, emitted: list[tuple[str, Recorded, GroupVersionKind]]
) -> None:
    """The check above is not vacuous: one real object of every checked kind, with one stray spec field, is refused."""
    crds = definitions(mesh)
    first = {gvk: r for _, r, gvk in reversed(emitted) if gvk in CHECKED[mesh]}
    for gvk, resource in sorted(first.items()):
        stray = {**resource.inputs, "spec": {**resource.inputs["spec"], "weigth": 1}}
        assert validate(stray, crds, gvk) == ["$.spec.weigth is not in the CRD (the API server would prune it)"], resource.urn


# --- reading a location, offline: a synthetic chart template in a throwaway repository --------------------

SYNTHETIC = Upstream("example", "https://example.invalid/mesh.git", "v1.0.0", ("charts/crds/templates/**.yaml",), ("example.io",))
TEMPLATE = """{{- if .Values.enabled }}
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  labels:
    chart: {{ .Chart.Name }}-{{ .Chart.Version }}
    {{- with .Values.labels }}{{ toYaml . | nindent 4 }}{{- end }}
  name: widgets.example.io
spec:
  group: example.io
  names: {kind: Widget, plural: widgets}
  versions:
  - name: v1
    served: true
    schema:
      openAPIV3Schema:
        type: object
        properties:
          spec:
            type: object
            required: [size]
            properties:
              size: {type: integer}
              extra: {type: object, x-kubernetes-preserve-unknown-fields: true}
  - name: v0
    served: false
    schema: {openAPIV3Schema: {type: object}}
{{- end }}
"""


def _git(repo: Path, *args: str) -> None:
    subprocess.run(["git", "-C", str(repo), "-c", "user.name=t", "-c", "user.email=t@t", *args], check=True, capture_output=True)


@pytest.fixture
def synthetic_clone(tmp_path: Path) -> Path:
    template = tmp_path / "charts" / "crds" / "templates" / "nested" / "widgets.yaml"
    template.parent.mkdir(parents=True)
    template.write_text(TEMPLATE)
    _git(tmp_path, "init", "-q")
    _git(tmp_path, "add", ".")
    _git(tmp_path, "commit", "-q", "-m", "crds")
    _git(tmp_path, "tag", "v1.0.0")
    template.write_text("not: [a crd")  # the working tree moves on; the tag is what is read
    return tmp_path


def test_a_clone_is_read_at_the_pinned_tag_with_helm_actions_removed(synthetic_clone: Path) -> None:
    crds = load(SYNTHETIC, synthetic_clone)
    assert crds.kinds() == {("example.io", "v1", "Widget")}, "only served versions"
    widget = {"apiVersion": "example.io/v1", "kind": "Widget", "metadata": {}, "spec": {"extra": {"any": 1}, "colour": "red"}}
    assert validate(widget, crds, ("example.io", "v1", "Widget")) == [
        "$.spec.size is required",
        "$.spec.colour is not in the CRD (the API server would prune it)",
    ]
    assert validate(widget, crds, ("example.io", "v0", "Widget")) == [f"example.io/v0 Widget is not served by the CRDs of {crds.source}"]


def test_a_plain_directory_of_crd_files_is_read_as_it_is(tmp_path: Path) -> None:
    (tmp_path / "widgets.yaml").write_text(TEMPLATE)
    assert load(SYNTHETIC, tmp_path).kinds() == {("example.io", "v1", "Widget")}


def test_fails_on_a_clone_without_the_pinned_tag(synthetic_clone: Path) -> None:
    with pytest.raises(UpstreamError) as error:
        load(SYNTHETIC, synthetic_clone, "v1.0.5")
    assert str(error.value) == (
        f"{synthetic_clone} has no tag v1.0.5: `git -C {synthetic_clone} fetch origin tag v1.0.5`, or set MESHFLEET_UPSTREAM_EXAMPLE_TAG"
    )


def test_skip_reason_says_how_to_set_the_variable() -> None:
    assert SYNTHETIC.how_to_set() == (
        "MESHFLEET_UPSTREAM_EXAMPLE is unset: `git clone --bare --depth 1 --branch v1.0.0 https://example.invalid/mesh.git <dir>` "
        "(or use an existing clone that has tag v1.0.0) and set MESHFLEET_UPSTREAM_EXAMPLE=<dir>"
    )
