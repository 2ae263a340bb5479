"""SimulateLayer: builds what a service lacks natively from what it has, one switch each.

======================= ======================================= ==================================
switch                  acts when                               how
======================= ======================================= ==================================
``list_recursive``      recursive list, not native              depth-first walk of plain lists
``list_start_after``    ``start_after`` asked, not native       skip entries ``<= start_after``
``list_limit``          ``limit`` asked, not native             a page size hint: drop it
``stat_dir``            ``stat("d/")``, no native create_dir    list ``d/``: any entry → DIR
``create_dir``          create_dir, not native (needs write     write an empty ``d/`` object
                        of empty objects and list)
``delete_recursive``    recursive delete, not native            list everything below, batch delete
``read_with_suffix``    "last N bytes", not native              stat for the length, ranged read
======================= ======================================= ==================================

Every switch is on by default and each one can be turned off (``SimulateLayer(stat_dir=False)``
or ``layer.with_switch("stat_dir", False)``). A switch that acts turns on its capability field,
so ``op.capability()`` tells the truth, and introspection marks the field *simulated*.
``layer.counters`` counts how often each simulation ran. Adding the layer to a service that
needs none of its switches warns with ``SimulationNotNeeded``.

``SWITCH_INFO`` says, per switch, what it does and what it costs in storage calls, in words
for people (the widgets draw it); ``SWITCH_FIELDS`` names the field each one turns on.

The default operator stack puts it right above ErrorContext:
``service → ErrorContext → Simulate → Complete → CorrectnessCheck``.
"""

from __future__ import annotations

import dataclasses
import warnings
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType
from typing import ClassVar, Literal

from opendal_lab.core.access import (
    Access,
    BaseLayer,
    Failures,
    LayeredAccess,
    delete_each,
)
from opendal_lab.core.capability import Capability
from opendal_lab.core.config import checked
from opendal_lab.core.errors import NotFound
from opendal_lab.core.options import (
    DEFAULT_WRITE,
    DeleteOptions,
    ListOptions,
    ReadOptions,
    StatOptions,
)
from opendal_lab.core.path import ROOT
from opendal_lab.core.sync import FreshLock
from opendal_lab.core.types import DIR_METADATA, Entry, EntryMode, Metadata

__all__ = [
    "SWITCHES",
    "SWITCH_FIELDS",
    "SWITCH_INFO",
    "SimulateLayer",
    "SimulationNotNeeded",
    "SwitchInfo",
    "needed_switches",
]

SWITCHES = (
    "list_recursive",
    "list_start_after",
    "list_limit",
    "stat_dir",
    "create_dir",
    "delete_recursive",
    "read_with_suffix",
)

_DELETE_BATCH = 1000  # used when the service sets no delete_max_size


class SimulationNotNeeded(UserWarning):
    """SimulateLayer was added to a service that needs none of its enabled switches."""


def needed_switches(cap: Capability) -> dict[str, bool]:
    """For each switch, whether it would act on a stack with capability ``cap``."""
    return {
        "list_recursive": cap.list and not cap.list_with_recursive,
        "list_start_after": cap.list and not cap.list_with_start_after,
        "list_limit": cap.list and not cap.list_with_limit,
        "stat_dir": cap.stat and cap.list and not cap.create_dir,
        "create_dir": not cap.create_dir and cap.write and cap.write_can_empty and cap.list,
        "delete_recursive": not cap.delete_with_recursive and cap.list and cap.delete,
        "read_with_suffix": not cap.read_with_suffix and cap.read and cap.stat,
    }


# The capability field each switch turns on (stat_dir has none: it completes `stat`).
SWITCH_FIELDS = {
    "list_recursive": "list_with_recursive",
    "list_start_after": "list_with_start_after",
    "list_limit": "list_with_limit",
    "create_dir": "create_dir",
    "delete_recursive": "delete_with_recursive",
    "read_with_suffix": "read_with_suffix",
}


@dataclass(frozen=True)
class SwitchInfo:
    """What one switch does and costs, for people: the widgets and docs draw it.

    ``extra_calls`` is the fewest storage calls one use adds beyond the call it stands in
    for, and ``per`` names what adds one more each (``None``: the count is fixed).
    ``requires`` are the native fields the switch builds on (``needed_switches`` decides;
    a test keeps the two in step).
    """

    label: str
    description: str
    cost: str
    fields: tuple[str, ...]  # what it turns on: SWITCH_FIELDS, () for stat_dir
    requires: tuple[str, ...]
    extra_calls: int
    per: str | None = None


