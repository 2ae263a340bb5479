"""The ``Access`` protocol every service and every layer implements, and the bases for both.

Paths reaching an ``Access`` are already normalized (``core/path.py``) and options already
checked (``core/options.py``). Each operation documents the capability it requires:

========== =============================== ===================================================
operation  requires                        behaviour
========== =============================== ===================================================
stat       ``stat``                        metadata of a file, or of ``d/`` as a DIR
read       ``read``                        bytes of a range; ``suffix`` needs ``read_with_suffix``
write      ``write``                       store ``data`` whole; returns the new metadata
writer     ``write``                       a streaming ``Writer``; nothing is visible before close
list       ``list``                        entries under a dir (itself first), or by file prefix
delete     ``delete``                      removes one path; a missing path is not an error
delete_many ``delete``                     batch delete; returns the failures
create_dir ``create_dir``                  makes ``d/`` and its parents
copy       ``copy``                        server-side copy; overwrites, creates parents
rename     ``rename``                      move; overwrites, creates parents
presign    ``presign_<op>``                a request anyone can send until it expires
========== =============================== ===================================================

``Service`` is the base for services: every operation it does not implement raises
``Unsupported``. ``LayeredAccess`` is the base for layers: every operation it does not
override goes straight to ``inner`` at no per-call cost (the bound method of ``inner`` is
copied onto the instance).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar, Generic, Literal, Protocol, TypeVar, runtime_checkable

from opendal_lab.core.capability import Capability
from opendal_lab.core.errors import Error, Unsupported
from opendal_lab.core.options import (
    CopyOptions,
    DeleteOptions,
    ListOptions,
    ReadOptions,
    RenameOptions,
    StatOptions,
    WriteOptions,
)
from opendal_lab.core.types import Entry, Metadata, PresignedRequest

__all__ = [
    "OPERATIONS",
    "Access",
    "AccessInfo",
    "BaseLayer",
    "BufferedWriter",
    "Failures",
    "Layer",
    "LayeredAccess",
    "Service",
    "Writer",
    "WriterWrapper",
    "delete_each",
    "plain_call",
]

OPERATIONS = (
    "stat",
    "read",
    "write",
    "writer",
    "list",
    "delete",
    "delete_many",
    "create_dir",
    "copy",
    "rename",
    "presign",
)

AccessT = TypeVar("AccessT")
PresignOperation = Literal["read", "stat", "write", "delete"]
#: What ``delete_many`` returns: the paths that could not be deleted, with why.
Failures = list[tuple[str, Error]]


@dataclass(frozen=True, slots=True)
class AccessInfo:
    """Who an access is and what it can do at this point of the stack."""

    scheme: str
    root: str
    name: str
    native_capability: Capability
    capability: Capability

    def with_capability(self, capability: Capability) -> AccessInfo:
        return dataclasses.replace(self, capability=capability)


class Writer(Protocol):
    """A streaming write: bytes become visible at ``close``; ``abort`` leaves nothing."""

    def write(self, data: bytes | bytearray | memoryview) -> None: ...
    def close(self) -> Metadata: ...
    def abort(self) -> None: ...


@runtime_checkable
class Access(Protocol):
    def info(self) -> AccessInfo: ...
    def stat(self, path: str, opts: StatOptions) -> Metadata: ...
    def read(self, path: str, opts: ReadOptions) -> bytes: ...
    def write(self, path: str, data: bytes, opts: WriteOptions) -> Metadata: ...
    def writer(self, path: str, opts: WriteOptions) -> Writer: ...
    def list(self, path: str, opts: ListOptions) -> Iterator[Entry]: ...
    def delete(self, path: str, opts: DeleteOptions) -> None: ...
    def delete_many(self, items: Sequence[tuple[str, DeleteOptions]]) -> Failures: ...
    def create_dir(self, path: str) -> None: ...
    def copy(self, source: str, target: str, opts: CopyOptions) -> None: ...
    def rename(self, source: str, target: str, opts: RenameOptions) -> None: ...
    def presign(
        self, operation: PresignOperation, path: str, expire: float, opts: Any
    ) -> PresignedRequest: ...


class BufferedWriter:
    """A ``Writer`` that gathers chunks and hands them to ``access.write`` at close.

    Services whose native write is one shot (memory) use it for ``writer``.
    """

    __slots__ = ("_access", "_chunks", "_opts", "_path")

    def __init__(self, access: Access, path: str, opts: WriteOptions) -> None:
        self._access = access
        self._path = path
        self._opts = opts
        self._chunks: list[bytes] = []

    def write(self, data: bytes | bytearray | memoryview) -> None:
        self._chunks.append(bytes(data))

    def close(self) -> Metadata:
        # The chunks are dropped only once stored, so a close that failed can be retried.
        meta = self._access.write(self._path, b"".join(self._chunks), self._opts)
        self._chunks = []
        return meta

    def abort(self) -> None:
        self._chunks = []


class WriterWrapper(Generic[AccessT]):
    """Base for a layer's streaming writer around the one below: it keeps the inner writer,
    the layer's access (whose hooks it calls) and the path."""

    __slots__ = ("_access", "_inner", "_path")

    def __init__(self, inner: Writer, access: AccessT, path: str) -> None:
        self._inner = inner
        self._access = access
        self._path = path


