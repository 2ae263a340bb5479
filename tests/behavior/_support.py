"""Small helpers shared by the behavior modules."""

from __future__ import annotations

import random
from collections.abc import Iterable
from typing import Any

from opendal_lab import Entry, Operator, Unsupported

#: Names that must work everywhere: punctuation, CJK, emoji, spaces inside.
SPECIAL_NAMES = (
    "special !@#$%^&()_+-=;',.txt",
    "中文/ファイル.txt",
    "emoji-🙂",
    "dir with space/file name.bin",
)


def paths(entries: Iterable[Entry]) -> list[str]:
    return [e.path for e in entries]


def listed(op: Operator, path: str = "/", **options: Any) -> list[str]:
    """The paths ``op.list(path, **options)`` yields, in the order it yields them."""
    return paths(op.list(path, **options))


def content(size: int, seed: int = 0) -> bytes:
    """``size`` reproducible pseudo-random bytes (ranges of them are all different)."""
    return random.Random(seed).randbytes(size)


def assert_unsupported(err: Unsupported, op: Operator, operation: str, argument: str) -> None:
    """``err`` names the service, the operation and the argument, in fields and message."""
    message = str(err)
    assert err.service == op.scheme
    assert err.operation == operation
    assert repr(op.scheme) in message
    assert operation in message
    assert argument in message
    if argument != operation:
        assert err.context.get("argument") == argument
    assert isinstance(err, NotImplementedError)
