"""meshfleet's CrossGuard policies, each in the module of its concern. `policies/__main__.py` packs them."""

from .access import default_deny_keeps_mesh_traffic, deny_fleet_admits_linked_clusters
from .api_access import api_server_not_public
from .cluster_admin import cluster_admin_only_platform
from .control_plane import control_plane_high_availability
from .credentials import remote_kubeconfigs_token_only
from .exposure import east_west_gateway_not_public
from .fleet import mesh_fleet_consistency, strict_mtls_mesh_wide
from .key_material import ca_keys_only_in_secrets
from .supply_chain import helm_chart_pinned, kubernetes_explicit_provider
from .traffic import locality_failover_needs_outlier_detection

POLICIES = [
    helm_chart_pinned,
    kubernetes_explicit_provider,
    mesh_fleet_consistency,
    ca_keys_only_in_secrets,
    east_west_gateway_not_public,
    locality_failover_needs_outlier_detection,
    strict_mtls_mesh_wide,
    control_plane_high_availability,
    remote_kubeconfigs_token_only,
    api_server_not_public,
    default_deny_keeps_mesh_traffic,
    cluster_admin_only_platform,
    deny_fleet_admits_linked_clusters,
]

__all__ = ["POLICIES"]
