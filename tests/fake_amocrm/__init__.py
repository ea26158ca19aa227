"""A fake amoCRM HTTP server for the call-history tests (see server.py)."""

from .server import FakeAmoCRM  # noqa: F401
