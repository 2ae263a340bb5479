"""opendal bridge: the Rust ``opendal`` binding's services under opendal_lab's Python layers.

``Operator("opendal", scheme="s3", bucket=..., region=...)`` wraps
``opendal.Operator("s3", bucket=..., region=...)``;
``Operator.from_uri("opendal-rs+fs:///abs/dir")`` wraps ``opendal.Operator.from_uri("fs:///abs/dir")``
(query keys become options). The URL prefix is ``opendal-rs+``: ``opendal+<scheme>://`` means
opendal_lab's own service ``<scheme>`` everywhere (``Operator.from_uri`` and the fsspec
protocols alike), so ``opendal+memory://x`` and ``opendal-rs+memory://x`` are two stores. Option
values are passed as strings, as the binding wants (``True`` → ``"true"``). Built against
binding 0.47.

Native capability is the binding's ``capability()`` copied field by field (the names are
OpenDAL's, as ours). Note that the binding already applies OpenDAL's own internal
completion below that: ``stat("d/")`` on memory is answered by a list, a range past the
end is refused there, and so on. Our SimulateLayer then fills what the binding still
reports missing (start_after, limit, suffix reads, recursive list on fs).

What this module normalizes so the binding behaves like every other service here:

- listing: a dir yields itself first, then its entries sorted (fs lists in directory
  order, memory leaves the dir itself out); dirs have no length;
- a recursive delete of ``x`` removes ``x`` and ``x/...`` only (the binding's prefix
  delete also takes ``xy``), and of the root empties it without removing it;
- a read from an offset at or past the end is ``RangeNotSatisfied`` (the binding returns
  ``b""``);
- errors become opendal_lab kinds (same names) with status kept and the original as
  ``__cause__`` (``map_error``);
- a store that is not ``shared`` (memory: one store per binding operator, so every write
  goes through this service) keeps the time of each write it made, because the binding
  reports no ``last_modified`` for it;
- writers spool and write at ``close``: the binding's writers cannot be aborted (fs writes
  in place, and a dropped writer keeps what it was given).
"""

from opendal_lab.core.registry import Registry
from opendal_lab.services.opendal.backend import SCHEME, OpendalService
from opendal_lab.services.opendal.core import map_capability, map_error

__all__ = ["SCHEME", "OpendalService", "map_capability", "map_error", "register"]


def register(registry: Registry) -> None:
    """Make the scheme known (the entry point ``opendal_lab.services`` calls this)."""
    registry.add_service(SCHEME, OpendalService)
