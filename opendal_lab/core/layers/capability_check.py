"""CapabilityCheckLayer (opt-in): also refuse the arguments a service would silently drop.

CorrectnessCheck already refuses arguments that change the result. This layer adds the
ones that only decorate it: ``content_type``, ``content_disposition``,
``content_encoding``, ``cache_control`` and ``user_metadata`` on writes, and the
``override_*`` response headers on stat and read. Add it when a dropped header would be
a bug in your program::

    op = Operator("fs", root="/tmp/x").layer(CapabilityCheckLayer())
    op.write("a.txt", b"hi", content_type="text/plain")   # Unsupported on fs
"""

from __future__ import annotations

from opendal_lab.core.access import BaseLayer, Writer
from opendal_lab.core.layers.correctness_check import ArgumentCheckAccess, check_arguments
from opendal_lab.core.options import (
    DEFAULT_WRITE,
    WriteOptions,
)
from opendal_lab.core.types import Metadata

__all__ = ["CapabilityCheckLayer"]

_WRITE = (
    ("content_type", "write_with_content_type"),
    ("content_disposition", "write_with_content_disposition"),
    ("content_encoding", "write_with_content_encoding"),
    ("cache_control", "write_with_cache_control"),
    ("user_metadata", "write_with_user_metadata"),
)
_STAT = (
    ("override_content_type", "stat_with_override_content_type"),
    ("override_cache_control", "stat_with_override_cache_control"),
    ("override_content_disposition", "stat_with_override_content_disposition"),
)
_READ = (
    ("override_content_type", "read_with_override_content_type"),
    ("override_cache_control", "read_with_override_cache_control"),
    ("override_content_disposition", "read_with_override_content_disposition"),
)


class _CapabilityCheckAccess(ArgumentCheckAccess):
    stat_rules = _STAT
    read_rules = _READ

    def write(self, path: str, data: bytes, opts: WriteOptions) -> Metadata:
        if opts is not DEFAULT_WRITE:
            check_arguments(self._access_info, "write", opts, _WRITE, path)
        return self.inner.write(path, data, opts)

    def writer(self, path: str, opts: WriteOptions) -> Writer:
        if opts is not DEFAULT_WRITE:
            check_arguments(self._access_info, "write", opts, _WRITE, path)
        return self.inner.writer(path, opts)


class CapabilityCheckLayer(BaseLayer):
    """Refuses the non-critical arguments a service would drop (opt-in)."""

    forwards_plain = frozenset({"stat", "read"})

    access_class = _CapabilityCheckAccess
