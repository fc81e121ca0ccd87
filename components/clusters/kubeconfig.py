"""Building and reading kubeconfigs.

One builder serves every caller: the fleet's own providers (exec plugins with the operator's cloud
identity), the mesh's cross-cluster credentials (an inline service-account token, because istiod and the
Linkerd service mirror refuse exec plugins), and app teams' programs (their own cloud identity).
"""

from __future__ import annotations

import base64
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

# The exec-plugin builders are the contract package's, so app teams' kubeconfigs and the fleet's are one code.
from meshfleet_contract.kubeconfig import eks_kubeconfig, gke_kubeconfig, pem_to_data, single_cluster_kubeconfig

__all__ = [
    "KubeconfigCluster",
    "KubeconfigError",
    "data_to_pem",
    "eks_kubeconfig",
    "gke_kubeconfig",
    "pem_to_data",
    "read_cluster",
    "token_kubeconfig",
]


def token_kubeconfig(name: str, server: str, ca_data: str, token: str) -> str:
    """Inline bearer token and nothing else: no exec or auth-provider plugins, no client keys or files."""
    return single_cluster_kubeconfig(name, server, ca_data, {"token": token})


def data_to_pem(data: str) -> str:
    return base64.b64decode(data).decode()


@dataclass(frozen=True)
class KubeconfigCluster:
    """What a kubeconfig context says about its cluster: no credentials."""

    server: str
    ca_pem: str | None


class KubeconfigError(ValueError):
    pass


def read_cluster(kubeconfig: str | Mapping[str, Any], context: str | None = None) -> KubeconfigCluster:
    """The server and CA of `context` (default: current-context) in a kubeconfig."""
    config = yaml.safe_load(kubeconfig) if isinstance(kubeconfig, str) else kubeconfig
    if not isinstance(config, Mapping):
        raise KubeconfigError("is not a kubeconfig (expected a YAML mapping)")
    context_name = context or config.get("current-context")
    contexts = {c.get("name"): c.get("context", {}) for c in config.get("contexts") or []}
    if context_name not in contexts:
        raise KubeconfigError(f"has no context {context_name!r}; contexts: {', '.join(map(repr, contexts)) or 'none'}")
    cluster_name = contexts[context_name].get("cluster")
    clusters = {c.get("name"): c.get("cluster", {}) for c in config.get("clusters") or []}
    if cluster_name not in clusters:
        raise KubeconfigError(f"context {context_name!r} points at cluster {cluster_name!r}, which it does not define")
    cluster = clusters[cluster_name]
    data = cluster.get("certificate-authority-data")
    ca_file = cluster.get("certificate-authority")
    ca_pem = data_to_pem(data) if data else Path(ca_file).read_text() if ca_file else None
    return KubeconfigCluster(server=str(cluster.get("server", "")), ca_pem=ca_pem)


def operator_kubeconfig_path() -> Path:
    """The kubeconfig kubectl would use: the first file of KUBECONFIG, else ~/.kube/config."""
    paths = [p for p in os.environ.get("KUBECONFIG", "").split(os.pathsep) if p]
    return Path(paths[0]) if paths else Path.home() / ".kube" / "config"
