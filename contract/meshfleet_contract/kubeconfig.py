"""Kubeconfigs that authenticate with the caller's own cloud identity: no credential inside.

The fleet builds its own providers' kubeconfigs with these too (components/clusters/kubeconfig.py), so an
app team's kubeconfig and the platform's differ only in whose identity the exec plugin uses.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Mapping
from typing import Any

EXEC_API_VERSION = "client.authentication.k8s.io/v1beta1"


def single_cluster_kubeconfig(name: str, server: str, ca_data: str, user: Mapping[str, Any]) -> str:
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
    return single_cluster_kubeconfig(name, server, ca_data, {"exec": {"apiVersion": EXEC_API_VERSION, "command": "aws", "args": args}})


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
    return single_cluster_kubeconfig(name, server, ca_data, user)


def pem_to_data(pem: str) -> str:
    return base64.b64encode(pem.encode()).decode()
