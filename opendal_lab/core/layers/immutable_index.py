"""ImmutableIndexLayer: lists a service that cannot list, from a fixed set of file keys.

Some services cannot list at all (http: a server has no standard way to say what it
holds). Given the keys up front, this layer answers ``list`` from them, with the same
semantics as the memory service:

- listing ``d/`` yields ``d/`` itself first (when anything is under it, or it is the
  root), then the entries below in sorted order; sub-directories appear once, as DIR
  entries, whether implied by a key (``d/e/f`` → ``d/e/``) or given as a ``d/e/`` key;
- listing a file path ``p`` lists its parent and keeps what starts with ``p``
  (``p``, ``p/``, ``pq``);
- a missing directory yields nothing, no error;
- ``recursive`` yields every key under the prefix (dirs only where a ``d/`` key says so);
- ``start_after`` skips every entry ``<= start_after``; ``limit`` is a page size hint,
  so a listing still yields everything.

The capability gains ``list``, ``list_with_recursive``, ``list_with_start_after`` and
``list_with_limit`` (reported as *overridden* by this layer). ``versions`` and ``deleted``
stay unsupported. Entries carry only their mode, unless the keys are given as a mapping
from key to ``Metadata``, whose values are then used as they are. Other operations pass
through untouched: ``stat`` and ``read`` still ask the service, so the index never claims
more than a listing. Keys are normalized like any path; a key ending in ``/`` is an empty
directory marker. Listing ignores the service's own list, if it has one.

Place it anywhere above the service; as a user layer it sits outermost::

    op = Operator("http", endpoint="https://example.com", root="/data")
    op = op.layer(ImmutableIndexLayer(["a.csv", "2024/b.csv", "2024/c.csv"]))
    [e.path for e in op.list("2024/")]  # ['2024/', '2024/b.csv', '2024/c.csv']
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping

from opendal_lab.core.access import BaseLayer, LayeredAccess
from opendal_lab.core.capability import Capability
from opendal_lab.core.layers.correctness_check import unsupported
from opendal_lab.core.options import ListOptions
from opendal_lab.core.path import ROOT, normalize
from opendal_lab.core.prefix_scan import keys_from, list_keys
from opendal_lab.core.types import DIR_METADATA, Entry, EntryMode, Metadata

__all__ = ["ImmutableIndexLayer"]

_FILE = Metadata(EntryMode.FILE)


class _ImmutableIndexAccess(LayeredAccess):
    layer: ImmutableIndexLayer

    def list(self, path: str, opts: ListOptions) -> Iterator[Entry]:
        # Checked here, not left to CorrectnessCheck: this layer may sit above it.
        for argument in ("versions", "deleted"):
            if getattr(opts, argument):
                raise unsupported(
                    self._access_info, "list", argument, f"list_with_{argument}", path
                )
        keys = keys_from(self.layer._keys)
        return list_keys(keys, self.layer._meta.get, path, opts.recursive, opts.start_after)


class ImmutableIndexLayer(BaseLayer):
    """Answers ``list`` from fixed keys: paths, or a mapping of path → Metadata (or None)."""

    access_class = _ImmutableIndexAccess

    def __init__(self, keys: Iterable[str] | Mapping[str, Metadata | None]) -> None:
        if isinstance(keys, (str, bytes)):
            raise TypeError(
                "ImmutableIndexLayer(keys): keys must be an iterable of paths, not one "
                f"{type(keys).__name__}; wrap it in a list"
            )
        given = keys.items() if isinstance(keys, Mapping) else ((k, None) for k in keys)
        meta: dict[str, Metadata] = {}
        for key, value in given:
            path = normalize(key, "ImmutableIndexLayer")
            if path == ROOT:
                continue  # the root always exists
            if value is not None and not isinstance(value, Metadata):
                raise TypeError(
                    f"ImmutableIndexLayer: metadata of {key!r} must be Metadata, "
                    f"got {type(value).__name__}"
                )
            if value is None:
                value = DIR_METADATA if path.endswith("/") else _FILE
            meta[path] = value
        self._meta = meta
        self._keys = sorted(meta)

    @property
    def keys(self) -> tuple[str, ...]:
        """The indexed keys, normalized and sorted."""
        return tuple(self._keys)

    def capability(self, inner: Capability) -> Capability:
        return inner.replace(
            list=True, list_with_recursive=True, list_with_start_after=True, list_with_limit=True
        )

    def __repr__(self) -> str:
        return f"ImmutableIndexLayer({len(self._keys)} keys)"
