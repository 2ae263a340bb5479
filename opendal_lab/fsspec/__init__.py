"""The operator seen as an fsspec filesystem: pandas, pyarrow, dask and polars read through it.

What lives where:

- ``filesystem.py``: :class:`OpendalFileSystem` (paths, info, listings, reads, writes,
  directories) and :func:`protocol_class`, the class of each ``opendal+<scheme>`` protocol;
- ``file.py``: :class:`OpendalFile`, the file object ``open`` returns;
- ``cache.py``: :class:`ReadaheadExactCache`, the ``"opendal-readahead"`` read cache;
- ``urls.py``: what a URL names and the URL of an operator's data, both through the
  registry's URI parser (``parse_uri`` and each service's ``config_from_uri``);
- ``changes.py``: the process-wide count of changes that expires remembered infos.

No module names a scheme: what a URL's host means is the service's parser's business, and
what a directory is the operator's capability's.

Build one from an operator or from a scheme plus its config::

    fs = OpendalFileSystem(operator=Operator("memory", name="lab"))
    fs = fsspec.filesystem("opendal", scheme="s3", bucket="b", endpoint="http://...")
    fs = fsspec.filesystem("opendal+memory", name="lab")  # the protocol names the scheme

Protocols. ``opendal`` serves any scheme and so needs ``operator=`` or ``scheme=``; its paths
are keys relative to the operator's root. ``opendal+<scheme>`` is opendal_lab's own service
``<scheme>`` (as in ``Operator.from_uri``; the Rust binding's services are
``opendal-rs+<scheme>://``, a URL for ``Operator.from_uri`` only); each has its class,
``OpendalMemoryFileSystem``, ``OpendalFsFileSystem``, ``OpendalS3FileSystem`` (the
``fsspec.specs`` entry points in pyproject.toml), made by :func:`protocol_class` and found here
by name. Its paths are what follows ``opendal+<scheme>://`` in a URL, so they carry the store
as s3fs's ``bucket/key`` do:

- ``opendal+memory://<name>/<key>``: path ``<name>/<key>`` in the memory store ``name``
  (``opendal+memory:///<key>``: the store an unnamed ``Operator("memory")`` uses, ``default``);
- ``opendal+fs:///abs/dir/file``: path ``abs/dir/file``, the absolute OS path, as with
  fsspec's ``file://`` (``opendal+fs://abs/dir/file`` is the same path, as url_to_fs reads it);
- ``opendal+s3://<bucket>/<key>``: path ``<bucket>/<key>`` (endpoint, region, credentials as
  options);
- ``opendal://<key>``: any service, given as ``scheme=`` plus config in ``storage_options``.

So ``pd.read_parquet("opendal+s3://b/x.parquet", storage_options={"endpoint": ...})`` works with
one string, and a missing object's error (pyarrow's own, made from the path) names the store.
A filesystem of one store refuses a path or URL of another ("not in this filesystem"). A
protocol filesystem is rooted at ``/`` unless ``root=`` says otherwise (then its paths start
with the store and that root); the fs service itself has no default root.

A URL and ``storage_options`` never silently disagree: a key both set (``name`` for memory,
``bucket`` for s3, ``root``, which a URL sets to ``/``) is accepted when both say the same and
refused with ``ConfigInvalid`` naming both values when they differ.

Every URL the filesystem hands out (``unstrip_protocol``, so ``OpenFile.full_name`` and what
dask writes down) opens the same object again, both through ``fsspec.open(url)`` and through
this filesystem (with the same endpoint and credentials given as options, as for s3fs). A URL
names the service and where its data lies, not the operator's layers: one built from an
operator with layers reopens the same objects without them (pass ``layers`` in
``storage_options`` to get them back, and ``simulate`` -- a dict of switches, ``"none"`` --
or ``simulate.<switch>`` keys to choose the simulation, as ``Operator`` takes them).
Where no URL can name the data (a service whose protocol is not registered with fsspec or
whose parser does not read the store back, a memory store named ``""`` or with a ``/`` in
its name) the URL is ``opendal://<key>``, which opens nothing without the same ``scheme=``
and config as options rather than some other object.

Directories follow the operator's capability: ``mkdir`` and ``makedirs`` call
``create_dir``, a real directory where the service has them and the marker the SimulateLayer
writes where it does not (memory, s3: so an empty directory shows, as in OpenDAL); with
``create_dir`` switched off they raise ``NotImplementedError`` naming the switch. A prefix with
objects below is a directory; ``info`` of a directory asks the operator for ``stat("d/")``,
which costs at most a one-entry listing, and is not asked where the operator can neither list
nor create directories.

Few storage calls per read. pyarrow through ``FSSpecHandler`` (what ``pd.read_parquet`` uses)
asks ``info`` once, then ``isfile`` and ``open`` for the footer, then ``isfile`` and ``open`` again
for the data: five stats of one file, a few milliseconds apart. So:

- ``info`` is remembered for ``info_expiry_time`` seconds (default 1; 0 turns it off).
  Any change made through an ``OpendalFileSystem`` of this process (write, copy, move, delete,
  mkdir) forgets every remembered info at once, as does ``invalidate_cache()``; a change made
  by another process or straight through an ``Operator`` can go unseen for that long.
- ``open`` takes the size from that info: at most one stat per file, and none when the caller
  gives ``size=``. Where the service checks etags (``read_with_if_match``) the file's reads
  carry ``if_match``, so a stale info is never read torn: an object replaced before the file
  read anything is taken afresh (size and etag) at the first read; one replaced after bytes
  were read from it fails with ``ConditionNotMatch`` (an ``OSError``). On a service without
  etag checks a file that grew reads at its old size for as long as the info is remembered.
  ``cat_file`` with a range and ``cat_ranges`` always stat afresh.
- Files read with the ``"opendal-readahead"`` cache: small reads fetch a block ahead as fsspec's
  ``"readahead"`` does, but a read of half a block or more (pyarrow's column chunks) is fetched
  exactly as asked, in one call, without the block of read-ahead that nearly doubled a
  single-column read. Pass ``cache_type=`` to pick another.
"""

from __future__ import annotations

import importlib.metadata

import fsspec  # type: ignore[import-untyped]
from fsspec.caching import register_cache  # type: ignore[import-untyped]

from opendal_lab.core.registry import schemes
from opendal_lab.fsspec.cache import ReadaheadExactCache
from opendal_lab.fsspec.file import OpendalFile
from opendal_lab.fsspec.filesystem import OpendalFileSystem, class_name, protocol_class

__all__ = ["OpendalFile", "OpendalFileSystem", "ReadaheadExactCache", "protocol_class"]


def __getattr__(name: str) -> type[OpendalFileSystem]:
    """``OpendalMemoryFileSystem`` and its kin: the class of each ``opendal+<scheme>``."""
    if name.startswith("Opendal") and name.endswith("FileSystem"):
        scheme = name[len("Opendal") : -len("FileSystem")].lower()
        if scheme in schemes() and class_name(scheme) == name:
            return protocol_class(scheme)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def _register() -> None:
    """Register the read cache, and the protocols our ``fsspec.specs`` entry points name
    again (fsspec reads entry points once, when it is first imported)."""
    register_cache(ReadaheadExactCache, clobber=True)
    for ep in importlib.metadata.entry_points(group="fsspec.specs"):
        if ep.value.partition(":")[0] == __name__:
            fsspec.register_implementation(ep.name, ep.value.replace(":", "."), clobber=True)


_register()
