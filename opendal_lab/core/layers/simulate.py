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

Every switch is on by default and each one can be turned off (``SimulateLayer(stat_dir=False)``,
``layer.with_stat_dir(False)`` or ``layer.with_switch("stat_dir", False)``). A switch that acts
turns on its capability field,
so ``op.capability()`` tells the truth, and introspection marks the field *simulated*.
``layer.counters`` counts how often each simulation ran. Adding the layer to a service that
needs none of its switches warns with ``SimulationNotNeeded``.

``SWITCH_INFO`` says, per switch, what it does and what it costs in storage calls, in words
for people (the widgets draw it); ``SWITCH_FIELDS`` names the field each one turns on.

The default operator stack puts it right above ErrorContext:
``service → ErrorContext → Simulate → Complete → CorrectnessCheck``.

Builders, as the RFC writes them
--------------------------------
The RFC chains ``SimulateLayer::default().with_<switch>(bool)``; here each switch has its
typed ``with_<switch>(enabled)``, which returns a new layer (counters at zero) and leaves the
one it was called on as it was. The RFC's examples, in Python (fs needs recursive listing,
``start_after`` and ``limit`` simulated; it has directories of its own)::

    >>> import tempfile
    >>> from opendal_lab import Operator, SimulateLayer
    >>> tmp = tempfile.TemporaryDirectory()
    >>> op = Operator("fs", root=tmp.name, simulate=SimulateLayer())  # every switch on
    >>> layer = (
    ...     SimulateLayer()
    ...     .with_list_recursive(True)  # enable recursive listing simulation
    ...     .with_list_start_after(True)  # enable start_after simulation
    ...     .with_stat_dir(False)  # disable stat dir simulation
    ...     .with_create_dir(False)  # disable create_dir simulation
    ... )
    >>> layer
    SimulateLayer(off=['stat_dir', 'create_dir'])
    >>> SimulateLayer().with_stat_dir(False) is not layer
    True
    >>> op = Operator("fs", root=tmp.name, simulate=layer)
    >>> for name in ("a.txt", "file.txt", "z.txt"):
    ...     _ = op.write(name, b"x")
    >>> [e.path for e in op.list("/", start_after="file.txt")]  # simulated on fs
    ['z.txt']
    >>> op.capability_report()["list_with_start_after"].state
    'simulated'
    >>> native = Operator("fs", root=tmp.name, simulate=None)  # native capabilities only
    >>> native.capability().list_with_start_after
    False
    >>> tmp.cleanup()

The RFC's "binding-specific configuration" is ``simulate=`` in config form, so operators
built from URIs, fsspec ``storage_options`` or text config reach the same layer::

    >>> op = Operator("memory", simulate={"list_start_after": True, "stat_dir": False})
    >>> op.simulate
    SimulateLayer(off=['stat_dir'])
    >>> Operator.from_uri("memory://?simulate.stat_dir=false").simulate
    SimulateLayer(off=['stat_dir'])
    >>> Operator("memory", simulate="none").simulate is None
    True

