"""Operator: the user's handle on a service wrapped in layers.

A call enters here, passes the layers outermost first, reaches the service, and comes
back the same way. The default stack, innermost first, is::

    service → ErrorContext → Simulate → Complete → CorrectnessCheck → user layers

``Operator("fs", root="/data")``, ``Operator.from_uri("memory://scratch")`` and
``Operator.from_service(svc)`` build one; ``op.layer(L)`` returns a new operator with ``L``
outermost; ``op.with_simulate(SimulateLayer(stat_dir=False))`` swaps the simulate layer
(``None`` drops it). ``simulate=`` also takes config: ``{"create_dir": False}``, ``"none"``,
``"default"``, and the keys ``simulate.<switch>=false`` (a URI query,
``memory://x?simulate.create_dir=false``, or fsspec ``storage_options``); every route reads
it through ``simulate_layer`` (``core/layers/simulate.py``). Method names and keyword
options follow the ``opendal`` binding.

Introspection: ``op.native_capability()``, ``op.capability()``, ``op.stack`` (every level
with the capability after it), ``op.capability_changes()`` and ``op.capability_report()``
(per field: native / simulated / overridden / removed / unsupported, and the layer that
made it so).

Many at once: ``op.read_many(paths)``, ``op.stat_many(paths)``, ``op.write_many({path:
data})`` overlap their calls on threads (up to ``concurrency=``, default 32, never more
than a ConcurrentLimitLayer's permits) and return results in the order given; the first
failure in that order is raised, naming its path, or with ``return_exceptions=True`` each
failure stands in its place. ``op.run_many(fn, items)`` does the same for any call; the
rules are ``opendal_lab.core.pool``'s. ``AsyncOperator.from_operator(op)`` gives the same
stack's calls as coroutines (``core/async_operator.py``).
"""

from __future__ import annotations

import codecs
import dataclasses
import io
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal, TypeVar

from opendal_lab.core import path as paths
from opendal_lab.core.access import Access, AccessInfo, Layer, plain_call
from opendal_lab.core.capability import Capability, group_of
from opendal_lab.core.errors import (
    ConfigInvalid,
    Error,
    IsADirectory,
    IsSameFile,
    NotADirectory,
    NotFound,
    Unsupported,
)
from opendal_lab.core.file import RangeReader, StreamWriter, TextWriteFile, WriteFile
from opendal_lab.core.layers.complete import CompleteLayer
from opendal_lab.core.layers.correctness_check import CorrectnessCheckLayer
from opendal_lab.core.layers.error_context import ErrorContextLayer, add_context, chained_cause
from opendal_lab.core.layers.simulate import SimulateSpec, simulate_layer, switch_keys
from opendal_lab.core.options import (
    DEFAULT_COPY,
    DEFAULT_DELETE,
    DEFAULT_LIST,
    DEFAULT_READ,
    DEFAULT_RENAME,
    DEFAULT_STAT,
    DEFAULT_WRITE,
    CopyOptions,
    DeleteOptions,
    ListOptions,
    ReadOptions,
    RenameOptions,
    StatOptions,
    WriteOptions,
    _Options,
)
from opendal_lab.core.pool import check_concurrency, run_ordered, stack_limit
from opendal_lab.core.registry import build_layers, build_service, did_you_mean, parse_uri
from opendal_lab.core.types import Entry, Metadata, PresignedRequest

__all__ = ["CapabilityChange", "CapabilityReport", "FieldState", "Operator", "StackLevel"]

State = Literal["native", "simulated", "overridden", "removed", "unsupported"]
_DEFAULT: Any = object()
_FILES_MAX = 1 << 14  # file paths an operator remembers in canonical form
_O = TypeVar("_O", bound=_Options)
_T = TypeVar("_T")
#: What a bulk call returns (``list`` is a method name inside Operator): one result per
#: item, in order, a failed item's exception in its place with ``return_exceptions``.
BulkResults = list[Any]


@dataclass(frozen=True)
class StackLevel:
    """One level of the stack: the service (``layer is None``) or a layer, and its capability."""

    name: str
    layer: Layer | None
    access: Access
    capability: Capability


