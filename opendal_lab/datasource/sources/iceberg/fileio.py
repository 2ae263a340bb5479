"""OpendalFileIO: PyIceberg's FileIO on opendal_lab operators, through the fsspec face.

PyIceberg reads every file of a table (metadata JSON, manifest lists, manifests, data and
delete files) through a ``FileIO`` chosen by the catalog property ``py-io-impl``. This one
opens each location on an opendal_lab operator: ``IcebergSource`` sets
``py-io-impl`` to ``PY_IO_IMPL``, so the catalog and the scan both read through it.

A location's scheme picks the operator's service, through the ``opendal+<scheme>``
protocols of ``opendal_lab.fsspec``:

- ``opendal+<scheme>://...`` (``opendal+memory://lab/wh/...``): that protocol, as written;
- ``file:///abs/...``, Hadoop's ``file:/abs/...`` or a plain absolute path: ``opendal+fs``;
- ``s3://``, ``s3a://``, ``s3n://``: ``opendal+s3`` (tables Spark or Java wrote);
- any other ``<scheme>://`` with an ``opendal+<scheme>`` protocol registered with fsspec.

Each filesystem is built (once per FileIO, per protocol and store) with the FileIO's
``opendal.<key>`` properties as the operator's config (``opendal.endpoint``,
``opendal.region``, ``opendal.access_key_id``, ``opendal.layers`` ...). For s3, PyIceberg's
own ``s3.endpoint``, ``s3.region``, ``s3.access-key-id``, ``s3.secret-access-key`` and
``s3.session-token`` (what a REST catalog vends) fill the keys ``opendal.*`` leaves unset.

Why not PyIceberg's ``FsspecFileIO``: its filesystems are one per scheme, built by its own
table of constructors, while ours are one per store (an ``opendal+memory`` filesystem serves
one named store) and a location must be translated (``s3://`` to ``opendal+s3://``). PyIceberg
0.9+ opens data and delete files through ``FileIO.new_input`` only, so any FileIO serves a
scan.
"""

from __future__ import annotations

import errno
import os
import threading
from typing import Any
from urllib.parse import urlsplit

import fsspec  # type: ignore[import-untyped]
from fsspec.core import url_to_fs  # type: ignore[import-untyped]
from pyiceberg.io import FileIO, InputFile, InputStream, OutputFile, OutputStream

from opendal_lab.core.errors import ConfigInvalid

__all__ = ["PROPERTY_PREFIX", "PY_IO_IMPL", "OpendalFileIO", "protocol_url"]

#: The ``py-io-impl`` value that selects this FileIO.
PY_IO_IMPL = "opendal_lab.datasource.sources.iceberg.fileio.OpendalFileIO"
#: FileIO properties with this prefix are the operator's config.
PROPERTY_PREFIX = "opendal."

_ALIASES = {"file": "fs", "s3a": "s3", "s3n": "s3"}
# PyIceberg's own s3 properties, as opendal_lab's s3 config keys.
_S3_PROPERTIES = {
    "s3.endpoint": "endpoint",
    "s3.region": "region",
    "s3.access-key-id": "access_key_id",
    "s3.secret-access-key": "secret_access_key",
    "s3.session-token": "session_token",
}


def protocol_url(location: str) -> str:
    """``location`` as an ``opendal+<scheme>://`` URL (module docstring); ConfigInvalid if none."""
    if location[:6].lower() == "file:/" and location[6:7] != "/":
        location = location[5:]  # Hadoop's file:/abs/path (Spark's and Java's tables)
    scheme, sep, rest = location.partition("://")
    if not sep:
        if not os.path.isabs(location):
            raise ConfigInvalid(
                f"IcebergSource: the location {location!r} is neither a URL nor an absolute path",
                operation="iceberg",
                path=location,
            )
        return "opendal+fs://" + location
    scheme = scheme.lower()
    if scheme.startswith("opendal+"):
        return location
    protocol = "opendal+" + _ALIASES.get(scheme, scheme)
    if protocol not in fsspec.available_protocols():
        served = sorted(p for p in fsspec.available_protocols() if p.startswith("opendal+"))
        raise ConfigInvalid(
            f"IcebergSource: no opendal_lab service reads {scheme}:// (the location "
            f"{location!r}); served: file, s3, {', '.join(served)}",
            operation="iceberg",
            path=location,
        )
    return f"{protocol}://{rest}"