``simulate=`` takes (``simulate_layer`` reads it): a layer object, used as given; a dict of
switch → bool (missing switches stay on); ``None``, ``False`` or ``"none"``: no SimulateLayer
at all; ``True`` or ``"default"``: every switch on (what an operator gets when ``simulate``
is not given). As config keys, ``simulate=none|default`` and one ``simulate.<switch>=<bool>``
per switch (``"true"``/``"false"``, ``"1"``/``"0"``, ``yes``/``no``, ``on``/``off``, as every
bool in text config) set switches on top of that base, so ``?simulate=none&
simulate.list_recursive=true`` simulates recursive listing and nothing else. An unknown switch
is ``ConfigInvalid`` naming the valid ones.
"""

from __future__ import annotations

import dataclasses
import warnings
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any, ClassVar, Literal, TypeAlias

from opendal_lab.core.access import (
    Access,
    BaseLayer,
    Failures,
    Layer,
    LayeredAccess,
    delete_each,
)
from opendal_lab.core.capability import Capability
from opendal_lab.core.config import FALSE, TRUE, checked, did_you_mean, flag
from opendal_lab.core.errors import ConfigInvalid, NotFound
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
    "SWITCH_KEY_PREFIX",
    "SimulateLayer",
    "SimulateSpec",
    "SimulationNotNeeded",
    "SwitchInfo",
    "needed_switches",
    "simulate_layer",
    "switch_keys",
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

    # One typed builder per switch, as the RFC chains them: written out rather than made by
    # __getattr__, so help(), IDEs and mypy see each one.
    def _with(self, switch: str, enabled: bool) -> SimulateLayer:
        if not isinstance(enabled, bool):
            raise TypeError(
                f"SimulateLayer.with_{switch}(enabled): enabled must be a bool, "
                f"got {type(enabled).__name__}"
            )
        return self.with_switch(switch, enabled)

    def with_list_recursive(self, enabled: bool) -> SimulateLayer:
        """A new layer whose ``list_recursive`` switch is ``enabled`` (default on): walk the
        tree with plain lists where the service cannot list recursively."""
        return self._with("list_recursive", enabled)

    def with_list_start_after(self, enabled: bool) -> SimulateLayer:
        """A new layer whose ``list_start_after`` switch is ``enabled`` (default on): drop
        entries up to ``start_after`` where the service cannot start there itself."""
        return self._with("list_start_after", enabled)

    def with_list_limit(self, enabled: bool) -> SimulateLayer:
        """A new layer whose ``list_limit`` switch is ``enabled`` (default on): take ``limit``
        as the page-size hint it is where the service has no page size to set."""
        return self._with("list_limit", enabled)

    def with_stat_dir(self, enabled: bool) -> SimulateLayer:
        """A new layer whose ``stat_dir`` switch is ``enabled`` (default on): answer
        ``stat("d/")`` by listing ``d/`` where the service has no directories."""
        return self._with("stat_dir", enabled)

    def with_create_dir(self, enabled: bool) -> SimulateLayer:
        """A new layer whose ``create_dir`` switch is ``enabled`` (default on): write an empty
        ``d/`` object where the service has no create_dir."""
        return self._with("create_dir", enabled)

    def with_delete_recursive(self, enabled: bool) -> SimulateLayer:
        """A new layer whose ``delete_recursive`` switch is ``enabled`` (default on): list
        everything below and batch-delete it where the service cannot delete a tree."""
        return self._with("delete_recursive", enabled)

    def with_read_with_suffix(self, enabled: bool) -> SimulateLayer:
        """A new layer whose ``read_with_suffix`` switch is ``enabled`` (default on): stat
        for the length, then read a range, where the service cannot read "the last N bytes"."""
        return self._with("read_with_suffix", enabled)

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


#: What ``Operator(simulate=...)`` takes: a layer, switch → bool, None/bool, "none"/"default".
SimulateSpec: TypeAlias = Layer | Mapping[str, bool | str] | str | bool | None
#: Config keys ``simulate.<switch>`` (URI queries, storage_options) set one switch each.
SWITCH_KEY_PREFIX = "simulate."
_NONE_WORDS = ("none", *FALSE)
_DEFAULT_WORDS = ("default", *TRUE)
_FORMS = (
    "a SimulateLayer, a dict of switch -> bool, None, 'none' or 'default' "
    "(also True/False and the text flags true/false, 1/0, yes/no, on/off)"
)


def switch_keys(config: dict[str, Any]) -> dict[str, Any]:
    """Take the ``simulate.<switch>`` keys out of ``config``: ``{switch: value}``."""
    found = [key for key in config if isinstance(key, str) and key.startswith(SWITCH_KEY_PREFIX)]
    return {key[len(SWITCH_KEY_PREFIX) :]: config.pop(key) for key in found}


def simulate_layer(spec: SimulateSpec, switches: Mapping[str, Any] | None = None) -> Layer | None:
    """The simulate layer ``spec`` describes (see the module docstring's forms), with
    ``switches`` (``simulate.<switch>`` config keys) set on top; None for no simulation.

    One reader for every route (keywords, URI queries, fsspec storage_options), so each
    reaches the same layer. A layer built here does not warn when a service needs none of
    its switches, as the default one does not; a layer object given is used as it is.
    """
    base: Layer | None
    if spec is None:
        base = None
    elif isinstance(spec, bool):
        base = SimulateLayer(warn_unneeded=False) if spec else None
    elif isinstance(spec, str):
        word = spec.strip().lower()
        if word in _NONE_WORDS:
            base = None
        elif word in _DEFAULT_WORDS:
            base = SimulateLayer(warn_unneeded=False)
        else:
            raise ConfigInvalid(f"simulate={spec!r} is not a simulate setting; give {_FORMS}")
    elif isinstance(spec, Mapping):
        base = SimulateLayer(**_switch_values(spec, keys=False), warn_unneeded=False)
    elif isinstance(spec, type) or not callable(getattr(spec, "wrap", None)):
        shown = f"the class {spec.__name__}" if isinstance(spec, type) else type(spec).__name__
        raise TypeError(f"simulate must be {_FORMS}; got {shown}")
    else:
        base = spec  # a layer object (any with wrap(), as Operator's layers take)
    if not switches:
        return base
    values = _switch_values(switches, keys=True)
    if base is None:
        base = SimulateLayer(**dict.fromkeys(SWITCHES, False), warn_unneeded=False)
    elif not isinstance(base, SimulateLayer):
        raise ConfigInvalid(
            f"simulate.<switch> keys ({', '.join(sorted(values))}) set SimulateLayer switches, "
            f"but simulate= is {base!r}: drop one or the other"
        )
    return SimulateLayer(**{**base.switches, **values}, warn_unneeded=base.warn_unneeded)


def _switch_values(given: Mapping[Any, Any], keys: bool) -> dict[str, bool]:
    """``given`` checked as switch → bool; text flags are read as every bool config is.
    ``keys``: they came as ``simulate.<switch>`` config keys (messages name the key)."""
    values: dict[str, bool] = {}
    for name, value in given.items():
        subject = f"config key {SWITCH_KEY_PREFIX + str(name)!r}" if keys else "simulate"
        if name not in SWITCHES:
            hint = did_you_mean(name, SWITCHES) if isinstance(name, str) else ""
            raise ConfigInvalid(
                f"{subject}: unknown switch {name!r}{hint}; switches: {', '.join(SWITCHES)}"
            )
        read = flag(value) if isinstance(value, str) else value
        if not isinstance(read, bool):
            raise ConfigInvalid(
                f"{subject}: switch {name!r} must be a bool (in text: true/false, 1/0, "
                f"yes/no, on/off), got {value!r}"
            )
        values[name] = read
    return values


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
