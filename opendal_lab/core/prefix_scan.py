"""Listing from sorted keys: one prefix scan for every store that keeps its keys in order.

The memory service and ImmutableIndexLayer both hold sorted keys (``a/b``, ``a/c/``) and
list a directory as a scan of the keys under its prefix; ``scan`` is that scan. It says
which keys to show and whether each is a sub-directory; the caller adds the metadata.
"""

from __future__ import annotations

import bisect
from collections.abc import Callable, Iterable, Iterator, Sequence

__all__ = ["after_subtree", "has_prefix", "keys_from", "scan"]


def after_subtree(prefix: str) -> str:
    """The smallest key sorting after every key that starts with ``prefix`` (ending in ``/``)."""
    return prefix[:-1] + "0"  # "0" is the character after "/"


def has_prefix(keys: Sequence[str], prefix: str) -> bool:
    """Whether any key of the sorted ``keys`` starts with ``prefix``."""
    i = bisect.bisect_left(keys, prefix)
    return i < len(keys) and keys[i].startswith(prefix)


def keys_from(keys: Sequence[str]) -> Callable[[str], Iterator[str]]:
    """For ``scan``: the keys of a sorted sequence from the first ``>= start`` on."""

    def from_start(start: str) -> Iterator[str]:
        for i in range(bisect.bisect_left(keys, start), len(keys)):
            yield keys[i]

    return from_start


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
