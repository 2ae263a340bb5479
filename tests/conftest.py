"""Fixtures shared by every test folder: the real servers live in tests/servers.py."""

pytest_plugins = ["tests.servers"]