def delete_each(
    delete: Callable[[str, DeleteOptions], None], items: Sequence[tuple[str, DeleteOptions]]
) -> Failures:
    """Delete one item at a time, collecting failures (a batch for services without one)."""
    failures: Failures = []
    for path, opts in items:
        try:
            delete(path, opts)
        except Error as err:
            failures.append((path, err))
    return failures


class Service:
    """Base for services: declare ``scheme`` and ``native``, implement what you support.

    The default ``write`` goes through ``writer`` and the default ``writer`` buffers into
    ``write``, so a service implements at least one of the two. ``delete_many`` deletes
    one path at a time unless the service has a native batch.

    The base keeps what ``info()`` returns in ``self._access_info``, a name chosen so that a
    subclass's own helpers (``_info``, ``_stat``) do not shadow it; assign to it, as the
    services that learn their capability at run time do, but do not reuse the name.
    """

    scheme: ClassVar[str] = ""
    native: ClassVar[Capability] = Capability()
    #: A dataclass whose fields are the config keys (used to check and coerce config).
    config_class: ClassVar[type | None] = None

    def __init__(self, *, root: str = "/", name: str = "") -> None:
        self._access_info = AccessInfo(self.scheme, root, name, self.native, self.native)

    def info(self) -> AccessInfo:
        return self._access_info

    def _unsupported(self, operation: str, path: str | None = None) -> Unsupported:
        return Unsupported(
            f"service {self.scheme!r} does not support {operation}",
            operation=operation,
            service=self.scheme,
            path=path,
        )

    def stat(self, path: str, opts: StatOptions) -> Metadata:
        raise self._unsupported("stat", path)

    def read(self, path: str, opts: ReadOptions) -> bytes:
        raise self._unsupported("read", path)

    def write(self, path: str, data: bytes, opts: WriteOptions) -> Metadata:
        if type(self).writer is Service.writer:
            raise self._unsupported("write", path)
        w = self.writer(path, opts)
        try:
            w.write(data)
        except BaseException:
            w.abort()
            raise
        return w.close()

    def writer(self, path: str, opts: WriteOptions) -> Writer:
        if type(self).write is Service.write:
            raise self._unsupported("write", path)
        return BufferedWriter(self, path, opts)

    def list(self, path: str, opts: ListOptions) -> Iterator[Entry]:
        raise self._unsupported("list", path)

    def delete(self, path: str, opts: DeleteOptions) -> None:
        raise self._unsupported("delete", path)

    def delete_many(self, items: Sequence[tuple[str, DeleteOptions]]) -> Failures:
        return delete_each(self.delete, items)

    def create_dir(self, path: str) -> None:
        raise self._unsupported("create_dir", path)

    def copy(self, source: str, target: str, opts: CopyOptions) -> None:
        raise self._unsupported("copy", source)

    def rename(self, source: str, target: str, opts: RenameOptions) -> None:
        raise self._unsupported("rename", source)

    def presign(
        self, operation: PresignOperation, path: str, expire: float, opts: Any
    ) -> PresignedRequest:
        raise self._unsupported(f"presign_{operation}", path)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(root={self._access_info.root!r})"


