"""The Istio 1.30 API versions and names an app team's objects use; the fleet's Helm values and its own
custom resources are in meshfleet's components/meshes/istio/values.py, which uses these too."""

from __future__ import annotations

# Both v1 at 1.30 (manifests/charts/base/files/crd-all.gen.yaml, served and stored).
NETWORKING_API_VERSION = "networking.istio.io/v1"
SECURITY_API_VERSION = "security.istio.io/v1"
