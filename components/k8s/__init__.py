"""Kubernetes building blocks shared by every mesh module."""

from .helm import ChartRef, helm_release
from .namespace import mesh_namespace
from .reader_credentials import ReaderCredentials

__all__ = ["ChartRef", "ReaderCredentials", "helm_release", "mesh_namespace"]