@dataclass(frozen=True)
class CapabilityChange:
    field: str
    layer: str
    before: Any
    after: Any
    how: State


@dataclass(frozen=True)
class FieldState:
    """Where one capability field stands after the whole stack."""

    field: str
    group: str
    state: State
    native: Any
    effective: Any
    layer: str | None
    changes: tuple[CapabilityChange, ...] = ()


class CapabilityReport(dict[str, FieldState]):
    """``Operator.capability_report()``: a plain dict of field → FieldState, except that
    an unknown field raises a KeyError naming the closest fields and how to list them all."""

    __slots__ = ()

    def __missing__(self, key: Any) -> FieldState:
        hint = did_you_mean(key, self) if isinstance(key, str) else ""
        raise KeyError(
            f"no capability field {key!r}{hint}; list(report) or Capability.field_names() "
            f"shows all {len(self)}"
        )


def _simulate_of(simulate: Any, switches: Mapping[str, Any], scheme: str) -> Layer | None:
    """The simulate layer of ``simulate=`` plus ``simulate.<switch>`` keys; the default one
    when neither is given."""
    try:
        return simulate_layer("default" if simulate is _DEFAULT else simulate, switches)
    except ConfigInvalid as err:
        raise err.fill("", scheme, None) from None


def _default_layers(simulate: Layer | None) -> list[Layer]:
    stack: list[Layer] = [ErrorContextLayer()]
    if simulate is not None:
        stack.append(simulate)
    stack += [CompleteLayer(), CorrectnessCheckLayer()]
    return stack


