"""A stand-in app for tests/apps/test_reproduce*.py (stdlib only: starts in milliseconds)."""
