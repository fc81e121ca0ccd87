"""What the consul chart renders from meshfleet's values, for the parts whose behaviour the tests check.

Written from hashicorp/consul-k8s at tag v2.0.3, `charts/consul/`:

- `templates/_helpers.tpl` `consul.server.pdb.maxUnavailable` (lines 312-320): one server gives 0, else
  `server.disruptionBudget.maxUnavailable` if truthy, else 1.
- `templates/_helpers.tpl` `consul.pdb.connectInject.maxUnavailable` (lines 326-338): one replica gives 0,
  else `connectInject.disruptionBudget.maxUnavailable` if truthy, else 1 for three replicas and
  `(n/2)-1` (integer division) for any other count.
- `templates/connect-injector-disruptionbudget.yaml` (lines 1, 20-24): rendered when
  `connectInject.disruptionBudget.enabled` (values.yaml default true, line 2454), with `minAvailable` if
  set, else the helper's `maxUnavailable`; `templates/server-disruptionbudget.yaml` (lines 1, 20) likewise for servers.
- `templates/connect-inject-deployment.yaml` line 30: `replicas: {{ .Values.connectInject.replicas }}`
  (values.yaml default 1, line 2419).
- `templates/server-statefulset.yaml` lines 743-754: every server claims a volume through
  `volumeClaimTemplates` (`data-<namespace>`, ReadWriteOnce, `server.storage`), with `storageClassName`
  only when `server.storageClass` is set (values.yaml line 1035, default null: the cluster's default class).

Helm treats 0 and null alike in `if` (both falsy), which is why the helpers cannot be told "0" explicitly.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

SERVER_STORAGE = "10Gi"
"""`server.storage` default, values.yaml line 1018."""


@dataclass(frozen=True)
class Budget:
    """A rendered PodDisruptionBudget: how many of `replicas` pods a drain may evict at once."""

    replicas: int
    max_unavailable: int


def _budget(values: Mapping[str, Any], component: str, computed: Callable[[int], int]) -> Budget | None:
    """A helper of _helpers.tpl: 0 for one replica, else the value given (if truthy), else `computed`."""
    settings = values.get(component, {})
    replicas = int(settings.get("replicas", 1))
    budget = settings.get("disruptionBudget", {})
    if not budget.get("enabled", True):
        return None
    if replicas == 1:
        return Budget(replicas, 0)
    return Budget(replicas, int(budget.get("maxUnavailable") or computed(replicas)))


def injector_budget(values: Mapping[str, Any]) -> Budget | None:
    return _budget(values, "connectInject", lambda replicas: 1 if replicas == 3 else replicas // 2 - 1)


def server_budget(values: Mapping[str, Any]) -> Budget | None:
    return _budget(values, "server", lambda replicas: 1)


def drain_can_proceed(budget: Budget | None) -> bool:
    """Whether `kubectl drain` of a node running one of these pods can evict it while all are ready."""
    return budget is None or budget.max_unavailable >= 1


def server_volume_claim(values: Mapping[str, Any], namespace: str) -> dict[str, Any]:
    """The PVC each server pod gets from the StatefulSet's volumeClaimTemplates."""
    server = values.get("server", {})
    spec: dict[str, Any] = {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": server.get("storage", SERVER_STORAGE)}}}
    if server.get("storageClass"):
        spec["storageClassName"] = server["storageClass"]
    return {"metadata": {"name": f"data-{namespace[:58].rstrip('-')}"}, "spec": spec}


# --- the Gateway API CRDs: what the chart installs, what the connect injector needs served ----------------

STANDARD_KINDS = frozenset(
    {
        "gatewayclasses.gateway.networking.k8s.io",
        "gateways.gateway.networking.k8s.io",
        "httproutes.gateway.networking.k8s.io",
        "referencegrants.gateway.networking.k8s.io",
    }
)
TCP_ROUTES = "tcproutes.gateway.networking.k8s.io"


def rendered_gateway_api_crds(values: Mapping[str, Any]) -> frozenset[str]:
    """`templates/crd-{gatewayclasses,gateways,httproutes,referencegrants}-external.yaml` (lines 1-17, outside
    OpenShift): rendered with the injector, `connectInject.apiGateway.manageExternalCRDs` (default true,
    values.yaml line 2475) and `global.installK8sNetworkingCRDs` (default true, line 8);
    `crd-tcproutes-external.yaml` (lines 1-21) also needs `global.crds.enableTcpRoute` (default true, line 818)."""
    glob = values.get("global", {})
    inject = values.get("connectInject", {})
    gateway = inject.get("apiGateway", {})
    if not inject.get("enabled") or not gateway.get("manageExternalCRDs", True) or not glob.get("installK8sNetworkingCRDs", True):
        return frozenset()
    return STANDARD_KINDS | ({TCP_ROUTES} if glob.get("crds", {}).get("enableTcpRoute", True) else frozenset())


def injector_watches(values: Mapping[str, Any]) -> frozenset[str]:
    """The kinds the connect injector's manager watches whatever the chart installed
    (`control-plane/subcommand/inject-connect/v1controllers.go` lines 214-270 register the API gateway
    controllers unconditionally; `api-gateway/controllers/gatewayclass_controller.go` lines 129-138 and
    `gateway_controller.go` lines 472-506 watch GatewayClass, Gateway, HTTPRoute and ReferenceGrant, and
    TCPRoute when `-enabe-tcp-route` is passed, lines 515-533, which `connect-inject-deployment.yaml` lines
    312-318 render from `global.crds.enableTcpRoute`); and `control-plane/subcommand/gateway-resources/
    command.go` lines 263-282, a post-install hook, creates a GatewayClass. A watched kind that is not
    served fails the manager's cache sync (controller-runtime `source.Kind`), and the injector exits."""
    tcp = values.get("global", {}).get("crds", {}).get("enableTcpRoute", True)
    return STANDARD_KINDS | ({TCP_ROUTES} if tcp else frozenset())


def injector_starts(values: Mapping[str, Any], served_by_cluster: frozenset[str]) -> bool:
    return injector_watches(values) <= rendered_gateway_api_crds(values) | served_by_cluster