class Operator:
    """A service behind the default layers and the user's; see the module docstring."""

    def __init__(
        self,
        scheme: str,
        /,
        *,
        simulate: SimulateSpec = _DEFAULT,
        layers: Sequence[Layer | str | Mapping[str, Any]] | str = (),
        **config: Any,
    ) -> None:
        if not isinstance(scheme, str):
            raise TypeError(
                f"Operator(scheme): scheme must be str, got {type(scheme).__name__}; "
                "use Operator.from_service() for a service object"
            )
        # Read before the service is built: a bad setting costs no connection.
        layer = _simulate_of(simulate, switch_keys(config), scheme)
        self._scheme_config: tuple[str, dict[str, Any]] | None = (scheme, dict(config))
        self._setup(build_service(scheme, config), layer, layers)

    @classmethod
    def from_service(
        cls,
        service: Access,
        *,
        simulate: SimulateSpec = _DEFAULT,
        layers: Sequence[Layer | str | Mapping[str, Any]] | str = (),
    ) -> Operator:
        """An operator over an already built service (or any ``Access``)."""
        if not isinstance(service, Access):
            raise TypeError(f"from_service() needs an Access, got {type(service).__name__}")
        op = cls.__new__(cls)
        op._scheme_config = None
        op._setup(service, _simulate_of(simulate, {}, service.info().scheme), layers)
        return op

    @classmethod
    def from_uri(cls, uri: str, /, **config: Any) -> Operator:
        """``memory://name``, ``fs:///abs/dir``, ``file:///abs/dir``; query keys are config
        (``?simulate=none``, ``?simulate.create_dir=false``: the simulate layer's)."""
        scheme, from_uri = parse_uri(uri)
        # ?layers=logging,retry in the query sits below layers given as a keyword.
        layers = [
            *build_layers(from_uri.pop("layers", ())),
            *build_layers(config.pop("layers", ())),
        ]
        # A keyword wins over the query, as for every key; simulate.<switch> keys stay config.
        simulate = config.pop("simulate", from_uri.pop("simulate", _DEFAULT))
        return cls(scheme, simulate=simulate, layers=layers, **{**from_uri, **config})

    def _setup(self, service: Access, simulate: Layer | None, layers: Sequence[Any] | str) -> None:
        # Names and dicts become layers (URI queries, config files).
        layers = build_layers(layers)
        for layer in (*layers, *([simulate] if simulate is not None else [])):
            if not callable(getattr(layer, "wrap", None)):
                raise TypeError(f"layer {layer!r} is not a layer: it has no wrap(inner) method")
        self._service = service
        self._simulate = simulate
        self._user_layers: tuple[Layer, ...] = tuple(layers)
        info = service.info()
        levels: list[StackLevel] = [StackLevel(info.scheme, None, service, info.capability)]
        all_layers = self._all_layers()
        # A layer that probes the levels below it (RecorderLayer) wraps each of them too.
        probing = [i for i, layer in enumerate(all_layers) if layer.probes_below]
        prober = all_layers[probing[-1]] if probing else None
        access: Access = service if prober is None else prober.probe(service, info.scheme)
        for position, layer in enumerate(all_layers):
            access = layer.wrap(access)
            levels.append(StackLevel(layer.name, layer, access, access.info().capability))
            if prober is not None and position < probing[-1]:
                access = prober.probe(access, layer.name)
        self._access = access
        self._levels = tuple(levels)
        self._scheme = info.scheme
        # Where a plain stat or read (a file path, default options) enters the one chain.
        self._plain_stat: Callable[[str, StatOptions], Metadata] = plain_call(access, "stat")
        self._plain_read: Callable[[str, ReadOptions], bytes] = plain_call(access, "read")
        self._files: dict[str, str] = {}  # file paths met, each with its canonical form

    def _all_layers(self) -> list[Layer]:
        return [*_default_layers(self._simulate), *self._user_layers]

    # -- building --------------------------------------------------------------------
    def layer(self, layer: Layer) -> Operator:
        """A new operator with ``layer`` outermost."""
        return self._rebuild(self._simulate, (*self._user_layers, layer))

    def with_simulate(self, simulate: SimulateSpec) -> Operator:
        """A new operator whose default SimulateLayer is ``simulate`` (``None``: no simulation;
        a dict or ``"none"``/``"default"`` as ``Operator(simulate=...)`` takes them)."""
        return self._rebuild(_simulate_of(simulate, {}, self._scheme), self._user_layers)

    def _rebuild(self, simulate: Layer | None, layers: Sequence[Layer]) -> Operator:
        op = Operator.__new__(Operator)
        op._scheme_config = self._scheme_config
        op._setup(self._service, simulate, layers)
        return op

    # -- introspection ---------------------------------------------------------------
    @property
    def scheme(self) -> str:
        return self._scheme

    def info(self) -> AccessInfo:
        """Scheme, root, name and capability at the top of the stack (a method, as
        ``Access.info()`` and the binding's ``capability()``)."""
        return self._access.info()

    @property
    def stack(self) -> tuple[StackLevel, ...]:
        """The service then every layer, innermost first, with the capability after each."""
        return self._levels

    @property
    def simulate(self) -> Layer | None:
        """The simulate layer (a SimulateLayer unless another was given), None for none."""
        return self._simulate

    def capability(self) -> Capability:
        """What this operator can do, simulations included."""
        return self._levels[-1].capability

    def native_capability(self) -> Capability:
        """What the service can do by itself."""
        return self._levels[0].capability

    def capability_changes(self) -> list[CapabilityChange]:
        """Every field change, in stack order, with the layer that made it and how."""
        changes: list[CapabilityChange] = []
        for below, level in zip(self._levels, self._levels[1:], strict=False):
            effect: State = level.layer.capability_effect if level.layer else "overridden"
            for field, (before, after) in below.capability.diff(level.capability).items():
                if before not in (False, None) and after in (False, None):
                    how: State = "removed"
                elif before in (False, None):
                    how = effect
                else:
                    how = "overridden"
                changes.append(CapabilityChange(field, level.name, before, after, how))
        return changes

    def capability_report(self) -> CapabilityReport:
        """Per field: its state after the stack and the layer responsible (widgets draw this);
        a dict, whose unknown keys raise a KeyError that names the closest fields."""
        by_field: dict[str, list[CapabilityChange]] = {}
        for change in self.capability_changes():
            by_field.setdefault(change.field, []).append(change)
        native, effective = self.native_capability(), self.capability()
        report = CapabilityReport()
        for field in Capability.field_names():
            history = tuple(by_field.get(field, ()))
            value = getattr(effective, field)
            if history:
                state, layer = history[-1].how, history[-1].layer
            else:
                state, layer = ("unsupported" if value in (False, None) else "native"), None
            report[field] = FieldState(
                field, group_of(field), state, getattr(native, field), value, layer, history
            )
        return report

    # -- read side -------------------------------------------------------------------
    def stat(self, path: str, **options: Any) -> Metadata:
        """Metadata of ``path``; ``d/`` asks for a directory."""
        try:
            p = self._files[path]  # a file path met before: plain unless options are given
            plain = not options
        except (KeyError, TypeError):
            p = self._path(path, "stat")
            plain = not options and p[-1] != "/"
        if not plain:
            opts = self._options(StatOptions, options, p) if options else DEFAULT_STAT
            return self._access.stat(p, opts)
        try:
            return self._plain_stat(p, DEFAULT_STAT)
        except Exception as err:  # a no-op fill unless the call went straight to the service
            raise add_context(err, "stat", self._scheme, p) from chained_cause(err)

    def exists(self, path: str) -> bool:
        """Whether ``path`` exists; ``d/`` asks for a directory."""
        try:
            self.stat(path)
        except NotFound:
            return False
        return True

    def read(self, path: str, **options: Any) -> bytes:
        """The bytes of ``path``: all, ``offset``/``size``, or the last ``suffix`` bytes."""
        try:
            p = self._files[path]  # a file path met before
            is_dir = False
        except (KeyError, TypeError):
            p = self._path(path, "read")
            is_dir = p[-1] == "/"
        if is_dir:
            raise self._is_dir("read", p)
        if options:
            return self._access.read(p, self._options(ReadOptions, options, p))
        try:
            return self._plain_read(p, DEFAULT_READ)
        except Exception as err:
            raise add_context(err, "read", self._scheme, p) from chained_cause(err)

    def list(self, path: str = "/", **options: Any) -> Iterator[Entry]:
        """Entries under ``path`` (itself first for a dir); options: recursive, start_after,
        limit (a page size: every entry is still yielded), versions, deleted."""
        p = paths.normalize(path, "list")
        opts = self._options(ListOptions, options, p) if options else DEFAULT_LIST
        if opts.start_after is not None:
            try:
                opts.start_after = paths.normalize(opts.start_after, "list")
            except Error as err:
                err.fill("list", self._scheme, p)
                raise
        return self._access.list(p, opts)

    def scan(self, path: str = "/", **options: Any) -> Iterator[Entry]:
        """A recursive ``list`` (the binding's ``scan``)."""
        return self.list(path, recursive=True, **options)

    def open(self, path: str, mode: str = "rb", **options: Any) -> io.IOBase:
        """A file object: ``"rb"``/``"r"`` read with seek; ``"wb"``/``"w"`` write on close.

        Reading options: ``buffer_size`` and those of ``read`` that pick a version or
        condition. Writing options: ``buffer_size`` and those of ``write``.
        """
        p = paths.normalize(path, "open")
        if mode not in ("rb", "wb", "r", "w"):
            raise ConfigInvalid(
                f"open(): mode must be 'rb', 'wb', 'r' or 'w', got {mode!r}",
                operation="open",
                service=self._scheme,
                path=p,
            )
        if p[-1] == "/":
            raise self._is_dir("open", p)
        buffer_size = options.pop("buffer_size", 8 * 1024 * 1024 if "w" in mode else 1024 * 1024)
        encoding = options.pop("encoding", "utf-8")
        # Check every option before touching storage: a bad one must neither hide behind
        # NotFound nor fail after a writer (and its temporary file) exists.
        try:
            _check_open_options(buffer_size, encoding)
        except Error as err:
            err.fill("open", self._scheme, p)
            raise
        if mode.startswith("r"):
            ranged = [k for k in ("offset", "size", "suffix") if options.get(k) is not None]
            if ranged:
                raise ConfigInvalid(
                    f"open(): option {ranged[0]!r} is not supported; seek() in the file instead",
                    operation="open",
                    service=self._scheme,
                    path=p,
                )
            base = self._options(ReadOptions, options, p) if options else DEFAULT_READ
            stat_opts = {k: v for k, v in options.items() if k in StatOptions._field_kinds}
            length = self.stat(p, **stat_opts).content_length or 0

            def read_range(offset: int, size: int) -> bytes:
                return self._access.read(p, _with_range(base, offset, size))

            reader = io.BufferedReader(RangeReader(p, length, read_range), buffer_size)
            return reader if mode == "rb" else io.TextIOWrapper(reader, encoding=encoding)
        opts = self._options(WriteOptions, options, p) if options else DEFAULT_WRITE
        raw = StreamWriter(p, self._access.writer(p, opts))
        writer = WriteFile(raw, buffer_size)
        return writer if mode == "wb" else TextWriteFile(writer, encoding)

    # -- write side ------------------------------------------------------------------
    def write(self, path: str, data: bytes | bytearray | memoryview, **options: Any) -> Metadata:
        """Store ``data`` at ``path`` whole; options: append, if_not_exists, if_match,
        if_none_match, content_type, content_disposition, content_encoding, cache_control,
        user_metadata."""
        p = paths.normalize(path, "write")
        if p[-1] == "/":
            raise self._is_dir("write", p)
        if type(data) is not bytes:
            if not isinstance(data, (bytearray, memoryview)):
                raise TypeError(
                    f"write(): data must be bytes, bytearray or memoryview, "
                    f"got {type(data).__name__}"
                )
            data = bytes(data)
        return self._access.write(
            p, data, self._options(WriteOptions, options, p) if options else DEFAULT_WRITE
        )

    def writer(self, path: str, **options: Any) -> WriteFile:
        """A binary file object that streams to ``path`` (same as ``open(path, "wb")``)."""
        return self.open(path, "wb", **options)  # type: ignore[return-value]

    def create_dir(self, path: str) -> None:
        """Create directory ``path`` (it must end with ``/``) and its parents."""
        p = paths.normalize(path, "create_dir")
        if p[-1] != "/":
            raise NotADirectory(
                "create_dir needs a directory path ending with '/'",
                operation="create_dir",
                service=self._scheme,
                path=p,
            )
        if p != paths.ROOT:
            self._access.create_dir(p)

    def delete(self, path: str, **options: Any) -> None:
        """Delete ``path`` (a missing path is fine); ``recursive=True`` also removes
        everything under ``path/``; ``version`` deletes one version."""
        p = paths.normalize(path, "delete")
        self._access.delete(
            p, self._options(DeleteOptions, options, p) if options else DEFAULT_DELETE
        )

    def delete_many(self, paths_or_versions: Iterable[str | tuple[str, str | None]]) -> None:
        """Delete many paths in batches (``delete_max_size`` each); raise the first failure."""
        items: list[tuple[str, DeleteOptions]] = []
        for item in paths_or_versions:
            if isinstance(item, tuple):
                p, version = item
                opts = DeleteOptions.build({"version": version}) if version else DEFAULT_DELETE
            else:
                p, opts = item, DEFAULT_DELETE
            items.append((paths.normalize(p, "delete"), opts))
        batch = self.capability().delete_max_size or 1000
        failures: list[tuple[str, Error]] = []
        for start in range(0, len(items), batch):
            failures += self._access.delete_many(items[start : start + batch])
        if failures:
            _, first = failures[0]
            raise first.with_context("failed", len(failures)).with_context("batch", len(items))

    def remove_all(self, path: str) -> None:
        """Delete ``path`` and everything below it."""
        self.delete(path, recursive=True)

    def copy(self, source: str, target: str, **options: Any) -> None:
        """Copy a file; overwrites ``target`` and creates its parents."""
        s, t = self._pair("copy", source, target)
        opts = self._options(CopyOptions, options, s, t) if options else DEFAULT_COPY
        self._access.copy(s, t, opts)

    def rename(self, source: str, target: str, **options: Any) -> None:
        """Move a file; overwrites ``target`` and creates its parents."""
        s, t = self._pair("rename", source, target)
        opts = self._options(RenameOptions, options, s, t) if options else DEFAULT_RENAME
        self._access.rename(s, t, opts)

    def _pair(self, operation: str, source: str, target: str) -> tuple[str, str]:
        s, t = paths.normalize(source, operation), paths.normalize(target, operation)
        for p in (s, t):
            if p[-1] == "/":
                raise self._is_dir(operation, p).with_context("from", s).with_context("to", t)
        if s == t:
            raise IsSameFile(
                "source and target are the same path",
                operation=operation,
                service=self._scheme,
                path=s,
            )
        return s, t

    # -- many at once ------------------------------------------------------------------
    def read_many(
        self,
        paths: Iterable[str],
        *,
        concurrency: int | None = None,
        return_exceptions: bool = False,
        **options: Any,
    ) -> BulkResults:
        """The bytes of each path, in order, read concurrently (options as ``read``'s);
        a list of ``bytes``, or of ``bytes | Exception`` with ``return_exceptions``."""
        items = _path_list("read_many", paths)
        read = self.read
        return self.run_many(
            (lambda p: read(p, **options)) if options else read,
            items,
            concurrency=concurrency,
            return_exceptions=return_exceptions,
            name="read_many",
        )

    def stat_many(
        self,
        paths: Iterable[str],
        *,
        concurrency: int | None = None,
        return_exceptions: bool = False,
        **options: Any,
    ) -> BulkResults:
        """The metadata of each path, in order, asked concurrently (options as ``stat``'s)."""
        items = _path_list("stat_many", paths)
        stat = self.stat
        return self.run_many(
            (lambda p: stat(p, **options)) if options else stat,
            items,
            concurrency=concurrency,
            return_exceptions=return_exceptions,
            name="stat_many",
        )

    def write_many(
        self,
        items: Mapping[str, bytes | bytearray | memoryview]
        | Iterable[tuple[str, bytes | bytearray | memoryview]],
        *,
        concurrency: int | None = None,
        return_exceptions: bool = False,
        **options: Any,
    ) -> BulkResults:
        """Write each ``path: data`` (a mapping or pairs) concurrently, options as ``write``'s;
        the new metadata of each, in order."""
        pairs = list(items.items() if isinstance(items, Mapping) else items)
        for pair in pairs:
            if not (isinstance(pair, tuple) and len(pair) == 2 and isinstance(pair[0], str)):
                raise TypeError(
                    f"write_many(): give a mapping of path to data or (path, data) pairs, "
                    f"got an item {type(pair).__name__}"
                )
        write = self.write
        return self.run_many(
            lambda pair: write(pair[0], pair[1], **options),
            pairs,
            concurrency=concurrency,
            return_exceptions=return_exceptions,
            name="write_many",
            label=lambda pair: repr(pair[0]),
        )

    def run_many(
        self,
        fn: Callable[[_T], Any],
        items: Sequence[_T],
        *,
        concurrency: int | None = None,
        return_exceptions: bool = False,
        name: str = "run_many",
        label: Callable[[_T], str] = repr,
    ) -> BulkResults:
        """``[fn(item) for item in items]`` with up to ``concurrency`` calls in flight
        (default 32), bounded by this operator's layers (``concurrency_limit()``)."""
        limit = check_concurrency(concurrency, self.concurrency_limit(), f"{name}(): ")
        return run_ordered(
            fn,
            items,
            concurrency=limit,
            return_exceptions=return_exceptions,
            name=name,
            label=label,
        )

    def concurrency_limit(self) -> int | None:
        """Calls the layers let a bulk call run at once (a ConcurrentLimitLayer's permits,
        1 in a thread holding one of them); ``None``: no layer bounds them."""
        return stack_limit(level.layer for level in self._levels)

    # -- presign -----------------------------------------------------------------------
    def presign_read(self, path: str, expire_second: float) -> PresignedRequest:
        return self._presign("read", path, expire_second)

    def presign_stat(self, path: str, expire_second: float) -> PresignedRequest:
        return self._presign("stat", path, expire_second)

    def presign_write(self, path: str, expire_second: float) -> PresignedRequest:
        return self._presign("write", path, expire_second)

    def presign_delete(self, path: str, expire_second: float) -> PresignedRequest:
        return self._presign("delete", path, expire_second)

    def _presign(
        self, operation: Literal["read", "stat", "write", "delete"], path: str, expire: float
    ) -> PresignedRequest:
        p = paths.normalize(path, f"presign_{operation}")
        if not getattr(self.capability(), f"presign_{operation}"):
            raise Unsupported(
                f"service {self._scheme!r} cannot presign {operation}",
                operation=f"presign_{operation}",
                service=self._scheme,
                path=p,
            )
        if not isinstance(expire, (int, float)) or isinstance(expire, bool) or expire <= 0:
            raise ConfigInvalid(
                f"expire_second must be a positive number, got {expire!r}",
                operation=f"presign_{operation}",
                service=self._scheme,
                path=p,
            )
        return self._access.presign(operation, p, float(expire), None)

    # -- health --------------------------------------------------------------------------
    def check(self) -> None:
        """Raise if the service cannot be reached: stats the root and lists it (both where
        supported, since either may be answered without asking the server: s3 knows its
        root is a dir, ImmutableIndexLayer lists from its index)."""
        cap = self.capability()
        if cap.stat:
            self._access.stat(paths.ROOT, DEFAULT_STAT)
        if cap.list:
            next(iter(self._access.list(paths.ROOT, DEFAULT_LIST)), None)

    # -- helpers -------------------------------------------------------------------------
    def _options(
        self, cls: type[_O], options: dict[str, Any], p: str, target: str | None = None
    ) -> _O:
        """``cls.build(options)``; a bad value's ConfigInvalid says service and path too, like
        every error from the stack (a wrong type stays a plain TypeError)."""
        try:
            return cls.build(options)
        except Error as err:
            if target is None:
                err.fill(cls.operation, self._scheme, p)
            else:  # copy and rename: no single path, from/to as ErrorContext gives them
                err.fill(cls.operation, self._scheme, None)
                err.with_context("from", p).with_context("to", target)
            raise

    def _path(self, path: str, operation: str) -> str:
        """``path`` normalized; a file path is remembered in ``_files``. An operator meets the
        same few files again and again, and one dict hit is cheaper than any check: it keeps
        a plain stat or read within twice the bare service call (bench/bench_core.py)."""
        p = paths.normalize(path, operation)
        if p[-1] != "/":
            files = self._files
            if len(files) >= _FILES_MAX:
                files.clear()
            files[path] = p
        return p

    def _is_dir(self, operation: str, p: str) -> IsADirectory:
        return IsADirectory(
            f"{operation} needs a file path, {p!r} names a directory",
            operation=operation,
            service=self._scheme,
            path=p,
        )

    def __repr__(self) -> str:
        names = " → ".join(level.name for level in self._levels)
        return f"<Operator {self._scheme} root={self.info().root!r}: {names}>"

    def __reduce__(self) -> tuple[Any, ...]:
        # Rebuilt from scheme and config where known, so workers open their own clients.
        source: Any = self._scheme_config if self._scheme_config else self._service
        return (_rebuild_operator, (source, self._simulate, self._user_layers))


