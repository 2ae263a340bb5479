"""Changes made through the face in this process: remembered infos are good until the next one."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar

F = TypeVar("F", bound=Callable[..., Any])


class Changes:
    """Counts the changes made through every OpendalFileSystem of this process.

    A remembered ``info`` is good only while the count is the one read before its stat, so a
    write through one instance (a pickled copy, the one fsspec caches for a URL) is seen by all.
    """

    count = 0

    @classmethod
    def bump(cls) -> None:
        cls.count += 1


def changing(method: F) -> F:
    """Mark a method that changes storage: remembered infos are dropped when it returns or fails."""

    @functools.wraps(method)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return method(*args, **kwargs)
        finally:
            Changes.bump()

    return wrapper  # type: ignore[return-value]