def _info(
    switch: str,
    label: str,
    description: str,
    cost: str,
    requires: tuple[str, ...],
    extra_calls: int = 0,
    per: str | None = None,
) -> tuple[str, SwitchInfo]:
    fields = (SWITCH_FIELDS[switch],) if switch in SWITCH_FIELDS else ()
    return switch, SwitchInfo(label, description, cost, fields, requires, extra_calls, per)


SWITCH_INFO: Mapping[str, SwitchInfo] = MappingProxyType(
    dict(
        [
            _info(
                "list_recursive",
                "Recursive list",
                "Walks the tree depth-first with one plain list per directory.",
                "one more list call per subdirectory walked",
                ("list",),
                per="subdirectory",
            ),
            _info(
                "list_start_after",
                "List after a key",
                "Lists from the start and drops every entry up to start_after.",
                "no extra call, but the skipped entries are still fetched",
                ("list",),
            ),
            _info(
                "list_limit",
                "List page size",
                "Takes limit as the page-size hint it is and lists in the service's own pages.",
                "no extra call",
                ("list",),
            ),
            _info(
                "stat_dir",
                "Stat a directory",
                "Answers stat('d/') by listing d/ for one entry: any entry makes it a directory.",
                "stat('d/') → list('d/', limit=1): one list instead of the stat",
                ("stat", "list"),
            ),
            _info(
                "create_dir",
                "Create directory",
                "Makes a directory by writing an empty object named after it.",
                "create_dir('a/') → write('a/', 0 B): one write instead",
                ("write", "write_can_empty", "list"),
            ),
            _info(
                "delete_recursive",
                "Recursive delete",
                "Lists everything below the path, then deletes it in batches.",
                "one recursive list (a walk, where that is simulated too), then one batch "
                "delete per delete_max_size paths "
                f"({_DELETE_BATCH} where the service sets none)",
                ("list", "delete"),
                extra_calls=1,
                per="batch of paths after the first",
            ),
            _info(
                "read_with_suffix",
                "Read the last N bytes",
                "Stats the file for its length, then reads the range that ends there.",
                "one stat before the ranged read",
                ("read", "stat"),
                extra_calls=1,
            ),
        ]
    )
)


class SimulateLayer(BaseLayer):
    """Simulates missing capabilities; every switch on unless turned off by keyword."""

    forwards_plain = frozenset({"stat", "read"})

    capability_effect: ClassVar[Literal["simulated", "overridden"]] = "simulated"

    @checked("SimulateLayer")
    def __init__(
        self,
        *,
        list_recursive: bool = True,
        list_start_after: bool = True,
        list_limit: bool = True,
        stat_dir: bool = True,
        create_dir: bool = True,
        delete_recursive: bool = True,
        read_with_suffix: bool = True,
        warn_unneeded: bool = True,
    ) -> None:
        self.switches: dict[str, bool] = {
            "list_recursive": list_recursive,
            "list_start_after": list_start_after,
            "list_limit": list_limit,
            "stat_dir": stat_dir,
            "create_dir": create_dir,
            "delete_recursive": delete_recursive,
            "read_with_suffix": read_with_suffix,
        }
        self.warn_unneeded = warn_unneeded
        self.counters: dict[str, int] = dict.fromkeys(SWITCHES, 0)
        self._lock = FreshLock()

    @classmethod
    def none(cls) -> SimulateLayer:
        """Every switch off: the service's native behaviour only."""
        return cls(**dict.fromkeys(SWITCHES, False))

    def with_switch(self, name: str, enabled: bool) -> SimulateLayer:
        """A new layer with one switch changed (counters start at zero)."""
        if name not in self.switches:
            raise KeyError(f"unknown simulate switch {name!r}; switches: {', '.join(SWITCHES)}")
        return SimulateLayer(**{**self.switches, name: enabled}, warn_unneeded=self.warn_unneeded)

    def active(self, cap: Capability) -> dict[str, bool]:
        """For each switch, whether it is enabled and acts on a stack with capability ``cap``."""
        return {k: v and self.switches[k] for k, v in needed_switches(cap).items()}

    def capability(self, inner: Capability) -> Capability:
        active = self.active(inner)
        return inner.replace(**{f: True for s, f in SWITCH_FIELDS.items() if active[s]})

    def wrap(self, inner: Access) -> Access:
        if self.warn_unneeded and not any(self.active(inner.info().capability).values()):
            warnings.warn(
                f"SimulateLayer added to {inner.info().scheme!r}, which needs none of its "
                "enabled switches",
                SimulationNotNeeded,
                stacklevel=3,
            )
        return _SimulateAccess(inner, self)

    def count(self, switch: str) -> None:
        with self._lock:
            self.counters[switch] += 1

    def __repr__(self) -> str:
        off = [k for k, v in self.switches.items() if not v]
        return "SimulateLayer()" if not off else f"SimulateLayer(off={off})"


