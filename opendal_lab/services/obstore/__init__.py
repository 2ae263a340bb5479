"""obstore bridge: obstore's stores (Rust object_store) under opendal_lab's Python layers.

``Operator("obstore", url="s3://bucket/prefix", endpoint=..., region=...)`` wraps the store
``obstore.store.from_url("s3://bucket/prefix", ...)``; ``Operator.from_uri(
"obstore+s3://bucket/prefix?endpoint=...&allow_http=true")`` is the same (query keys are
config keys). Every store obstore has works: S3 (``s3://``), GCS (``gs://``), Azure Blob
(``az://``), HTTP/WebDAV (``https://``), a local directory (``file://``) and memory
(``memory:///``, one store per operator). ``config`` lists the keys; the fsspec protocol is
``opendal+obstore`` (config as storage options). Built against obstore 0.12.

``config`` (keys, credentials, the store), ``core`` (each store's capability, error
mapping), ``backend`` (the service).

Native capability is per store (``core.capability_for``), what object_store does for it:
conditional reads and stats everywhere (``if_match``, ``if_none_match``,
``if_(un)modified_since``, sent to the server), suffix reads except on Azure, a recursive
list from an offset (S3's ``StartAfter``; filtered here too, where a store ignores it) and
a one-level list, conditional writes (``if_not_exists`` everywhere but HTTP, ``if_match``
on S3, Azure and memory), attributes (content type, disposition, encoding, cache control,
user metadata) where the store keeps them, batch delete (S3 1,000 keys, Azure 256), copy,
rename (a copy and a delete on the cloud stores: not atomic there), copy/rename with
``if_not_exists`` where object_store does it, presigned URLs on S3, GCS and Azure.
``limit`` is the size of the chunks obstore hands over.

What no store here has: directories. object_store drops a trailing ``/`` from every key,
so a ``d/`` marker object cannot be written (it would be the file ``d``), and a local store
is run with ``automatic_cleanup`` so that it, too, has a directory only while something is
below it. So:

- ``stat("d/")`` is a DIR when an object is below ``d/`` (a one-key list), else NotFound;
  listing ``d/`` yields ``d/`` first on the same terms, then the entries sorted, common
  prefixes as DIRs; deleting ``d/`` deletes nothing;
- ``create_dir`` is not native. SimulateLayer's way, an empty ``d/`` object, is accepted
  and stores nothing, as s3fs's ``mkdir`` on a bucket: ``makedirs`` before a write (pandas,
  dask) works, but an empty directory does not show. So the default stack's capability
  says ``create_dir`` (simulated) where the directory only appears once something is below
  it; ``simulate=SimulateLayer(create_dir=False)`` has the capability say no instead (the
  behavior suite runs so). A Capability field telling "cannot keep a ``d/`` key" would let
  SimulateLayer know by itself.

A local store is obstore's, not the ``fs`` service: object_store refuses ``.`` and ``..``
segments (``ConfigInvalid``) but follows symlinks below its directory, so it is no jail.

Reads and writes: a read is one GET (ranged or suffix; a zero-length read is a stat); a
write is one PUT up to ``part_size`` and obstore's multipart upload beyond; a streaming
writer spools (``core.spool``) and hands obstore a file at ``close``, so an aborted writer
leaves nothing. Retries are obstore's own, per request (``max_retries``, within
``timeout``); an error still failing after them is ``persistent``.
"""

from opendal_lab.core.registry import Registry
from opendal_lab.services.obstore.backend import ObstoreService
from opendal_lab.services.obstore.config import ObstoreConfig
from opendal_lab.services.obstore.core import SCHEME, capability_for, map_error

__all__ = [
    "SCHEME",
    "ObstoreConfig",
    "ObstoreService",
    "capability_for",
    "map_error",
    "register",
]


def register(registry: Registry) -> None:
    """Make the scheme known (the entry point ``opendal_lab.services`` calls this)."""
    registry.add_service(SCHEME, ObstoreService)