class OpendalFileIO(FileIO):
    """A PyIceberg FileIO whose files are on opendal_lab operators (module docstring)."""

    def __init__(self, properties: dict[str, str] | None = None) -> None:
        super().__init__(properties=dict(properties or {}))
        self._filesystems: dict[tuple[str, str], Any] = {}
        self._lock = threading.Lock()

    def config(self, protocol: str) -> dict[str, str]:
        """The operator config for ``protocol`` from this FileIO's properties."""
        config = {
            key[len(PROPERTY_PREFIX) :]: value
            for key, value in self.properties.items()
            if key.startswith(PROPERTY_PREFIX)
        }
        if protocol == "opendal+s3":
            for name, key in _S3_PROPERTIES.items():
                if name in self.properties and key not in config:
                    config[key] = self.properties[name]
        return config

    def resolve(self, location: str) -> tuple[Any, str]:
        """The filesystem holding ``location`` and its path there."""
        url = protocol_url(location)
        parts = urlsplit(url)
        key = (parts.scheme, parts.netloc)
        fs = self._filesystems.get(key)
        if fs is None:
            with self._lock:
                fs = self._filesystems.get(key)
                if fs is None:
                    fs, _ = url_to_fs(url, **self.config(parts.scheme))
                    self._filesystems[key] = fs
        return fs, fs._strip_protocol(url)

    def new_input(self, location: str) -> OpendalInputFile:
        fs, path = self.resolve(location)
        return OpendalInputFile(location, fs, path)

    def new_output(self, location: str) -> OpendalOutputFile:
        fs, path = self.resolve(location)
        return OpendalOutputFile(location, fs, path)

    def delete(self, location: str | InputFile | OutputFile) -> None:
        where = location if isinstance(location, str) else location.location
        fs, path = self.resolve(where)
        fs.rm(path)

    def __getstate__(self) -> dict[str, Any]:
        # Filesystems and the lock stay behind: a worker builds its own from the properties.
        return {"properties": self.properties}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__init__(state["properties"])  # type: ignore[misc]


class OpendalInputFile(InputFile):
    """One location to read, on its filesystem."""

    def __init__(self, location: str, fs: Any, path: str) -> None:
        super().__init__(location)
        self._fs = fs
        self._path = path

    def __len__(self) -> int:
        return int(self._fs.info(self._path)["size"])

    def exists(self) -> bool:
        return bool(self._fs.lexists(self._path))

    def open(self, seekable: bool = True) -> InputStream:
        try:
            return self._fs.open(self._path, "rb")  # type: ignore[no-any-return]
        except FileNotFoundError as exc:
            # PyIceberg's errors name the location: keep the table's own name for the file.
            raise FileNotFoundError(errno.ENOENT, os.strerror(errno.ENOENT), self.location) from exc


class OpendalOutputFile(OutputFile):
    """One location to write (PyIceberg's commits, when a catalog writes through us)."""

    def __init__(self, location: str, fs: Any, path: str) -> None:
        super().__init__(location)
        self._fs = fs
        self._path = path

    def __len__(self) -> int:
        return int(self._fs.info(self._path)["size"])

    def exists(self) -> bool:
        return bool(self._fs.lexists(self._path))

    def create(self, overwrite: bool = False) -> OutputStream:
        if not overwrite and self.exists():
            raise FileExistsError(f"cannot create {self.location}: it exists")
        return self._fs.open(self._path, "wb")  # type: ignore[no-any-return]

    def to_input_file(self) -> OpendalInputFile:
        return OpendalInputFile(self.location, self._fs, self._path)
