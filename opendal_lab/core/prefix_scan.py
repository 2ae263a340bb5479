"""Listing from sorted keys: one prefix scan for every store that keeps its keys in order.

The memory service and ImmutableIndexLayer both hold sorted keys (``a/b``, ``a/c/``) and
list a directory as a scan of the keys under its prefix. ``list_keys`` is that listing
(what an object store's list means, see its docstring); ``scan`` the scan below it, which
says which keys to show and whether each is a sub-directory.
"""

from __future__ import annotations

import bisect
from collections.abc import Callable, Iterable, Iterator, Sequence

from opendal_lab.core.path import ROOT
from opendal_lab.core.types import DIR_METADATA, Entry, Metadata

__all__ = ["after_subtree", "keys_from", "list_keys", "scan"]


def after_subtree(prefix: str) -> str:
    """The smallest key sorting after every key that starts with ``prefix`` (ending in ``/``)."""
    return prefix[:-1] + "0"  # "0" is the character after "/"


def keys_from(keys: Sequence[str]) -> Callable[[str], Iterator[str]]:
    """For ``scan``: the keys of a sorted sequence from the first ``>= start`` on."""

    def from_start(start: str) -> Iterator[str]:
        for i in range(bisect.bisect_left(keys, start), len(keys)):
            yield keys[i]

    return from_start


def list_keys(
    keys: Callable[[str], Iterable[str]],
    lookup: Callable[[str], Metadata | None],
    path: str,
    recursive: bool,
    start_after: str | None,
    base: str = "",
) -> Iterator[Entry]:
    """The listing of ``path`` (normalized) from sorted keys.

    - a directory ``d/`` yields itself first (when it is a key, anything is under it, or it
      is the root), then what is below in sorted order; a missing one yields nothing;
    - a file path ``p`` lists its parent and keeps what starts with ``p`` (``p``, ``p/``,
      ``pq``);
    - below, see ``scan``: sub-directories once (with their ``d/`` key's metadata, if
      any), or with ``recursive`` every key; ``start_after`` drops entries ``<= it``.

    ``keys(start)`` gives the keys ``>= start`` in order; ``lookup(key)`` a key's metadata
    (``None``: gone, not listed). The key of path ``p`` is ``base + p`` (``base`` alone for
    the root): a store can hold several roots.
    """
    key = base if path == ROOT else base + path
    after = None if start_after is None else base + start_after
    if path.endswith("/"):
        own = lookup(key)
        if path != ROOT and own is None and not next(iter(keys(key)), "").startswith(key):
            return
        if start_after is None or path > start_after:
            yield Entry(path, own if own is not None else DIR_METADATA)
        found = scan(keys, key, key, recursive, after, skip=key)
    else:
        found = scan(keys, key[: key.rfind("/") + 1], key, recursive, after)
    strip = len(base)
    for k, is_sub_dir in found:
        meta = lookup(k)
        if is_sub_dir:
            yield Entry(k[strip:], meta if meta is not None else DIR_METADATA)
        elif meta is not None:  # None: gone since the keys were read (a concurrent delete)
            yield Entry(k[strip:], meta)


def scan(
    keys: Callable[[str], Iterable[str]],
    dir_key: str,
    prefix: str,
    recursive: bool,
    start_after: str | None,
    skip: str | None = None,
) -> Iterator[tuple[str, bool]]:
    """``(key, is_sub_dir)`` for what a listing of ``dir_key`` shows of the keys under ``prefix``.

    ``keys(start)`` gives the keys ``>= start`` in order (it may stop anywhere past the
    prefix). Without ``recursive`` a key below a sub-directory shows as that sub-directory
    (``d/e/`` for ``d/e/f``), once, and the rest of its subtree is skipped; ``start_after``
    drops every entry ``<= start_after``; ``skip`` is a key not to show (the directory's own).
    """
    # NUL never occurs in a path, so `after + "\0"` is the first key after `after`.
    start = prefix if start_after is None else max(prefix, start_after + "\0")
    while True:
        for key in keys(start):
            if not key.startswith(prefix):
                return
            if key == skip:
                continue
            cut = -1 if recursive else key.find("/", len(dir_key))
            if cut != -1:  # a sub-directory, implied by a key below it or a `d/` marker
                sub = key[: cut + 1]
                if start_after is None or sub > start_after:
                    yield sub, True
                start = after_subtree(sub)
                break  # ask again from past the subtree
            yield key, False
        else:
            return
