"""A preview of a deployed consul fleet against its last deployment lists exactly what `pulumi up` does, for
each change an operator makes, at 3 and at 30 clusters (the test and its fixture: tests/preview_support.py;
one module per mesh, so that the meshes' runs go to different test workers)."""

from tests.preview_support import deployed, test_the_preview_lists_exactly_what_up_does

MESH = "consul"
TOKEN_SETTING = "peeringTokenGeneration"

__all__ = ["deployed", "test_the_preview_lists_exactly_what_up_does"]
