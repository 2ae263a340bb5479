"""fs: a local directory, with every path confined to it.

``backend`` (the service: the root jail, reads, atomic writes, listing), ``metadata``
(``Metadata`` whose timestamp and etag are derived from the stat when first read).
See ``backend`` for what is native and why the jail is as strict as a walk.
"""

from opendal_lab.core.registry import Registry
from opendal_lab.services.fs.backend import SCHEME, FsConfig, FsService

__all__ = ["SCHEME", "FsConfig", "FsService", "register"]


def register(registry: Registry) -> None:
    """Make the scheme known (the entry point ``opendal_lab.services`` calls this)."""
    registry.add_service(SCHEME, FsService, aliases=("file",))
