"""fsspec bridge: any fsspec filesystem (memory, local, s3fs, gcsfs, adlfs, sftp, ...) as a service.

Config: ``protocol`` (an fsspec protocol: ``"memory"``, ``"file"``, ``"s3"``, ...), ``root``
(a path inside that filesystem: ``/scratch``, ``/abs/dir``, ``bucket/prefix``) and the
filesystem's storage options, either as a ``storage_options`` dict or as any other key
(``Operator("fsspec", protocol="s3", root="bucket", anon=True)``). A string value is
turned into a bool, int or float when the filesystem's ``__init__`` default for that
keyword is one, so URI query keys work: ``fsspec+s3://bucket/prefix?anon=true``.
A ready instance is passed as ``fs``: ``Operator.from_service(FsspecService(fs=inst))``.

Native capability is derived from the filesystem *class* (see ``derive_capability``):
what it implements itself is native, what fsspec would build from primitives (a walk
for ``find``, copy then delete for ``mv``) is left to SimulateLayer or refused.
A few facts no code shows (real empty directories, ``"ab"`` appends) come from two
small tables in ``capability.py``; an unknown class gets neither.

Paths: ``..`` segments are refused (``PermissionDenied``), so a path never leaves the root
by name; symlinks are the filesystem's business. Listing follows ``memory.py`` and
``fs.py``: a dir yields itself first, then its entries sorted, dirs ending in ``/``; a
file path lists its parent by prefix; a missing dir yields nothing.

Writers spool to memory, then to a temporary file, and write at ``close``: fsspec has no
portable abort (``autocommit=False`` is ignored by some filesystems, memory among them),
and a spool makes ``abort`` leave nothing and the old content intact everywhere.
Writes return the length given, not a fresh ``info`` (one less round trip).
"""

from opendal_lab.core.registry import Registry
from opendal_lab.services.fsspec.backend import SCHEME, FsspecConfig, FsspecService
from opendal_lab.services.fsspec.capability import derive_capability
from opendal_lab.services.fsspec.core import map_error

__all__ = ["SCHEME", "FsspecConfig", "FsspecService", "derive_capability", "map_error", "register"]


def register(registry: Registry) -> None:
    """Make the scheme known (the entry point ``opendal_lab.services`` calls this)."""
    registry.add_service(SCHEME, FsspecService)
