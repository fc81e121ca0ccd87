"""Building and reading kubeconfigs.

One builder serves every caller: the fleet's own providers (exec plugins with the operator's cloud
identity), the mesh's cross-cluster credentials (an inline service-account token, because istiod and the
Linkerd service mirror refuse exec plugins), and app teams' programs (their own cloud identity).
"""

from __future__ import annotations

import base64
import json
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

EXEC_API_VERSION = "client.authentication.k8s.io/v1beta1"


def _kubeconfig(name: str, server: str, ca_data: str, user: Mapping[str, Any]) -> str:
    """A single-cluster kubeconfig whose cluster, user and context are all called `name`.

    `ca_data` is the base64 of the API server's CA bundle (kubeconfig `certificate-authority-data`); empty
    for an endpoint whose kubeconfig names no CA (publicly trusted), which the client then checks against
    the system's roots.
    """
    cluster = {"server": server, "certificate-authority-data": ca_data} if ca_data else {"server": server}
    config = {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{"name": name, "cluster": cluster}],
        "users": [{"name": name, "user": dict(user)}],
        "contexts": [{"name": name, "context": {"cluster": name, "user": name}}],
        "current-context": name,
    }
    return json.dumps(config, indent=2)


def eks_kubeconfig(name: str, server: str, ca_data: str, cluster_name: str, region: str, role_arn: str | None = None) -> str:
    """Authenticates with `aws eks get-token`, as pulumi-eks does (pulumi-eks#362)."""
    args = ["eks", "get-token", "--cluster-name", cluster_name, "--region", region, "--output", "json"]
    if role_arn:
        args += ["--role-arn", role_arn]
    return _kubeconfig(name, server, ca_data, {"exec": {"apiVersion": EXEC_API_VERSION, "command": "aws", "args": args}})


def gke_kubeconfig(name: str, server: str, ca_data: str) -> str:
    """Authenticates with `gke-gcloud-auth-plugin` (pulumi/examples gcp-py-gke)."""
    user = {
        "exec": {
            "apiVersion": EXEC_API_VERSION,
            "command": "gke-gcloud-auth-plugin",
            "installHint": "Install gke-gcloud-auth-plugin: https://cloud.google.com/kubernetes-engine/docs/how-to/cluster-access-for-kubectl",
            "provideClusterInfo": True,
        }
    }
    return _kubeconfig(name, server, ca_data, user)


def token_kubeconfig(name: str, server: str, ca_data: str, token: str) -> str:
    """Inline bearer token and nothing else: no exec or auth-provider plugins, no client keys or files."""
    return _kubeconfig(name, server, ca_data, {"token": token})


def pem_to_data(pem: str) -> str:
    return base64.b64encode(pem.encode()).decode()


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