def _rebuild_operator(source: Any, simulate: Any, layers: Sequence[Layer]) -> Operator:
    if isinstance(source, tuple):
        scheme, config = source
        return Operator(scheme, simulate=simulate, layers=layers, **config)
    return Operator.from_service(source, simulate=simulate, layers=layers)


def _path_list(operation: str, paths: Iterable[str]) -> list[str]:
    if isinstance(paths, (str, bytes)):
        raise TypeError(f"{operation}(): give a list of paths, not one {type(paths).__name__}")
    return list(paths)


def _with_range(base: ReadOptions, offset: int, size: int) -> ReadOptions:
    # Keep every version, condition and override the caller gave open(): only the range changes.
    return dataclasses.replace(base, offset=offset, size=size)


def _check_open_options(buffer_size: Any, encoding: Any) -> None:
    if not isinstance(buffer_size, int) or isinstance(buffer_size, bool):
        raise TypeError(
            f"open(): option 'buffer_size' must be int, got {type(buffer_size).__name__}"
        )
    if buffer_size <= 0:
        raise ConfigInvalid(
            f"open(): option 'buffer_size' must be > 0, got {buffer_size}", operation="open"
        )
    if not isinstance(encoding, str):
        raise TypeError(f"open(): option 'encoding' must be str, got {type(encoding).__name__}")
    try:
        codecs.lookup(encoding)
    except LookupError:
        raise ConfigInvalid(
            f"open(): option 'encoding' names no known codec: {encoding!r}", operation="open"
        ) from None