class _SimulateAccess(LayeredAccess):
    layer: SimulateLayer

    def __init__(self, inner: Access, layer: SimulateLayer) -> None:
        super().__init__(inner, layer)
        native = inner.info().capability
        self._act = layer.active(native)
        self._off_stat_dir = needed_switches(native)["stat_dir"] and not self._act["stat_dir"]
        self._recursive_native = native.list_with_recursive
        self._delete_batch = native.delete_max_size or _DELETE_BATCH

    # -- list ----------------------------------------------------------------------
    def list(self, path: str, opts: ListOptions) -> Iterator[Entry]:
        act = self._act
        rec = opts.recursive and act["list_recursive"]
        after = opts.start_after is not None and act["list_start_after"]
        limit = opts.limit is not None and act["list_limit"]
        if not (rec or after or limit):
            return self.inner.list(path, opts)
        for switch, on in (
            ("list_recursive", rec),
            ("list_start_after", after),
            ("list_limit", limit),
        ):
            if on:
                self.layer.count(switch)
        inner_opts = dataclasses.replace(
            opts,
            recursive=opts.recursive and not rec,
            start_after=None if after else opts.start_after,
            limit=None if limit else opts.limit,
        )
        entries = (
            self._walk(path, inner_opts, top=True) if rec else self.inner.list(path, inner_opts)
        )
        if after:
            start_after = opts.start_after
            return (e for e in entries if e.path > start_after)  # type: ignore[operator]
        return entries

    def _walk(self, path: str, opts: ListOptions, top: bool) -> Iterator[Entry]:
        """Depth-first over plain lists; sorted siblings give a sorted whole."""
        for entry in self.inner.list(path, opts):
            if entry.path == path and path.endswith("/"):
                if top:
                    yield entry
                continue
            yield entry
            if entry.metadata.mode is EntryMode.DIR:
                yield from self._walk(entry.path, opts, top=False)

    # -- stat & read ---------------------------------------------------------------
    def stat(self, path: str, opts: StatOptions) -> Metadata:
        if path[-1] == "/" and path != ROOT and self._act["stat_dir"]:
            self.layer.count("stat_dir")
            probe = ListOptions(recursive=self._recursive_native, limit=1)
            for _ in self.inner.list(path, probe):
                return DIR_METADATA
            # Raised above ErrorContext, so this error must carry its own context.
            raise NotFound(
                "directory not found (no entry below it)",
                operation="stat",
                service=self._access_info.scheme,
                path=path,
            )
        if path[-1] == "/" and self._off_stat_dir:
            try:
                return self.inner.stat(path, opts)
            except NotFound as err:
                # Object stores have no directories of their own: say which switch answers.
                err.with_context(
                    "hint",
                    "a directory here exists only through the objects below it; "
                    "SimulateLayer's 'stat_dir' switch (turned off) would list it",
                )
                raise
        return self.inner.stat(path, opts)

    def read(self, path: str, opts: ReadOptions) -> bytes:
        if opts.suffix is not None and self._act["read_with_suffix"]:
            self.layer.count("read_with_suffix")
            length = self.inner.stat(path, opts.as_stat()).content_length or 0
            ranged = dataclasses.replace(opts, suffix=None, offset=max(0, length - opts.suffix))
            return self.inner.read(path, ranged)
        return self.inner.read(path, opts)

    # -- create_dir & delete -------------------------------------------------------
    def create_dir(self, path: str) -> None:
        if self._act["create_dir"]:
            self.layer.count("create_dir")
            self.inner.write(path, b"", DEFAULT_WRITE)
            return
        self.inner.create_dir(path)

    def delete(self, path: str, opts: DeleteOptions) -> None:
        if not (opts.recursive and self._act["delete_recursive"]):
            return self.inner.delete(path, opts)
        self.layer.count("delete_recursive")
        prefix = path if path.endswith("/") or path == ROOT else path + "/"
        listing = self.list(prefix, ListOptions(recursive=True))
        doomed = sorted({e.path for e in listing if e.path != ROOT}, reverse=True)
        if not path.endswith("/"):
            doomed.append(path)
        plain = DeleteOptions()
        for start in range(0, len(doomed), self._delete_batch):
            chunk = [(p, plain) for p in doomed[start : start + self._delete_batch]]
            failures = self.inner.delete_many(chunk)
            if failures:
                _, first = failures[0]
                raise first.with_context("failed", len(failures)).with_context(
                    "recursive_delete_of", path
                )
        return None

    def delete_many(self, items: Sequence[tuple[str, DeleteOptions]]) -> Failures:
        if not any(o.recursive for _, o in items):
            return self.inner.delete_many(items)
        return delete_each(self.delete, items)