class LayeredAccess:
    """Base for a layer's access: forwards every operation it does not override to ``inner``."""

    def __init__(self, inner: Access, layer: BaseLayer) -> None:
        self.inner = inner
        self.layer = layer
        inner_info = inner.info()
        self._access_info = inner_info.with_capability(layer.capability(inner_info.capability))
        cls = type(self)
        passes = set(layer.forwards_plain)
        for op in OPERATIONS:
            # Not overridden: call inner directly, so an untouched op costs nothing here.
            if getattr(cls, op) is getattr(LayeredAccess, op):
                setattr(self, op, getattr(inner, op))
                passes.add(op)
        # A plain call goes to the nearest level below that acts on it (see Layer): past
        # this one if it declared so, or if it does not override the operation at all.
        self.plain_stat = plain_call(inner, "stat") if "stat" in passes else self.stat
        self.plain_read = plain_call(inner, "read") if "read" in passes else self.read

    def info(self) -> AccessInfo:
        return self._access_info

    def stat(self, path: str, opts: StatOptions) -> Metadata:
        return self.inner.stat(path, opts)

    def read(self, path: str, opts: ReadOptions) -> bytes:
        return self.inner.read(path, opts)

    def write(self, path: str, data: bytes, opts: WriteOptions) -> Metadata:
        return self.inner.write(path, data, opts)

    def writer(self, path: str, opts: WriteOptions) -> Writer:
        return self.inner.writer(path, opts)

    def list(self, path: str, opts: ListOptions) -> Iterator[Entry]:
        return self.inner.list(path, opts)

    def delete(self, path: str, opts: DeleteOptions) -> None:
        return self.inner.delete(path, opts)

    def delete_many(self, items: Sequence[tuple[str, DeleteOptions]]) -> Failures:
        return self.inner.delete_many(items)

    def create_dir(self, path: str) -> None:
        return self.inner.create_dir(path)

    def copy(self, source: str, target: str, opts: CopyOptions) -> None:
        return self.inner.copy(source, target, opts)

    def rename(self, source: str, target: str, opts: RenameOptions) -> None:
        return self.inner.rename(source, target, opts)

    def presign(
        self, operation: PresignOperation, path: str, expire: float, opts: Any
    ) -> PresignedRequest:
        return self.inner.presign(operation, path, expire, opts)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.inner!r})"


def plain_call(access: Access, operation: Literal["stat", "read"]) -> Callable[..., Any]:
    """The method that serves a *plain* ``stat``/``read`` on ``access``: a file path with the
    default options. It is ``access``'s own method unless ``access`` is a layer that only
    forwards plain calls (``BaseLayer.forwards_plain``), in which case it is the one of the
    level below; a service or any other ``Access`` serves them itself."""
    # getattr, not __dict__: reading an instance's __dict__ slows its every attribute load.
    plain: Callable[..., Any] = getattr(access, f"plain_{operation}", None) or getattr(
        access, operation
    )
    return plain


class Layer(Protocol):
    """Wraps an ``Access`` into another, whose ``info()`` may report an edited capability.

    Beyond ``name`` and ``wrap``, a layer declares what the operator asks of it
    (``BaseLayer`` gives each a default, so a layer only states what it changes):

    - ``capability(inner)``: the capability after this layer. SimulateLayer turns on
      ``create_dir`` for a service that lacks it; CapabilityOverrideLayer edits fields.
    - ``capability_effect``: how introspection names a field the layer turned on,
      ``"simulated"`` (SimulateLayer) or ``"overridden"`` (every other layer).
    - ``forwards_plain``: the operations (``stat``, ``read``) for which the layer does
      nothing with a plain call, a file path and default options. CorrectnessCheckLayer
      checks options and SimulateLayer answers ``stat("d/")``, so both declare
      ``{"stat", "read"}``; a plain ``op.stat("k")`` then reaches the service without
      passing them (``plain_call``). A layer that counts, times or retries calls keeps the
      empty default.
    - ``probes_below`` and ``probe(inner, name)``: a layer that watches every level beneath
      it. RecorderLayer sets ``probes_below``; the operator then wraps each level below it
      with ``probe``, innermost first, so the recorder can time where a call spends.
    """

    @property
    def name(self) -> str: ...

    capability_effect: ClassVar[Literal["simulated", "overridden"]]
    forwards_plain: ClassVar[frozenset[str]]
    probes_below: ClassVar[bool]

    def wrap(self, inner: Access) -> Access: ...
    def capability(self, inner: Capability) -> Capability: ...
    def probe(self, inner: Access, name: str) -> Access: ...


class BaseLayer:
    """Base for layers: ``access_class`` wraps ``inner``; every declaration of ``Layer`` has
    its default here (no capability change, no plain forwarding, no probes)."""

    access_class: ClassVar[type[LayeredAccess]] = LayeredAccess
    capability_effect: ClassVar[Literal["simulated", "overridden"]] = "overridden"
    forwards_plain: ClassVar[frozenset[str]] = frozenset()
    probes_below: ClassVar[bool] = False

    @property
    def name(self) -> str:
        return type(self).__name__

    def wrap(self, inner: Access) -> Access:
        return self.access_class(inner, self)

    def capability(self, inner: Capability) -> Capability:
        return inner

    def probe(self, inner: Access, name: str) -> Access:
        return inner

    def __repr__(self) -> str:
        return f"{self.name}()"
