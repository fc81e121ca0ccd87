"""Logical names of child resources, built in one place.

These names are part of the stack's contract: Pulumi identifies resources by them, so renaming one
replaces the resource. A rename needs an `aliases` entry on the resource that moves.
"""

from __future__ import annotations


def child(*parts: str) -> str:
    """`child("eks-use1", "cacerts")` -> "eks-use1-cacerts"."""
    return "-".join(part for part in parts if part)
